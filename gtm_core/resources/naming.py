"""Names, read as words: any naming style split into words, singular and plural, and the verb.

``words("markTodoItemDone")`` is ``("mark", "todo", "item", "done")`` and so are the
snake_case, PascalCase, kebab-case and ``Verb Noun`` spellings of the same name, so tools
and fields written in different styles compare equal through ``field_key``. ``split_verb``
finds the verb of a tool's name at either end (``close_ticket``, ``ticket_close``) and what
it means: an operation (create, read, update, delete, list) or a state transition with the
states it may lead to (close -> closed, resolved, done ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "FILLER",
    "PREPOSITIONS",
    "article",
    "KEY_WORDS",
    "VerbMeaning",
    "field_key",
    "is_key_name",
    "is_plural",
    "mark_states",
    "meaning",
    "nominal",
    "plural",
    "singular",
    "split_verb",
    "words",
]

_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

# words that name no thing: "get_all_tickets", "list_my_orders", "fetch_order_details"
FILLER = frozenset(["a", "an", "the", "all", "my", "by", "for", "of", "to", "from", "in", "on", "with", "api", "v1", "v2",
                    "details", "detail", "info", "information", "data", "new", "existing", "one", "single", "many",
                    "multiple", "bulk", "batch", "current", "me", "as", "is", "it"])  # fmt: skip

# words after which a tool's name says how or which, not what: list_directory_with_sizes lists
# directories, get_orders_by_customer orders (not "to" or "from": add_tracks_to_playlist acts on the playlist)
PREPOSITIONS = frozenset(["with", "by", "for", "in", "of", "as", "via", "using", "without"])

# the last word of a field that names one record: ticket_id, itemId, booking_ref, path, slug
KEY_WORDS = frozenset(["id", "ids", "uuid", "guid", "ref", "reference", "key", "code", "number", "no", "num", "slug",
                       "path", "handle", "identifier", "sku", "locator", "pnr", "token", "url", "uri"])  # fmt: skip

_UNCOUNTABLE = frozenset(["data", "info", "news", "series", "status", "analytics", "settings", "metadata", "media",
                          "equipment", "inventory", "feedback", "software", "staff", "access", "address", "business",
                          "process", "class", "glass", "bus", "campus", "canvas", "alias", "atlas"])  # fmt: skip
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman", "mice": "mouse", "geese": "goose",
              "indices": "index", "matrices": "matrix", "vertices": "vertex", "criteria": "criterion", "analyses": "analysis"}  # fmt: skip
_IRREGULAR_PLURAL = {v: k for k, v in _IRREGULAR.items()}


@lru_cache(maxsize=32768)
def words(name: str) -> tuple[str, ...]:
    """The lower-case words of a name in any style: snake, camel, Pascal, kebab, dotted or spaced."""
    return tuple(w.lower() for w in _WORDS.findall(name or ""))


@lru_cache(maxsize=32768)
def field_key(name: str) -> str:
    """One spelling for a field in every naming style: ``ticketId``, ``ticket_id``, ``Ticket-ID`` -> ``ticket_id``."""
    return "_".join(words(name)) or name


_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "eu", "one", "once", "ure")
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")


def article(noun: str) -> str:
    """``a`` or ``an`` before a noun (``a ticket``, ``an entity``, ``a user``, ``an hour``), by its sound as spelled."""
    word = noun.strip("'\"").lower()
    if word.startswith(_VOWEL_SOUND):
        return "an"
    return "an" if word[:1] in ("a", "e", "i", "o", "u") and not word.startswith(_CONSONANT_SOUND) else "a"


def singular(word: str) -> str:
    """The singular of one lower-case word: tickets -> ticket, entries -> entry, boxes -> box."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _UNCOUNTABLE or len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith("ses") and not word.endswith("uses"):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def plural(word: str) -> str:
    """The plural of one lower-case word: ticket -> tickets, entry -> entries, box -> boxes."""
    if word in _IRREGULAR_PLURAL:
        return _IRREGULAR_PLURAL[word]
    if word in _UNCOUNTABLE:
        return word
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh", "z")):
        return word + "es"
    return word + "s"


