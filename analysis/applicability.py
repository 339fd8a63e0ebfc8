"""Applicability: can this tool be simulated safely by a GTM?

A :class:`ScopeIndex` holds the training APIs and the market tools with their embeddings, and a
calibration of the training set against itself. :meth:`ScopeIndex.score` places one tool
beside them and returns an :class:`Applicability`: a calibrated coverage, a score, a verdict,
the reasons and the nearest training APIs and market tools.

The coverage and the score
--------------------------
Let ``s(t)`` be the cosine similarity between tool ``t`` and its nearest training API (the
mean of the ``k`` nearest when the index is built with ``coverage_k > 1``; 1 by default).
The index computes the same statistic for every training API against the *other* training
APIs (leave-one-out; APIs with the very same text are not counted as neighbours, so exact
copies do not inflate it). That is the reference distribution ``C``. The **coverage** is the
tool's mid-rank percentile in ``C``::

    coverage(t) = (#{c in C : c < s(t)} + 0.5 * #{c in C : c == s(t)}) / |C|

So 0.5 means "as close to the training set as the median training API is to its nearest
neighbour", 0.05 means "farther than 95% of training APIs are from theirs". Because it is a
rank within the data's own neighbour distances, it reads the same for any embedding model and
any training set. A sample of the training side keeps that meaning roughly (the tool's and the
training APIs' neighbours thin out together) but may drop every training API of a rare kind
(the public data holds a handful of SQL tools), so verdicts should come from an index with
every training API; the market side may be sampled freely. A tool whose text is a training
API's text has coverage 1. The public training data is dense (families of near-identical
APIs), so coverage is demanding: there, LOW corresponds to a cosine similarity of about 0.62. ``LOW = 0.10`` is the radius of ``analysis.overlap``'s
default coverage (its 10% quantile): a tool with coverage >= LOW is "covered" in that sense too.

The **score** is the coverage discounted once for each reason to prefer the real tool, so it
stays in [0, 1] and equals the coverage for a self-contained, covered tool::

    score = coverage * product of DISCOUNTS[reason] over the reasons that hold

with :data:`DISCOUNTS` = market-only region 0.5, platform 0.5, side effects 0.7, private data
0.85, real-time facts 0.85. The tool lies in a *market-only region* when its nearest market
tool is at least :data:`MARKET_MARGIN` (0.15) more similar than its nearest training API(s)
and its coverage is below MID: the market is dense there and the training APIs are not, the
paper's signature of platform integrations. Coverage alone says whether GTM has seen tools
like it; the score also says whether a simulation of it can stand in for the real thing.

The flags
---------
Found in the tool's name, description and server (names are split into words):

- ``platform``: it names a well-known external platform (the curated :data:`PLATFORMS`:
  Slack, GitHub, Jira, AWS, Stripe, ...) or a capitalised product-like term that the market is
  dense in and the training APIs lack (learned when the index is built; see
  :func:`learn_platform_terms`).
- ``side_effects``: it acts on the outside world (send, post, delete, deploy, transfer, pay,
  merge, execute, ...; :data:`SIDE_EFFECT_WORDS`).
- ``private_data``: it reads or changes private data (user, account, inbox, password, ...;
  :data:`PRIVATE_WORDS`).
- ``realtime``: its answers are facts that change (price, stock, live, current, latest,
  weather, news, ...; :data:`REALTIME_WORDS`).

The verdict (the first rule that holds)
---------------------------------------
On the *coverage* (not the score), with ``LOW = 0.10`` and ``MID = 0.25`` (percentiles, so
they mean the same on any data), and "bound" = any flag among platform, side_effects,
private_data, realtime:

1. ``do not simulate`` — coverage < LOW and bound: GTM has learned nothing like it *and* its
   answers are decided by an external system, live facts or real effects; neither warming
   up on GTM nor fine-tuning on synthetic data gives faithful answers. Use the real tool (or a
   sandbox of it).
2. ``fine-tune first`` — coverage < LOW: a self-contained tool in a region GTM has not learned;
   generate data for it (CARG) and fine-tune before simulating it.
3. ``warm-up`` — bound: GTM can play its interface and typical answers (coverage >= LOW), but
   the real tool's answers depend on a platform, live facts, real effects or private data:
   warm the agent up on GTM, then switch to the real tool (the paper's hybrid schedule).
4. ``simulate`` — otherwise: covered (coverage >= LOW) and self-contained. A coverage below
   MID gives the reason "limited coverage" (simulate, but check its answers).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from gtm_core.errors import GTMError
from gtm_core.spec import ToolSpec

from .market import ToolRecord, record_from_spec

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Applicability",
    "DISCOUNTS",
    "DO_NOT_SIMULATE",
    "FINE_TUNE_FIRST",
    "INDEX_VERSION",
    "LOW",
    "MARKET_MARGIN",
    "MID",
    "PLATFORMS",
    "PRIVATE_WORDS",
    "REALTIME_WORDS",
    "SIDE_EFFECT_WORDS",
    "SIMULATE",
    "ScopeIndex",
    "ScopeIndexError",
    "VERDICTS",
    "WARM_UP",
    "as_record",
    "decide",
    "find_flags",
    "learn_platform_terms",
    "scores_frame",
]

SIMULATE = "simulate"
WARM_UP = "warm-up"
FINE_TUNE_FIRST = "fine-tune first"
DO_NOT_SIMULATE = "do not simulate"
VERDICTS = (SIMULATE, WARM_UP, FINE_TUNE_FIRST, DO_NOT_SIMULATE)
VERDICT_MEANING = {
    SIMULATE: "simulate it with GTM",
    WARM_UP: "warm up on GTM, then switch to the real tool",
    FINE_TUNE_FIRST: "fine-tune GTM on data for this kind of tool first",
    DO_NOT_SIMULATE: "do not simulate; use the real tool or a sandbox",
}

LOW = 0.10  # below: outside the radius that holds 90% of the training APIs' own nearest neighbours
MID = 0.25  # below: covered, but thinly
MARKET_MARGIN = 0.15  # market tool this much more similar than the training APIs: a market-only region
DISCOUNTS: dict[str, float] = {
    "market_only": 0.5,
    "platform": 0.5,
    "side_effects": 0.7,
    "private_data": 0.85,
    "realtime": 0.85,
}
INDEX_VERSION = 1
_FEW_TEXTS = 16  # up to this many texts a query skips the embedding cache
_DESCRIPTION_KEPT = 400  # characters of each description kept in a saved index


class ScopeIndexError(GTMError):
    """An index that cannot be built, read or queried."""


class TextEmbedder(Protocol):
    """What the index needs of an embedder (``analysis.embed.Embedder`` is one)."""

    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


# ---- the vocabularies ---------------------------------------------------------------------
# Well-known SaaS products and platforms. Lower-case entries match the words of a name or a
# text in any case ("slack_post_message", "Post to Slack"); entries with capitals match only
# as written, because their lower-case form is an ordinary word ("Linear", "Notion", "Zoom").
PLATFORMS: tuple[str, ...] = (
    # chat, mail and meetings
    "slack", "discord", "telegram", "whatsapp", "microsoft teams", "Teams", "Zoom", "gmail", "outlook",
    "mailchimp", "sendgrid", "twilio", "intercom", "zendesk", "freshdesk", "webex", "signal messenger",
    # code, issues and projects
    "github", "gitlab", "bitbucket", "jira", "confluence", "trello", "asana", "clickup", "Linear",
    "monday.com", "todoist", "basecamp", "airtable", "Notion", "obsidian", "figma", "miro", "npm",
    "pypi", "docker hub", "sentry", "pagerduty", "datadog", "grafana", "new relic", "circleci", "jenkins",
    # clouds, infrastructure and hosting
    "aws", "amazon web services", "s3", "ec2", "dynamodb", "cloudwatch", "azure", "gcp", "google cloud",
    "bigquery", "firebase", "supabase", "vercel", "netlify", "heroku", "cloudflare", "digitalocean",
    "linode", "kubernetes", "kubectl", "docker", "terraform", "snowflake", "databricks", "mongodb atlas",
    "pinecone", "elasticsearch",
    # business, payments and commerce
    "salesforce", "hubspot", "pipedrive", "stripe", "paypal", "shopify", "woocommerce", "quickbooks",
    "xero", "coinbase", "binance", "plaid", "docusign", "zapier",
    # documents and storage
    "google drive", "google docs", "google sheets", "google calendar", "google maps", "dropbox",
    "onedrive", "sharepoint", "evernote", "box.com",
    # social and media
    "twitter", "reddit", "linkedin", "facebook", "instagram", "youtube", "tiktok", "spotify", "pinterest",
    "twitch", "mastodon", "bluesky", "medium.com", "wordpress",
    # AI and model services
    "openai", "anthropic", "hugging face", "huggingface", "replicate", "elevenlabs", "midjourney",
)

# Acts on the outside world: a real message, deletion, deployment, payment or execution.
SIDE_EFFECT_WORDS: tuple[str, ...] = (
    "send", "post", "publish", "tweet", "reply", "notify", "invite",
    "delete", "remove", "destroy", "terminate", "kill", "wipe", "purge",
    "deploy", "execute", "exec", "install", "uninstall", "restart", "reboot", "shutdown", "provision",
    "merge", "push", "commit", "transfer", "pay", "payment", "purchase", "buy", "sell",
    "refund", "withdraw", "cancel", "shell", "run command", "run script", "run code",
)
# Reads or changes private data.
PRIVATE_WORDS: tuple[str, ...] = (
    "user", "account", "my", "private", "personal", "inbox", "mailbox", "password", "credential",
    "secret", "confidential", "contacts",
)
# Answers are facts that change with time.
REALTIME_WORDS: tuple[str, ...] = (
    "real time", "realtime", "live", "current", "currently", "now", "latest", "today", "tonight",
    "up to date", "breaking", "news", "trending", "weather", "forecast", "price", "stock", "quote",
    "exchange rate", "traffic",
)

# Capitalised words that are not products, left out of the learned platform terms.
_NOT_PLATFORMS = frozenset(
    """
    python javascript typescript java kotlin swift rust ruby php perl scala golang haskell lua bash
    powershell markdown html css json yaml xml csv sql graphql regex unicode ascii base64 utf
    english spanish french german chinese japanese korean russian arabic italian portuguese hindi
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december
    mcp server servers client tool tools model models agent agents assistant claude llm
    valueerror typeerror keyerror error errors exception
    args kwargs returns return example examples note notes integration integrations manager
    tracker toolbox helper utility utilities service services john jane doe smith
    """.split()
)

_NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_TEXT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.'][A-Za-z0-9]+)*")
_CAPITALISED = re.compile(r"\b[A-Z][a-z0-9]*[A-Z]?[a-z][A-Za-z0-9]*\b")
# Text before a word that puts it in the middle of a sentence: a lower-case word, a number or a
# comma, then spaces (not the start of a text, a sentence, a line or a list item).
_MID_SENTENCE = re.compile(r"[a-z0-9,]\s+$")


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _NAME_WORD.findall(name or "")]


def _text_words(text: str) -> list[str]:
    return [w.lower().removesuffix("'s") for w in _TEXT_WORD.findall(text or "")]


def _inflections(word: str) -> set[str]:
    """The word and its simple English inflections (sends, sent-less: send/sends/sending/sended)."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing"}
    if word.endswith("e"):
        forms |= {word[:-1] + "ing"}
    if len(word) <= 4 and word[-1] not in "aeiouwy" and word[-2:-1] in tuple("aeiou"):
        forms |= {word + word[-1] + "ing", word + word[-1] + "ed"}  # stop -> stopping
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    return forms


