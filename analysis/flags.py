"""Flags: the words that make a tool depend on the world outside a simulation.

:func:`find_flags` looks in a tool's name, description and server (names are split into
words) and raises these flags, each with the words that raised it:

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

How the flags weigh on the score and the verdict: :mod:`analysis.verdicts`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .market import ToolRecord

__all__ = [
    "PLATFORMS",
    "PRIVATE_WORDS",
    "REALTIME_WORDS",
    "SIDE_EFFECT_WORDS",
    "find_flags",
    "learn_platform_terms",
]

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



def _as_written(terms: Iterable[str]) -> re.Pattern[str]:
    """One pattern for terms that match only as written, not inside a longer word."""
    return re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(t) for t in terms) + r")(?![A-Za-z])")


_AS_WRITTEN = _as_written(_PLATFORM_AS_WRITTEN)


@functools.lru_cache(maxsize=16)
def _learned_matcher(terms: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[tuple[str, ...], str]]:
    """The learned terms as one pattern for those that match as written, and a word index for
    the lower-case ones, which match in any case (the convention of :data:`PLATFORMS`)."""
    written = sorted((t for t in terms if t != t.lower()), key=len, reverse=True)
    pattern = _as_written(written) if written else None
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
