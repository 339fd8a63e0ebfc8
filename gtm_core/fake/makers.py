"""Small makers of realistic strings: dates, emails, URLs, ids, tokens, phone numbers ...

``text_for(kind, words, rng)`` makes a string for a kind of value (see ``vocabulary``), with
the property name's words for the shape of ids, URLs and labels; ``FORMAT_MAKERS`` maps each
JSON Schema ``format`` to a maker of strings that the strict format checker accepts. Every
maker draws only from the ``random.Random`` it is given.
"""

from __future__ import annotations

import datetime
import random
import string
import uuid
from collections.abc import Callable

from .vocabulary import (
    CATEGORIES,
    CITIES,
    COLORS,
    COMPANIES,
    CONDITIONS,
    CURRENCIES,
    DOMAINS,
    FILE_EXTENSIONS,
    FIRST_NAMES,
    JOB_TITLES,
    LANGUAGES,
    LAST_NAMES,
    NUMBER_RANGES,
    PRODUCTS,
    QUERIES,
    SENTENCES,
    STATUSES,
    STREETS,
    SYMBOLS,
    TIMEZONES,
    TITLES,
    TOPICS,
    id_prefix,
)  # fmt: skip

__all__ = ["FORMAT_MAKERS", "date_time", "prefixed_id", "text_for", "token", "url"]

_ALNUM = string.ascii_lowercase + string.digits
_EPOCH = datetime.date(2023, 6, 1)


def _date(rng: random.Random) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=rng.randrange(700))


def _clock(rng: random.Random) -> str:
    return f"{rng.randrange(7, 22):02d}:{rng.choice((0, 15, 30, 45, rng.randrange(60))):02d}:{rng.randrange(60):02d}"


def date_time(rng: random.Random) -> str:
    """An RFC 3339 UTC date-time in 2023-2025: ``2024-03-09T14:30:12Z``."""
    return f"{_date(rng).isoformat()}T{_clock(rng)}Z"


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _email(rng: random.Random) -> str:
    first, last = _person(rng)
    return f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}"


def _slug(words: tuple[str, ...], rng: random.Random) -> str:
    base = "-".join(w for w in words if w not in ("url", "uri", "link", "href", "id")) or rng.choice(TOPICS).replace(" ", "-")
    return f"{base}/{rng.randrange(100, 10000)}"


def url(rng: random.Random, words: tuple[str, ...] = ()) -> str:
    """An https URL on an example domain whose path is made of ``words``."""
    return f"https://www.{rng.choice(DOMAINS[:3])}/{_slug(words, rng)}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def token(rng: random.Random, length: int) -> str:
    """``length`` random lower-case letters and digits."""
    return "".join(rng.choice(_ALNUM) for _ in range(length))


def prefixed_id(rng: random.Random, words: tuple[str, ...]) -> str:
    """An id with a prefix from the name's noun (``order_id`` -> ``ord_8f3k2a``), or a bare token."""
    prefix = id_prefix(words)
    return f"{prefix}_{token(rng, 6)}" if prefix else token(rng, 10)


def _ipv4(rng: random.Random) -> str:
    return f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _ipv6(rng: random.Random) -> str:
    return "2001:db8:" + ":".join(f"{rng.randrange(65536):x}" for _ in range(6))


def _hostname(rng: random.Random) -> str:
    return f"{rng.choice(('api', 'www', 'mail', 'app', 'cdn'))}.{rng.choice(DOMAINS[:3])}"


def _duration(rng: random.Random) -> str:
    return rng.choice((f"PT{rng.randrange(5, 120)}M", f"P{rng.randrange(1, 30)}D", f"PT{rng.randrange(1, 12)}H"))


def _number_text(rng: random.Random, kind: str) -> str:
    low, high, decimals = NUMBER_RANGES[kind]
    value = round(rng.uniform(low, high), decimals)
    return f"{value:.{decimals}f}"


def _phone(rng: random.Random) -> str:
    return f"+1-{rng.choice(('212', '415', '312', '617', '206'))}-555-{rng.randrange(100, 200):04d}"


FORMAT_MAKERS: dict[str, Callable[[random.Random, tuple[str, ...]], str]] = {
    "date": lambda rng, w: _date(rng).isoformat(),
    "date-time": lambda rng, w: date_time(rng),
    "time": lambda rng, w: _clock(rng) + "Z",
    "email": lambda rng, w: _email(rng),
    "idn-email": lambda rng, w: _email(rng),
    "uri": url,
    "url": url,
    "iri": url,
    "uri-reference": url,
    "iri-reference": url,
    "uuid": lambda rng, w: _uuid(rng),
    "ipv4": lambda rng, w: _ipv4(rng),
    "ipv6": lambda rng, w: _ipv6(rng),
    "hostname": lambda rng, w: _hostname(rng),
    "idn-hostname": lambda rng, w: _hostname(rng),
    "duration": lambda rng, w: _duration(rng),
    "json-pointer": lambda rng, w: f"/{rng.choice(('items', 'data', 'results'))}/{rng.randrange(10)}",
    "relative-json-pointer": lambda rng, w: f"{rng.randrange(3)}/name",
    "uri-template": lambda rng, w: f"https://api.{rng.choice(DOMAINS[:3])}/{(w or ('items',))[0]}/{{id}}",
    "regex": lambda rng, w: rng.choice(("^[a-z]+$", "^\\d{4}-\\d{2}$", "[A-Z][a-z]*")),
    "byte": lambda rng, w: rng.choice(("SGVsbG8gd29ybGQ=", "ZXhhbXBsZSBkYXRh", "R1RNIHRvb2xraXQ=")),
    "password": lambda rng, w: f"Ex4mple-{token(rng, 8)}",
    "phone": lambda rng, w: _phone(rng),
}