def _phrase_index(phrases: Iterable[str], *, inflect: bool) -> dict[tuple[str, ...], str]:
    index: dict[tuple[str, ...], str] = {}
    for phrase in phrases:
        words = tuple(_text_words(phrase.replace("-", " ")))
        if not words:
            continue
        last = _inflections(words[-1]) if inflect else {words[-1]}
        for form in last:
            index[words[:-1] + (form,)] = phrase
    return index


_IRREGULAR = {"sent": "send", "paid": "pay", "bought": "buy", "sold": "sell", "ran": "run"}
_SIDE_EFFECTS = _phrase_index(SIDE_EFFECT_WORDS, inflect=True)
_PRIVATE = _phrase_index(PRIVATE_WORDS, inflect=True)
_REALTIME = _phrase_index(REALTIME_WORDS, inflect=True)
_PLATFORM_ANY_CASE = _phrase_index([p for p in PLATFORMS if p == p.lower()], inflect=False)
_PLATFORM_AS_WRITTEN = tuple(p for p in PLATFORMS if p != p.lower())


def _match(words: Sequence[str], index: Mapping[tuple[str, ...], str]) -> list[str]:
    """The phrases of ``index`` found in ``words`` (each once, in order of appearance)."""
    found: dict[str, None] = {}
    longest = max((len(k) for k in index), default=1)
    for i in range(len(words)):
        for n in range(longest, 0, -1):
            key = tuple(words[i : i + n])
            if len(key) == n and key in index:
                found.setdefault(index[key], None)
                break
    return list(found)