def is_plural(word: str) -> bool:
    return singular(word) != word


def is_key_name(name: str) -> bool:
    """Whether a field's name says it names one record: ``ticket_id``, ``itemId``, ``booking_ref``, ``path``."""
    parts = words(name)
    return bool(parts) and parts[-1] in KEY_WORDS and parts[-1] not in ("url", "uri", "token") or name == "name"


# ---- verbs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerbMeaning:
    """What a verb does: ``kind`` is create, read, update, delete, list, transition or move;
    ``states`` are the states a transition may lead to, best first."""

    verb: str
    kind: str
    states: tuple[str, ...] = ()


def _table(kind: str, verbs: str) -> dict[str, VerbMeaning]:
    return {v: VerbMeaning(v, kind) for v in verbs.split()}


_VERBS: dict[str, VerbMeaning] = {
    **_table("create", "create add new open book register submit schedule write put upload insert post make place request "
                       "reserve log record start file raise issue enroll subscribe save generate compose draft plan"),
    **_table("read", "get fetch read show describe lookup view check retrieve load inspect peek see"),
    **_table("update", "update edit set assign modify patch change replace upsert adjust reschedule tag label append attach"),
    **_table("delete", "delete remove destroy purge clear erase drop discard trash unregister unsubscribe revoke"),
    **_table("list", "list search find query browse filter enumerate"),
    **_table("move", "move rename relocate"),
}

# transitions: verb -> the states it may lead to, best first (matched against the state enum)
_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "close": ("closed", "resolved", "done", "completed", "complete", "finished"),
    "cancel": ("cancelled", "canceled", "void", "voided", "aborted"),
    "approve": ("approved", "accepted", "confirmed"),
    "accept": ("accepted", "approved", "confirmed"),
    "reject": ("rejected", "declined", "denied", "refused"),
    "decline": ("declined", "rejected", "denied"),
    "deny": ("denied", "rejected", "declined"),
    "complete": ("completed", "complete", "done", "finished", "closed"),
    "finish": ("finished", "completed", "complete", "done"),
    "resolve": ("resolved", "closed", "done", "fixed"),
    "reopen": ("reopened", "open", "opened", "active", "pending", "new"),
    "archive": ("archived", "inactive"),
    "unarchive": ("active", "open", "unarchived", "restored"),
    "restore": ("active", "open", "restored"),
    "pause": ("paused", "suspended", "on_hold", "inactive"),
    "suspend": ("suspended", "paused", "inactive", "disabled"),
    "hold": ("on_hold", "held", "paused"),
    "resume": ("active", "running", "resumed", "in_progress", "open", "enabled"),
    "enable": ("enabled", "active", "on"),
    "disable": ("disabled", "inactive", "off"),
    "activate": ("active", "activated", "enabled"),
    "deactivate": ("inactive", "deactivated", "disabled"),
    "ship": ("shipped", "in_transit", "dispatched"),
    "dispatch": ("dispatched", "shipped", "in_transit"),
    "deliver": ("delivered", "completed"),
    "refund": ("refunded", "returned"),
    "confirm": ("confirmed", "approved", "accepted"),
    "publish": ("published", "live", "public", "active"),
    "unpublish": ("unpublished", "draft", "private", "hidden"),
    "block": ("blocked", "suspended"),
    "unblock": ("active", "unblocked"),
    "lock": ("locked",),
    "unlock": ("unlocked", "active", "open"),
    "escalate": ("escalated",),
    "fail": ("failed", "error"),
    "expire": ("expired",),
    "verify": ("verified", "approved"),
    "pay": ("paid", "settled", "completed"),
    "settle": ("settled", "paid"),
    "void": ("void", "voided", "cancelled", "canceled"),
    "check_in": ("checked_in", "arrived"),
    "check_out": ("checked_out", "departed", "completed"),
    "fulfill": ("fulfilled", "shipped", "completed"),
    "fulfil": ("fulfilled", "shipped", "completed"),
    "return": ("returned", "refunded"),
    "snooze": ("snoozed", "paused"),
    "mute": ("muted",),
    "unmute": ("active", "unmuted"),
    "stop": ("stopped", "inactive", "paused", "cancelled"),
}
# verbs that create without a key and mean something else with one: submit_expense(report_id)
# moves the report to submitted, open_nodes(names) reads nodes
_WITH_KEY: dict[str, VerbMeaning] = {
    "start": VerbMeaning("start", "transition", ("started", "in_progress", "running", "active")),
    "submit": VerbMeaning("submit", "transition", ("submitted", "pending_review", "pending", "in_review")),
    "schedule": VerbMeaning("schedule", "transition", ("scheduled",)),
    "book": VerbMeaning("book", "transition", ("booked", "confirmed", "reserved")),
    "open": VerbMeaning("open", "read"),
    "send": VerbMeaning("send", "transition", ("sent", "submitted", "delivered", "issued")),
}

