"""Plausible objects for tools without a response schema: ``fake_object_for``.

The shape follows what the tool's name and description say it does (a search gives
``results``, a create gives an id and a status, weather gives a temperature and conditions);
the call's arguments and the entity's known fields are echoed into it.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .generator import fake_value
from .makers import date_time, prefixed_id, url
from .vocabulary import CITIES, CONDITIONS, LANGUAGES, SENTENCES, STATUSES, SYMBOLS, TITLES, kind_of, name_words

if TYPE_CHECKING:
    from ..spec import ToolSpec

__all__ = ["fake_object_for"]

_VERBS_CREATE = frozenset(["create", "add", "new", "register", "insert", "post", "book", "reserve", "schedule",
                           "submit", "upload", "make", "set", "place", "start", "generate", "open", "save", "assign"])  # fmt: skip
_VERBS_SEND = frozenset(["send", "notify", "email", "message", "sms", "share", "publish", "invite", "reply"])
_VERBS_UPDATE = frozenset(["update", "edit", "modify", "patch", "change", "rename", "move", "enable", "disable"])
_VERBS_DELETE = frozenset(["delete", "remove", "cancel", "destroy", "erase", "close", "stop", "revoke", "unsubscribe"])
_VERBS_SEARCH = frozenset(["search", "find", "lookup", "query", "list", "browse", "discover", "recommend", "suggest"])
_VERBS_COMPUTE = frozenset(["calculate", "compute", "convert", "estimate", "predict", "analyze", "analyse",
                            "evaluate", "measure", "count", "sum", "solve", "score", "rank", "compare"])  # fmt: skip
_VERBS_READ = frozenset(["get", "fetch", "retrieve", "read", "show", "view", "describe", "check", "lookup", "find"])


def fake_object_for(
    spec: ToolSpec,
    rng: random.Random,
    arguments: Mapping[str, Any] | None = None,
    *,
    entity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A plausible JSON object answering a call of a tool that has no response schema.

    The shape follows what the tool's name and description say it does (a search gives
    ``results``, a create gives an id and a status, weather gives a temperature and
    conditions); the arguments and the entity's known fields are echoed into it.
    """
    words = name_words(spec.name)
    verb, thing = _verb_and_thing(words)
    topic = set(words) | set(re.findall(r"[a-z]+", spec.description.lower()[:200]))
    args = {k: v for k, v in (arguments or {}).items() if isinstance(k, str)}
    if topic & {"weather", "forecast"}:
        body = _weather_object(rng, args)
    elif verb in _VERBS_SEARCH or topic & {"search"}:
        body = _search_object(rng, args, thing)
    elif topic & {"stock", "quote", "exchange"} and "price" in topic | {"rate"}:
        body = {"symbol": rng.choice(SYMBOLS), "price": round(rng.uniform(10, 900), 2), "currency": "USD",
                "change_percent": round(rng.uniform(-5, 5), 2), "as_of": date_time(rng)}  # fmt: skip
    elif verb in _VERBS_COMPUTE:
        body = {"result": round(rng.uniform(1, 1000), 2), "inputs": dict(args), "computed_at": date_time(rng)}
    elif verb == "translate":
        body = {"translated_text": rng.choice(SENTENCES), "source_language": "en", "target_language": rng.choice(LANGUAGES)[0]}
    elif verb in _VERBS_SEND:
        body = {"success": True, "message_id": prefixed_id(rng, ("message",)), "status": "sent", "sent_at": date_time(rng)}
    elif verb in _VERBS_CREATE:
        body = {"success": True, f"{thing}_id": prefixed_id(rng, name_words(thing) or ("item",)), "status": "created",
                "created_at": date_time(rng), **args}  # fmt: skip
    elif verb in _VERBS_UPDATE:
        body = {"success": True, **args, "updated_at": date_time(rng), "message": f"The {thing.replace('_', ' ')} was updated."}
    elif verb in _VERBS_DELETE:
        body = {"success": True, **args, "status": "cancelled" if verb == "cancel" else "deleted",
                "message": f"The {thing.replace('_', ' ')} was {'cancelled' if verb == 'cancel' else 'removed'}."}  # fmt: skip
    else:
        body = {"success": True, thing: _record(rng, args, spec, name_words(thing))}
    if entity:
        _overlay_known(body, {**entity, **args})
    return body