def _record_texts(record: ToolRecord) -> tuple[list[str], str]:
    """The words of a record (name split, description, server) and its raw text."""
    raw = " ".join(p for p in (record.server or "", record.name, record.description) if p)
    words = _name_words(record.name) + _text_words((record.server or "") + " " + record.description.replace("-", " "))
    return [_IRREGULAR.get(w, w) for w in words], raw


_AS_WRITTEN = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(t) for t in _PLATFORM_AS_WRITTEN) + r")(?![A-Za-z])")


@functools.lru_cache(maxsize=16)
def _learned_matcher(terms: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[tuple[str, ...], str]]:
    """The learned terms as one pattern for those that match as written, and a word index for
    the lower-case ones, which match in any case (the convention of :data:`PLATFORMS`)."""
    written = sorted((t for t in terms if t != t.lower()), key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(t) for t in written) + r")(?![A-Za-z])") if written else None
    return pattern, _phrase_index([t for t in terms if t == t.lower()], inflect=False)


def find_flags(record: ToolRecord, platform_terms: Iterable[str] = ()) -> dict[str, list[str]]:
    """The risk flags of one tool: ``{"platform": [...], "side_effects": [...],
    "private_data": [...], "realtime": [...]}``, each the words that raised it (empty: not
    raised). ``platform_terms`` are learned terms (see :func:`learn_platform_terms`); like the
    curated names, lower-case ones match in any case among the words of the name, description
    and server, the others only as written."""
    words, raw = _record_texts(record)
    platform = _match(words, _PLATFORM_ANY_CASE)
    platform += [t for t in dict.fromkeys(_AS_WRITTEN.findall(raw)) if t not in platform]
    pattern, any_case = _learned_matcher(tuple(platform_terms))
    found = _match(words, any_case) + (pattern.findall(raw) if pattern is not None else [])
    seen = {p.lower() for p in platform}
    for term in found:
        if term.lower() not in seen:
            seen.add(term.lower())
            platform.append(term)
    return {
        "platform": platform,
        "side_effects": _match(words, _SIDE_EFFECTS),
        "private_data": _match(words, _PRIVATE),
        "realtime": _match(words, _REALTIME),
    }