# verbs whose noun is the thing they make: book -> booking, reserve -> reservation
_NOMINAL = {"book": "booking", "reserve": "reservation", "register": "registration", "subscribe": "subscription",
            "order": "order", "enroll": "enrollment", "pay": "payment", "transfer": "transfer", "invite": "invitation",
            "apply": "application", "rent": "rental", "hire": "hire", "sign": "signup", "log": "log", "record": "recording",
            "schedule": "appointment", "ship": "shipment", "deposit": "deposit", "withdraw": "withdrawal"}  # fmt: skip


_SAME_STATE = (("done", "completed", "complete", "finished", "closed", "resolved"), ("read", "seen", "viewed"),
               ("paid", "settled"), ("unread", "new", "unseen"), ("active", "enabled"), ("inactive", "disabled"))


def mark_states(word: str) -> tuple[str, ...]:
    """The states ``mark ... <word>`` may lead to: the word itself, then words that mean the same."""
    for group in _SAME_STATE:
        if word in group:
            return (word, *[w for w in group if w != word])
    return (word,)


def nominal(verb: str) -> str | None:
    """The noun of what a verb makes: book -> booking; None when the verb names no thing."""
    return _NOMINAL.get(verb)


def meaning(verb: str, *, has_key: bool) -> VerbMeaning | None:
    """What a verb means on a resource; ``has_key`` says whether the tool names an existing record."""
    if has_key and verb in _WITH_KEY:
        return _WITH_KEY[verb]
    if verb in _TRANSITIONS:
        return VerbMeaning(verb, "transition", _TRANSITIONS[verb])
    return _VERBS.get(verb)


def split_verb(name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """(verb, noun words, trailing words) of a tool name, the verb at either end, or None.

    ``markTodoItemDone`` -> ("mark", ("todo", "item"), ("done",)); ``ticket_close`` ->
    ("close", ("ticket",), ()); two-word verbs (``check_in``) are one verb.
    """
    parts = [w for w in words(name) if not w.isdigit()]
    if not parts:
        return None
    first = _verb_at(parts, 0)
    if first is not None:
        verb, size = first
        rest = parts[size:]
        if verb == "mark" and rest:
            return verb, tuple(rest[:-1]), (rest[-1],)
        return verb, tuple(rest), ()
    if len(parts) >= 2:
        for size in (2, 1):
            verb = "_".join(parts[-size:])
            if verb in _VERBS or verb in _TRANSITIONS:
                return verb, tuple(parts[:-size]), ()
    return None


def _verb_at(parts: list[str], index: int) -> tuple[str, int] | None:
    if index + 1 < len(parts):
        two = f"{parts[index]}_{parts[index + 1]}"
        if two in _TRANSITIONS:
            return two, 2
    word = parts[index]
    if word in _VERBS or word in _TRANSITIONS or word == "mark":
        return word, 1
    return None