_ALL_VERBS = _VERBS_CREATE | _VERBS_SEND | _VERBS_UPDATE | _VERBS_DELETE | _VERBS_SEARCH | _VERBS_COMPUTE | _VERBS_READ | {"translate"}
_NOT_THINGS = frozenset(["by", "for", "of", "the", "a", "an", "info", "infos", "details", "data", "api", "all", "v"])


def _verb_and_thing(words: tuple[str, ...]) -> tuple[str, str]:
    """The tool's verb and the thing it acts on: ``events_api.get_event`` -> ("get", "event")."""
    index = next((i for i, w in enumerate(words) if w in _ALL_VERBS), None)
    verb = words[index] if index is not None else ""
    rest = words[index + 1 :] if index is not None else words
    nouns = [w for w in rest if w not in _NOT_THINGS and not w.isdigit()]
    if not nouns and index is not None:
        nouns = [w for w in words[:index] if w not in _NOT_THINGS and not w.isdigit()]
    return verb, "_".join(nouns[-3:]) or "item"


def _weather_object(rng: random.Random, args: Mapping[str, Any]) -> dict[str, Any]:
    place = next((v for k, v in args.items() if isinstance(v, str) and kind_of(k, "") in ("city", "country", "address")), None)
    return {
        "location": place or rng.choice(CITIES)[0],
        "temperature": round(rng.uniform(-5, 35), 1),
        "unit": "celsius",
        "condition": rng.choice(CONDITIONS),
        "humidity": rng.randrange(20, 96),
        "wind_speed_kmh": round(rng.uniform(0, 40), 1),
        "observed_at": date_time(rng),
    }


def _search_object(rng: random.Random, args: Mapping[str, Any], thing: str) -> dict[str, Any]:
    texts = [(k, v) for k, v in args.items() if isinstance(v, str)]
    query = next((v for k, v in texts if kind_of(k, "") in ("query", "tag")), texts[0][1] if texts else None)
    results = []
    for _ in range(rng.randint(2, 4)):
        title = rng.choice(TITLES)
        results.append({"id": prefixed_id(rng, name_words(thing)[-1:] or ("item",)), "title": title,
                        "url": url(rng, name_words(title)), "snippet": rng.choice(SENTENCES)})  # fmt: skip
    body: dict[str, Any] = {"results": results, "total_results": len(results) + rng.randrange(0, 40)}
    if query is not None:
        body = {"query": query, **body}
    return body


def _record(rng: random.Random, args: Mapping[str, Any], spec: ToolSpec, thing: tuple[str, ...]) -> dict[str, Any]:
    """A record about the tool's subject: the arguments, an id and a few fields the spec describes."""
    record: dict[str, Any] = {"id": prefixed_id(rng, thing or ("item",))}
    record.update(args)
    described = spec.response if isinstance(spec.response, str) else ""
    for word in dict.fromkeys(re.findall(r"[a-z_]+", described.lower())):
        kind = kind_of(word, "") if len(word) > 2 else None
        if kind is not None and kind not in ("id", "text", "status") and word not in record and len(record) < 8:
            record[word] = fake_value({}, word, rng)
    record.setdefault("status", rng.choice(STATUSES))
    record.setdefault("description", rng.choice(SENTENCES))
    record.setdefault("updated_at", date_time(rng))
    return record


def _overlay_known(body: dict[str, Any], known: Mapping[str, Any]) -> None:
    """Copy known values onto fields of the same name in the body and in objects directly below it."""
    for key, value in list(body.items()):
        if key in known:
            body[key] = copy.deepcopy(known[key])
        elif isinstance(value, dict):
            for inner in value:
                if inner in known:
                    value[inner] = copy.deepcopy(known[inner])