def learn_platform_terms(
    market: Sequence[ToolRecord],
    training: Sequence[ToolRecord],
    *,
    min_servers: int = 3,
    min_capitalised: float = 0.9,
    ratio: float = 5.0,
    min_mid_sentence: float = 0.5,
    limit: int = 500,
) -> list[str]:
    """Capitalised product-like terms that the market is dense in and the training APIs lack.

    A term is a capitalised word of the market's descriptions and server names (``Slack``,
    ``HubSpot``; all-capital acronyms are left to the curated list). It is kept when it appears
    in the tools of at least ``min_servers`` servers; when at least ``min_capitalised`` of its
    market occurrences are capitalised (product names keep their capital, ordinary words do
    not); when at least ``min_mid_sentence`` of the descriptions that hold it hold it in the
    middle of a sentence (after a lower-case word or a comma: a capital that is not there because
    a sentence or a line starts); when its share of market tools is at least ``ratio`` times its
    share of training APIs (smoothed by half an occurrence); and when it is not a programming or
    human language, a day, a month or a generic word (:data:`_NOT_PLATFORMS`). At most ``limit``
    terms, most market-specific first.

    Terms whose lower-case form never occurs in the training APIs come back in lower case and
    match in any case (like the curated names: ``todoist_add_task``); the others keep their
    capitals and match only as written (``Linear``, not "linear regression").
    """
    capital_servers: dict[str, set[str]] = defaultdict(set)
    capital_count: Counter[str] = Counter()
    in_description: Counter[str] = Counter()
    mid_sentence: Counter[str] = Counter()
    any_count_market: Counter[str] = Counter()
    for record in market:
        text = f"{record.server or ''} {record.description}"
        for term in set(_CAPITALISED.findall(text)):
            capital_servers[term].add(record.server or record.name)
            capital_count[term] += 1
        description = record.description
        found = [(m.group(0), bool(_MID_SENTENCE.search(description[max(0, m.start() - 40) : m.start()])))
                 for m in _CAPITALISED.finditer(description)]
        in_description.update({term for term, _ in found})
        mid_sentence.update({term for term, mid in found if mid})
        for word in set(_text_words(text)):
            any_count_market[word] += 1
    candidates = {t for t, servers in capital_servers.items() if len(servers) >= min_servers}
    if not candidates:
        return []
    lowered = {t.lower() for t in candidates}
    training_count: Counter[str] = Counter()
    for record in training:
        words = set(_name_words(record.name)) | set(_text_words(record.description))
        training_count.update(words & lowered)
    n_market, n_training = max(len(market), 1), max(len(training), 1)
    kept: list[tuple[float, str]] = []
    for term in candidates:
        low = term.lower()
        if low in _NOT_PLATFORMS or len(term) < 3:
            continue
        if capital_count[term] < min_capitalised * any_count_market[low]:
            continue
        if mid_sentence[term] < min_mid_sentence * max(in_description[term], 1):
            continue
        market_share = capital_count[term] / n_market
        training_share = (training_count[low] + 0.5) / n_training
        if market_share >= ratio * training_share:
            kept.append((market_share / training_share, term if training_count[low] else low))
    kept.sort(key=lambda item: (-item[0], item[1]))
    return [term for _, term in kept[:limit]]


# ---- results ------------------------------------------------------------------------------
@dataclass
class Applicability:
    """Whether one tool can be simulated: the ``score`` in [0, 1] (the coverage, discounted for
    each reason to prefer the real tool; see the module docstring), the ``verdict`` (one of
    :data:`VERDICTS`), the ``reasons``, and ``neighbours`` (the nearest training APIs, then the
    nearest market tools: ``side``, ``name``, ``server``, ``origin``, ``similarity``,
    ``description``). ``coverage`` is the calibrated percentile itself."""

    tool: str
    score: float
    verdict: str
    reasons: list[str]
    neighbours: list[dict[str, Any]]
    coverage: float = math.nan
    similarity: float = math.nan  # the statistic s(t): similarity to the nearest training API(s)
    market_similarity: float = math.nan  # similarity to the nearest market tool
    flags: dict[str, list[str]] = field(default_factory=dict)
    market_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("coverage", "similarity", "market_similarity"):
            if isinstance(out[key], float) and math.isnan(out[key]):
                out[key] = None
        return out

    @property
    def meaning(self) -> str:
        """The verdict in words."""
        return VERDICT_MEANING[self.verdict]