def text_for(kind: str | None, words: tuple[str, ...], rng: random.Random) -> str:
    """A realistic string for a kind of value."""
    maker = _STRING_KINDS.get(kind or "")
    if maker is not None:
        return maker(rng, words)
    if kind in NUMBER_RANGES:
        return _number_text(rng, kind)
    return _plain_word(rng, words)


def _plain_word(rng: random.Random, words: tuple[str, ...]) -> str:
    """A generic short string for a property whose name says nothing known: a label made of the name."""
    if not words:
        return rng.choice(TOPICS)
    return f"{' '.join(words).capitalize()} {rng.randrange(1, 100)}"


def _city_field(index: int) -> Callable[[random.Random, tuple[str, ...]], str]:
    return lambda rng, w: rng.choice(CITIES)[index]  # type: ignore[return-value]


_STRING_KINDS: dict[str, Callable[[random.Random, tuple[str, ...]], str]] = {
    "first_name": lambda rng, w: rng.choice(FIRST_NAMES),
    "last_name": lambda rng, w: rng.choice(LAST_NAMES),
    "person": lambda rng, w: " ".join(_person(rng)),
    "username": lambda rng, w: f"{rng.choice(FIRST_NAMES).lower()}_{rng.choice(LAST_NAMES).lower()}{rng.randrange(10, 100)}",
    "email": lambda rng, w: _email(rng),
    "phone": lambda rng, w: _phone(rng),
    "city": _city_field(0),
    "country": _city_field(1),
    "country_code": _city_field(2),
    "region": _city_field(3),
    "address": lambda rng, w: f"{rng.randrange(1, 400)} {rng.choice(STREETS)}",
    "zip": lambda rng, w: f"{rng.randrange(10000, 99999)}",
    "company": lambda rng, w: rng.choice(COMPANIES),
    "title": lambda rng, w: rng.choice(TITLES),
    "job_title": lambda rng, w: rng.choice(JOB_TITLES),
    "product": lambda rng, w: rng.choice(PRODUCTS),
    "url": url,
    "image_url": lambda rng, w: f"https://images.{rng.choice(DOMAINS[:3])}/{token(rng, 8)}.jpg",
    "id": prefixed_id,
    "uuid": lambda rng, w: _uuid(rng),
    "currency": lambda rng, w: rng.choice(CURRENCIES),
    "date": lambda rng, w: _date(rng).isoformat(),
    "datetime": lambda rng, w: date_time(rng),
    "time": lambda rng, w: _clock(rng)[:5],
    "status": lambda rng, w: rng.choice(STATUSES),
    "text": lambda rng, w: rng.choice(SENTENCES),
    "language": lambda rng, w: rng.choice(LANGUAGES)[1],
    "language_code": lambda rng, w: rng.choice(LANGUAGES)[0],
    "locale": lambda rng, w: f"{rng.choice(LANGUAGES)[0]}-{rng.choice(CITIES)[2]}",
    "color": lambda rng, w: rng.choice(COLORS),
    "gender": lambda rng, w: rng.choice(("female", "male", "non-binary")),
    "month": lambda rng, w: datetime.date(2024, rng.randrange(1, 13), 1).strftime("%B"),
    "category": lambda rng, w: rng.choice(CATEGORIES),
    "tag": lambda rng, w: rng.choice(TOPICS),
    "query": lambda rng, w: rng.choice(QUERIES),
    "path": lambda rng, w: f"/home/user/documents/{rng.choice(TOPICS).replace(' ', '_')}.{rng.choice(FILE_EXTENSIONS)}",
    "filename": lambda rng, w: f"{rng.choice(TOPICS).replace(' ', '_')}_{rng.randrange(2019, 2026)}.{rng.choice(FILE_EXTENSIONS)}",
    "hostname": lambda rng, w: _hostname(rng),
    "ipv4": lambda rng, w: _ipv4(rng),
    "token": lambda rng, w: token(rng, 24),
    "password": lambda rng, w: f"Ex4mple-{token(rng, 8)}",
    "version": lambda rng, w: f"{rng.randrange(1, 5)}.{rng.randrange(10)}.{rng.randrange(20)}",
    "symbol": lambda rng, w: rng.choice(SYMBOLS),
    "timezone": lambda rng, w: rng.choice(TIMEZONES),
    "sku": lambda rng, w: f"SKU-{rng.randrange(10000, 99999)}",
    "method": lambda rng, w: rng.choice(("GET", "POST", "PUT", "DELETE")),
    "mime": lambda rng, w: rng.choice(("application/json", "text/html", "image/png", "text/csv")),
    "condition": lambda rng, w: rng.choice(CONDITIONS),
    "duration": lambda rng, w: _duration(rng),
    "code": lambda rng, w: f"{''.join(rng.choice(string.ascii_uppercase) for _ in range(3))}{rng.randrange(100, 1000)}",
    "number": lambda rng, w: f"{(id_prefix(w) or 'no').upper()}-{rng.randrange(10000, 100000)}",
}