def decide(
    coverage: float,
    flags: Mapping[str, Sequence[str]],
    *,
    market_only: str | None = None,
    low: float = LOW,
    mid: float = MID,
) -> tuple[str, float, list[str]]:
    """The verdict, the score and the reasons for a coverage and the flags (rules in the module
    docstring). ``market_only`` describes the market-only region the tool lies in, if any. The
    reasons come in a fixed order: coverage, market-only region, platform, side effects, private
    data, real-time facts."""
    reasons: list[str] = []
    share = f"closer to its nearest training API than {coverage:.0%} of the training APIs are to theirs"
    if coverage < low:
        reasons.append(f"low coverage ({coverage:.2f}): {share}")
    elif coverage < mid:
        reasons.append(f"limited coverage ({coverage:.2f}): {share}")
    else:
        reasons.append(f"covered ({coverage:.2f}): {share}")
    score = coverage
    if market_only:
        reasons.append(f"in a market-only region: {market_only}")
        score *= DISCOUNTS["market_only"]
    labels = {
        "platform": "depends on a named external platform",
        "side_effects": "acts on the outside world",
        "private_data": "touches private data",
        "realtime": "needs real-time facts",
    }
    for key, label in labels.items():
        if flags.get(key):
            reasons.append(f"{label}: {', '.join(flags[key])}")
            score *= DISCOUNTS[key]
    bound = any(flags.get(k) for k in labels)
    if coverage < low:
        verdict = DO_NOT_SIMULATE if bound else FINE_TUNE_FIRST
    elif bound:
        verdict = WARM_UP
    else:
        verdict = SIMULATE
    return verdict, float(score), reasons


# ---- inputs -------------------------------------------------------------------------------
_NAME_LIKE = re.compile(r"^[A-Za-z0-9_.\-/]{1,100}$")


def _looks_like_name(head: str) -> bool:
    """A tool name: no spaces, and snake/kebab/dotted, camelCase or all lower case
    (``get_weather``, ``getWeather``, ``weather``; not a capitalised word such as ``Note``)."""
    if not _NAME_LIKE.match(head):
        return False
    return any(c in head for c in "_.-/") or head == head.lower() or bool(re.search(r"[a-z][A-Z]", head))


def as_record(tool: Any, *, source: str = "query") -> ToolRecord:
    """A ToolRecord for any tool the index scores: a ToolRecord, a ToolSpec, a mapping (MCP
    tool, OpenAI function, catalog line or market row), a ``(name, description)`` pair, or a
    text — ``"name: description"`` when the part before the first colon looks like a tool name
    (no spaces; snake_case, kebab-case, dotted, camelCase or lower case), else a description
    alone."""
    if isinstance(tool, ToolRecord):
        return tool
    if isinstance(tool, ToolSpec):
        return record_from_spec(tool, source=source)
    if isinstance(tool, Mapping):
        inner = tool.get("function") if isinstance(tool.get("function"), Mapping) else tool
        name = inner.get("name") or inner.get("tool") or ""
        schema = inner.get("inputSchema") or inner.get("input_schema") or inner.get("parameters") or {}
        server = tool.get("server")
        return ToolRecord(
            server=str(server) if server else None,
            name=str(name),
            description=str(inner.get("description") or ""),
            input_schema=dict(schema) if isinstance(schema, Mapping) else {},
            source=source,
        )
    if isinstance(tool, tuple) and len(tool) in (2, 3) and all(isinstance(p, str) or p is None for p in tool[:2]):
        name, description = tool[0] or "", tool[1] or ""
        server = tool[2] if len(tool) == 3 else None
        return ToolRecord(server=server, name=name, description=description, input_schema={}, source=source)
    if isinstance(tool, str):
        text = tool.strip()
        if not text:
            raise ScopeIndexError("an empty text cannot be scored; give a name and a description")
        head, sep, rest = text.partition(":")
        if sep and _looks_like_name(head.strip()) and rest.strip():
            return ToolRecord(server=None, name=head.strip(), description=rest.strip(), input_schema={}, source=source)
        return ToolRecord(server=None, name="", description=text, input_schema={}, source=source)
    raise ScopeIndexError(
        f"cannot score {type(tool).__name__} {tool!r:.80}: pass a ToolSpec, a ToolRecord, a mapping, "
        "a (name, description) pair or a 'name: description' text"
    )


def _label(record: ToolRecord) -> str:
    if record.name:
        return record.label
    text = record.description
    return text if len(text) <= 60 else text[:57] + "..."


# ---- the index ----------------------------------------------------------------------------
def _sample(records: list[ToolRecord], n: int | None, seed: int) -> list[ToolRecord]:
    if n is None or n >= len(records):
        return list(records)
    if n < 1:
        raise ScopeIndexError(f"a sample needs at least one tool, got {n}")
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(records), size=n, replace=False))
    return [records[i] for i in keep]


def _topk(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest entries of each row, largest first."""
    k = min(k, sims.shape[1])
    if k == 0:
        return np.zeros((sims.shape[0], 0), dtype=np.int64), np.zeros((sims.shape[0], 0), dtype=np.float32)
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else np.tile(np.arange(sims.shape[1]), (sims.shape[0], 1))
    vals = np.take_along_axis(sims, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def _texts(records: Sequence[ToolRecord]) -> list[str]:
    from .embed import tool_text

    return [tool_text(r) if r.name else r.description for r in records]


def leave_one_out(vectors: np.ndarray, texts: Sequence[str] | None = None, *, k: int = 1, chunk: int = 1024) -> np.ndarray:
    """For each row, the mean similarity to its ``k`` nearest *other* rows; rows with the
    same text (exact copies) are not counted as neighbours. Sorted ascending."""
    n = len(vectors)
    if n < 2:
        raise ScopeIndexError("the calibration needs at least two training APIs")
    groups: dict[str, list[int]] = defaultdict(list)
    if texts is not None:
        for i, t in enumerate(texts):
            groups[t].append(i)
    copies = {i: g for g in groups.values() if len(g) > 1 for i in g}
    out = np.empty(n, dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        sims = vectors[start:stop] @ vectors.T
        rows = np.arange(start, stop)
        sims[rows - start, rows] = -np.inf
        for i in range(start, stop):
            if i in copies:
                sims[i - start, copies[i]] = -np.inf
        _, vals = _topk(sims, k)
        vals = np.where(np.isfinite(vals), vals, np.nan)
        out[start:stop] = np.nan_to_num(np.nanmean(vals, axis=1), nan=-1.0) if vals.size else -1.0
    return np.sort(out)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread for a few short texts. Measured on two shared cores: one query
    took ~25 ms on one thread and ~500 ms on two (the threads contend with other processes and
    wait on each other); big batches keep torch's default."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class ScopeIndex:
    """The training APIs and the market tools with their embeddings, ready to score tools.

    Build it with :meth:`build` (embeds both sides, through the embedder's disk cache), keep it
    with :meth:`save` and read it back with :meth:`load`; then :meth:`score` takes well under
    100 ms a tool (one embedding and two matrix-vector products).

    ``embedder`` is anything with ``embed(texts) -> normalised rows`` and ``model_id``; the
    index refuses to score with an embedder of another model than it was built with.
    """

    def __init__(
        self,
        training: Sequence[ToolRecord],
        training_vectors: np.ndarray,
        market: Sequence[ToolRecord],
        market_vectors: np.ndarray,
        *,
        embedder: TextEmbedder | None = None,
        model_id: str | None = None,
        calibration: np.ndarray | None = None,
        platform_terms: Sequence[str] | None = None,
        coverage_k: int = 1,
        neighbours_k: int = 5,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.training = list(training)
        self.market = list(market)
        self.training_vectors = np.ascontiguousarray(training_vectors, dtype=np.float32)
        self.market_vectors = np.ascontiguousarray(market_vectors, dtype=np.float32)
        if len(self.training) != len(self.training_vectors) or len(self.market) != len(self.market_vectors):
            raise ScopeIndexError("each record needs exactly one vector")
        if not self.training:
            raise ScopeIndexError("the index needs training APIs")
        if self.market_vectors.size and self.market_vectors.shape[1] != self.training_vectors.shape[1]:
            raise ScopeIndexError("the training and market vectors have different sizes")
        self.embedder = embedder
        self.model_id = model_id or getattr(embedder, "model_id", None) or "unknown"
        self.coverage_k = max(1, int(coverage_k))
        self.neighbours_k = int(neighbours_k)
        if calibration is None:
            calibration = leave_one_out(self.training_vectors, _texts(self.training), k=self.coverage_k)
        self.calibration = np.sort(np.asarray(calibration, dtype=np.float32))
        if platform_terms is None:
            platform_terms = learn_platform_terms(self.market, self.training) if self.market else []
        self.platform_terms = list(platform_terms)
        self.info = dict(info or {})
        self._quick: TextEmbedder | None = None

    def __repr__(self) -> str:
        return (
            f"ScopeIndex({len(self.training)} training APIs, {len(self.market)} market tools, "
            f"model={self.model_id!r})"
        )

    # ---- building ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        training: Sequence[ToolRecord] | str | Path | None = None,
        market: Sequence[ToolRecord] | str | Path | None = None,
        *,
        embedder: TextEmbedder | None = None,
        sample: int | None = None,
        seed: int = 0,
        coverage_k: int = 1,
        neighbours_k: int = 5,
    ) -> ScopeIndex:
        """Embed the training APIs and the market tools (records, specs or a Catalog; default:
        the public data of ``GTM_DATA_DIR``; a path loads that file) and calibrate. ``sample`` keeps that many
        tools of each side, drawn with ``seed``."""
        from .market import load_market, load_training

        started = time.perf_counter()
        if training is None or isinstance(training, (str, Path)):
            training = load_training(training)
        if market is None or isinstance(market, (str, Path)):
            market = load_market(market)
        training = _sample([as_record(t, source="training") for t in training], sample, seed)
        market = _sample([as_record(t, source="market") for t in market], sample, seed + 1)
        if embedder is None:
            from .embed import Embedder

            embedder = Embedder()
        training_vectors = embedder.embed(_texts(training))
        market_vectors = embedder.embed(_texts(market)) if market else np.zeros((0, training_vectors.shape[1]), np.float32)
        index = cls(
            training,
            training_vectors,
            market,
            market_vectors,
            embedder=embedder,
            coverage_k=coverage_k,
            neighbours_k=neighbours_k,
            info={"sample": sample, "seed": seed},
        )
        index.info["build_seconds"] = round(time.perf_counter() - started, 3)
        return index

    # ---- saving and loading ----------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the index to one ``.npz`` file (vectors as float16, records as JSON), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)

        def rows(records: Sequence[ToolRecord]) -> list[list[Any]]:
            return [
                [r.server, r.name, r.description[:_DESCRIPTION_KEPT], r.source, r.origin, r.category]
                for r in records
            ]

        meta = {
            "version": INDEX_VERSION,
            "model_id": self.model_id,
            "coverage_k": self.coverage_k,
            "neighbours_k": self.neighbours_k,
            "platform_terms": self.platform_terms,
            "info": self.info,
            "training": rows(self.training),
            "market": rows(self.market),
        }
        blob = gzip.compress(json.dumps(meta, ensure_ascii=False).encode("utf-8"), compresslevel=3, mtime=0)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            meta=np.frombuffer(blob, dtype=np.uint8),
            training=self.training_vectors.astype(np.float16),
            market=self.market_vectors.astype(np.float16),
            calibration=self.calibration,
        )
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(buffer.getbuffer())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | Path, *, embedder: TextEmbedder | None = None) -> ScopeIndex:
        """Read an index written by :meth:`save`. Without ``embedder``, one for the index's
        model is made on the first query."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(gzip.decompress(data["meta"].tobytes()).decode("utf-8"))
                training_vectors = data["training"].astype(np.float32)
                market_vectors = data["market"].astype(np.float32)
                calibration = data["calibration"]
        except FileNotFoundError:
            raise ScopeIndexError(f"{path}: no such index file") from None
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise ScopeIndexError(f"{path}: not a scope index ({exc}); build it again") from exc
        if meta.get("version") != INDEX_VERSION:
            raise ScopeIndexError(f"{path}: an index of version {meta.get('version')}, this toolkit reads {INDEX_VERSION}; build it again")

        def records(rows: list[list[Any]]) -> list[ToolRecord]:
            return [ToolRecord(s, n, d, {}, src, o, c) for s, n, d, src, o, c in rows]

        if embedder is not None and getattr(embedder, "model_id", meta["model_id"]) != meta["model_id"]:
            raise ScopeIndexError(
                f"{path} was built with the model {meta['model_id']!r}, not {embedder.model_id!r}"
            )
        return cls(
            records(meta["training"]),
            training_vectors,
            records(meta["market"]),
            market_vectors,
            embedder=embedder,
            model_id=meta["model_id"],
            calibration=calibration,
            platform_terms=meta["platform_terms"],
            coverage_k=meta["coverage_k"],
            neighbours_k=meta["neighbours_k"],
            info=meta.get("info"),
        )

    # ---- scoring ---------------------------------------------------------------------------
    def _embedder(self) -> TextEmbedder:
        if self.embedder is None:
            from .embed import DEFAULT_MODEL, Embedder

            self.embedder = Embedder(None if self.model_id == DEFAULT_MODEL else self.model_id, progress=False)
        if getattr(self.embedder, "model_id", self.model_id) != self.model_id:
            raise ScopeIndexError(f"the index was built with {self.model_id!r}, the embedder is {self.embedder.model_id!r}")
        return self.embedder

    def percentile(self, similarity: np.ndarray | float) -> np.ndarray:
        """The mid-rank percentile of similarities within the calibration (the coverage)."""
        s = np.asarray(similarity, dtype=np.float32)
        below = np.searchsorted(self.calibration, s, side="left")
        upto = np.searchsorted(self.calibration, s, side="right")
        return np.clip((below + 0.5 * (upto - below)) / len(self.calibration), 0.0, 1.0)

    def score(self, tool: Any, *, k: int | None = None) -> Applicability:
        """Score one tool (a ToolSpec, ToolRecord, mapping, ``(name, description)`` pair or a
        ``"name: description"`` text); ``k`` neighbours of each side (default: the index's)."""
        return self.score_many([tool], k=k)[0]

    def _query_embedder(self, n: int) -> TextEmbedder:
        """The embedder for ``n`` texts: for a few, a twin of a disk-caching Embedder that skips
        the cache (a cache write costs more than embedding one short text)."""
        embedder = self._embedder()
        from .embed import Embedder

        if n <= _FEW_TEXTS and isinstance(embedder, Embedder) and embedder.cache:
            if self._quick is None:
                self._quick = Embedder(
                    embedder.model, cache=False, progress=False, batch_size=embedder.batch_size, device=embedder.device
                )
            return self._quick
        return embedder

    def embed_tools(self, tools: Iterable[Any]) -> tuple[list[ToolRecord], np.ndarray]:
        """The records of ``tools`` and their vectors, embedded with the index's model."""
        records = [as_record(t) for t in tools]
        if not records:
            return records, np.zeros((0, self.training_vectors.shape[1]), np.float32)
        embedder = self._query_embedder(len(records))
        if len(records) <= _FEW_TEXTS:
            with _one_thread():
                vectors = embedder.embed(_texts(records))
        else:
            vectors = embedder.embed(_texts(records))
        return records, np.asarray(vectors, dtype=np.float32)

    def score_many(
        self, tools: Iterable[Any], *, k: int | None = None, batch_size: int = 512
    ) -> list[Applicability]:
        """Score many tools (a Catalog, a list of records, specs or texts), embedded in one
        batch and compared in blocks of ``batch_size``."""
        records, vectors = self.embed_tools(tools)
        return self.score_vectors(records, vectors, k=k, batch_size=batch_size)

    def score_vectors(
        self, records: Sequence[ToolRecord], vectors: np.ndarray, *, k: int | None = None, batch_size: int = 512
    ) -> list[Applicability]:
        """Score tools whose vectors are known (rows of the index's model)."""
        k = self.neighbours_k if k is None else k
        results: list[Applicability] = []
        kt = max(k, self.coverage_k)
        for start in range(0, len(records), batch_size):
            block = vectors[start : start + batch_size]
            t_idx, t_val = _topk(block @ self.training_vectors.T, kt)
            if self.market_vectors.size:
                m_idx, m_val = _topk(block @ self.market_vectors.T, max(k, 1))
            else:
                m_idx = np.zeros((len(block), 0), np.int64)
                m_val = np.zeros((len(block), 0), np.float32)
            stat = t_val[:, : self.coverage_k].mean(axis=1)
            coverages = self.percentile(stat)
            for row, record in enumerate(records[start : start + batch_size]):
                neighbours = [self._neighbour("training", self.training[i], v) for i, v in zip(t_idx[row, :k], t_val[row, :k])]
                neighbours += [self._neighbour("market", self.market[i], v) for i, v in zip(m_idx[row, :k], m_val[row, :k])]
                flags = find_flags(record, self.platform_terms)
                coverage = float(coverages[row])
                similarity = float(stat[row])
                market_sim = float(m_val[row, 0]) if m_val.shape[1] else math.nan
                region = None
                if m_val.shape[1] and market_sim - similarity >= MARKET_MARGIN and coverage < MID:
                    nearest_m = self.market[int(m_idx[row, 0])]
                    region = (
                        f"the market tool {_label(nearest_m)!r} is much closer ({market_sim:.2f}) "
                        f"than any training API ({similarity:.2f})"
                    )
                verdict, score, reasons = decide(coverage, flags, market_only=region)
                if t_val.shape[1]:
                    nearest = self.training[int(t_idx[row, 0])]
                    reasons[0] += f" (nearest: {_label(nearest)!r}, similarity {t_val[row, 0]:.2f})"
                results.append(
                    Applicability(
                        tool=_label(record),
                        score=score,
                        verdict=verdict,
                        reasons=reasons,
                        neighbours=neighbours,
                        coverage=coverage,
                        similarity=similarity,
                        market_similarity=market_sim,
                        flags=flags,
                        market_only=region is not None,
                    )
                )
        return results

    @staticmethod
    def _neighbour(side: str, record: ToolRecord, similarity: float) -> dict[str, Any]:
        description = record.description if len(record.description) <= 200 else record.description[:197] + "..."
        return {
            "side": side,
            "name": record.name,
            "server": record.server,
            "origin": record.origin,
            "similarity": round(float(similarity), 4),
            "description": description,
        }

    def scores_frame(self, tools: Iterable[Any], *, k: int | None = None) -> pd.DataFrame:
        """Score ``tools`` and return :func:`scores_frame` of the results."""
        return scores_frame(self.score_many(tools, k=k))

    def calibration_frame(self) -> pd.DataFrame:
        """The calibration as a table: the similarity at each percentile of the training
        APIs' leave-one-out nearest-neighbour similarities."""
        import pandas as pd

        qs = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
        return pd.DataFrame({"percentile": qs, "similarity": np.quantile(self.calibration, qs)})


def scores_frame(results: Iterable[Applicability]) -> pd.DataFrame:
    """One row per scored tool: tool, score, verdict, coverage, similarity, market_similarity,
    market_only, the four flags (the words that raised them, joined), nearest_training,
    nearest_market, reasons (joined with "; ")."""
    import pandas as pd

    rows = []
    for r in results:
        training = [n for n in r.neighbours if n["side"] == "training"]
        market = [n for n in r.neighbours if n["side"] == "market"]
        rows.append(
            {
                "tool": r.tool,
                "score": r.score,
                "verdict": r.verdict,
                "coverage": r.coverage,
                "similarity": r.similarity,
                "market_similarity": r.market_similarity,
                "market_only": r.market_only,
                "platform": ", ".join(r.flags.get("platform", [])),
                "side_effects": ", ".join(r.flags.get("side_effects", [])),
                "private_data": ", ".join(r.flags.get("private_data", [])),
                "realtime": ", ".join(r.flags.get("realtime", [])),
                "nearest_training": training[0]["name"] if training else None,
                "nearest_market": (f"{market[0]['server']}/{market[0]['name']}" if market[0]["server"] else market[0]["name"]) if market else None,
                "reasons": "; ".join(r.reasons),
            }
        )
    columns = [
        "tool", "score", "verdict", "coverage", "similarity", "market_similarity", "market_only",
        "platform", "side_effects",
        "private_data", "realtime", "nearest_training", "nearest_market", "reasons",
    ]
    return pd.DataFrame(rows, columns=columns)


def index_key(*parts: Any) -> str:
    """A short hash of what an index was built from (for cache file names)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
