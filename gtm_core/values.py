"""Realistic fake values for JSON Schemas, with no dependencies beyond the standard library.

``fake_value(schema, name, rng)`` returns a value that is valid against ``schema`` (types,
enums, ranges, lengths, simple patterns, formats, arrays, nested objects, combinators and
local ``$ref``) and that looks like what a real API would send: a property called ``city``
gets a city, ``order_id`` gets ``"ord_8f3k2a"``, ``price`` gets ``49.99``. The property's name
(and, failing that, its description) picks the kind of value; the schema has the last word.

``fake_object_for(spec, rng)`` makes a plausible JSON object for a tool that has no response
schema, from the tool's name, description and arguments.

Everything is deterministic given the ``random.Random`` passed in, and nothing here raises
for a schema it cannot satisfy: it returns its best attempt instead.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import random
import re
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from .spec import ToolSpec

__all__ = ["conforms", "fake_object_for", "fake_value", "name_words"]

# ---- value tables (a dozen entries each) ------------------------------------------------
FIRST_NAMES = ("Maria", "James", "Aisha", "Wei", "Lucas", "Sofia", "Kenji", "Amara", "Noah", "Elena", "Omar", "Priya")
LAST_NAMES = ("Garcia", "Smith", "Khan", "Chen", "Silva", "Rossi", "Tanaka", "Okafor", "Miller", "Novak", "Haddad", "Patel")
# city, country, ISO country code, region, latitude, longitude
CITIES = (
    ("Lisbon", "Portugal", "PT", "Lisbon District", 38.7223, -9.1393),
    ("Tokyo", "Japan", "JP", "Kanto", 35.6762, 139.6503),
    ("New York", "United States", "US", "New York", 40.7128, -74.006),
    ("Paris", "France", "FR", "Ile-de-France", 48.8566, 2.3522),
    ("Berlin", "Germany", "DE", "Berlin", 52.52, 13.405),
    ("Toronto", "Canada", "CA", "Ontario", 43.6532, -79.3832),
    ("Sydney", "Australia", "AU", "New South Wales", -33.8688, 151.2093),
    ("Mumbai", "India", "IN", "Maharashtra", 19.076, 72.8777),
    ("Sao Paulo", "Brazil", "BR", "Sao Paulo", -23.5505, -46.6333),
    ("Nairobi", "Kenya", "KE", "Nairobi County", -1.2921, 36.8219),
    ("Seoul", "South Korea", "KR", "Seoul Capital Area", 37.5665, 126.978),
    ("Madrid", "Spain", "ES", "Community of Madrid", 40.4168, -3.7038),
)
STREETS = ("Baker Street", "Main Street", "Oak Avenue", "Rua Augusta", "Maple Drive", "Elm Road",
           "Park Lane", "Sunset Boulevard", "Market Street", "King Street", "High Street", "Cedar Lane")  # fmt: skip
COMPANIES = ("Acme Corp", "Globex", "Initech", "Northwind Traders", "Contoso", "Blue Harbor Logistics",
             "Pinecrest Labs", "Vertex Systems", "Summit Foods", "Brightline Media", "Orbit Health", "Redwood Capital")  # fmt: skip
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "CNY", "INR", "BRL", "SEK", "MXN")
LANGUAGES = (("en", "English"), ("es", "Spanish"), ("fr", "French"), ("de", "German"), ("pt", "Portuguese"),
             ("ja", "Japanese"), ("zh", "Chinese"), ("it", "Italian"), ("ko", "Korean"), ("ar", "Arabic"),
             ("hi", "Hindi"), ("nl", "Dutch"))  # fmt: skip
STATUSES = ("active", "pending", "completed", "processing", "confirmed", "shipped")
COLORS = ("red", "blue", "green", "black", "white", "orange", "purple", "teal", "yellow", "gray", "navy", "pink")
CONDITIONS = ("sunny", "partly cloudy", "cloudy", "light rain", "clear", "overcast", "showers", "windy")
SENTENCES = (
    "The request was processed successfully.",
    "All items are available and ready to ship.",
    "Results are based on the most recent data available.",
    "This entry was last reviewed by the support team.",
    "The schedule may change depending on local conditions.",
    "Customers rated this option highly for value and reliability.",
    "Details were updated after the latest synchronisation.",
    "The service is operating normally in this region.",
    "Please allow up to two business days for processing.",
    "A confirmation has been sent to the registered address.",
    "The report covers activity from the last thirty days.",
    "No issues were found during the automated check.",
)
TITLES = ("Getting Started Guide", "Quarterly Sales Report", "Summer Travel Plans", "Weekly Team Sync",
          "Introduction to Python", "Healthy Breakfast Ideas", "Annual Budget Review", "City Marathon 2024",
          "Product Launch Checklist", "Customer Feedback Summary", "Home Office Setup", "Beginner Photography Tips")  # fmt: skip
PRODUCTS = ("Wireless Headphones", "Espresso Machine", "Running Shoes", "Smart Watch", "Desk Lamp", "Backpack",
            "Yoga Mat", "Bluetooth Speaker", "Coffee Grinder", "Laptop Stand", "Water Bottle", "Office Chair")  # fmt: skip
JOB_TITLES = ("Software Engineer", "Product Manager", "Data Analyst", "UX Designer", "Sales Director", "Nurse",
              "Teacher", "Accountant", "Marketing Lead", "Mechanical Engineer", "Pharmacist", "Chef")  # fmt: skip
CATEGORIES = ("electronics", "books", "clothing", "home", "sports", "travel", "food", "health", "music",
              "finance", "education", "entertainment")  # fmt: skip
TOPICS = ("travel", "budgeting", "coffee", "fitness", "machine learning", "history", "jazz", "recipes",
          "climate", "startups", "photography", "gardening")  # fmt: skip
QUERIES = ("best coffee shops nearby", "how to learn python", "cheap flights to Tokyo", "weather this weekend",
           "healthy dinner recipes", "electric cars 2024", "museum opening hours", "running shoes for beginners",
           "history of jazz", "remote work tips", "budget travel Europe", "home workout plan")  # fmt: skip
TIMEZONES = ("Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Europe/Berlin", "America/Los_Angeles",
             "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "Africa/Nairobi", "Asia/Seoul",
             "Europe/Paris", "America/Toronto")  # fmt: skip
SYMBOLS = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "NFLX", "IBM", "ORCL", "SAP", "INTC")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
FILE_EXTENSIONS = ("pdf", "csv", "txt", "png", "docx", "json")
_ALNUM = string.ascii_lowercase + string.digits
_PRINTABLE = string.ascii_letters + string.digits + "-_. "

# ---- names -> kinds ------------------------------------------------------------------------
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_EXACT: dict[str, str] = {
    "first_name": "first_name", "firstname": "first_name", "given_name": "first_name", "fname": "first_name",
    "last_name": "last_name", "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
    "lname": "last_name", "full_name": "person", "fullname": "person", "user_name": "username",
    "country_code": "country_code", "zip_code": "zip", "postal_code": "zip", "post_code": "zip",
    "phone_number": "phone", "lat": "latitude", "lng": "longitude", "lon": "longitude", "ip": "ipv4",
    "ip_address": "ipv4", "q": "query", "search_term": "query", "search_query": "query", "job_title": "job_title",
    "file_name": "filename", "file_path": "path", "currency_code": "currency", "language_code": "language_code",
    "lang": "language_code", "locale": "locale", "dob": "date", "date_of_birth": "date", "stock_symbol": "symbol",
    "product_name": "product", "item_name": "product", "company_name": "company", "city_name": "city",
    "country_name": "country", "street_address": "address", "home_address": "address", "time_zone": "timezone",
    "content_type": "mime", "mime_type": "mime", "http_method": "method", "weather_condition": "condition",
}  # fmt: skip
_LAST: dict[str, str] = {
    "email": "email", "mail": "email", "phone": "phone", "mobile": "phone", "telephone": "phone", "tel": "phone",
    "fax": "phone", "city": "city", "town": "city", "location": "city", "destination": "city", "origin": "city",
    "place": "city", "country": "country", "nationality": "country", "address": "address", "street": "address",
    "zip": "zip", "zipcode": "zip", "postcode": "zip", "latitude": "latitude", "longitude": "longitude",
    "company": "company", "organization": "company", "organisation": "company", "employer": "company",
    "publisher": "company", "brand": "company", "manufacturer": "company", "vendor": "company",
    "supplier": "company", "title": "title", "headline": "title", "subject": "title", "url": "url", "uri": "url",
    "link": "url", "website": "url", "homepage": "url", "href": "url", "endpoint": "url", "id": "id",
    "identifier": "id", "uuid": "uuid", "guid": "uuid", "currency": "currency", "price": "money",
    "amount": "money", "total": "money", "cost": "money", "fee": "money", "balance": "money", "salary": "money",
    "revenue": "money", "subtotal": "money", "tax": "money", "budget": "money", "income": "money",
    "payment": "money", "fare": "money", "temperature": "temperature", "temp": "temperature",
    "humidity": "humidity", "percent": "percent", "percentage": "percent", "pct": "percent",
    "rating": "rating", "stars": "rating", "score": "score", "date": "date", "birthday": "date", "at": "datetime",
    "timestamp": "datetime", "datetime": "datetime", "time": "time", "status": "status", "state": "status",
    "description": "text", "summary": "text", "text": "text", "content": "text", "message": "text",
    "body": "text", "comment": "text", "note": "text", "notes": "text", "details": "text", "bio": "text",
    "review": "text", "answer": "text", "explanation": "text", "info": "text", "information": "text",
    "reason": "text", "instructions": "text", "feedback": "text", "caption": "text", "overview": "text",
    "abstract": "text", "snippet": "text", "language": "language", "username": "username", "login": "username",
    "handle": "username", "nickname": "username", "color": "color", "colour": "color", "count": "count",
    "quantity": "count", "qty": "count", "size": "count", "limit": "limit", "page": "page", "offset": "offset",
    "age": "age", "gender": "gender", "year": "year", "month": "month", "duration": "duration",
    "minutes": "duration", "seconds": "duration", "hours": "duration", "days": "count", "weight": "measure",
    "height": "measure", "width": "measure", "length": "measure", "distance": "measure", "speed": "measure",
    "area": "measure", "volume": "measure", "category": "category", "genre": "category", "tag": "tag",
    "tags": "tag", "keyword": "tag", "keywords": "tag", "topic": "tag", "query": "query", "search": "query",
    "path": "path", "filename": "filename", "file": "filename", "domain": "hostname", "hostname": "hostname",
    "token": "token", "secret": "token", "password": "password", "version": "version", "symbol": "symbol",
    "ticker": "symbol", "timezone": "timezone", "tz": "timezone", "product": "product", "sku": "sku",
    "method": "method", "region": "region", "province": "region", "county": "region", "image": "image_url",
    "photo": "image_url", "avatar": "image_url", "thumbnail": "image_url", "logo": "image_url",
    "picture": "image_url", "icon": "image_url", "success": "success", "ok": "success", "author": "person",
    "owner": "person", "customer": "person", "contact": "person", "recipient": "person", "sender": "person",
    "driver": "person", "patient": "person", "artist": "person", "player": "person", "manager": "person",
    "employee": "person", "assignee": "person", "organizer": "person", "condition": "condition",
    "conditions": "condition", "weather": "condition", "number": "number", "code": "code", "ids": "id",
    "result": "text", "report": "text", "recommendation": "text", "advice": "text", "analysis": "text",
    "diagnosis": "text", "prediction": "text", "translation": "text", "transcript": "text", "output": "text",
    "response": "text", "suggestion": "text", "synopsis": "text", "plot": "text", "story": "text",
    "director": "person", "actor": "person", "cast": "person", "writer": "person", "composer": "person",
    "singer": "person", "creator": "person", "founder": "person", "ceo": "person", "doctor": "person",
    "deadline": "date", "due": "date", "birthdate": "date", "expiry": "date", "expiration": "date",
}  # fmt: skip
# Word endings of run-together names ("imageurl", "imdbid", "releasedate")
_SUFFIXES = (("url", "url"), ("id", "id"), ("email", "email"), ("date", "date"), ("name", "title"), ("count", "count"))
# Words that give a kind when a description mentions them and the name gave none.
_DESCRIPTION_WORDS = frozenset(
    ["email", "city", "country", "phone", "url", "website", "address", "currency", "language", "temperature",
     "price", "date", "timestamp", "latitude", "longitude", "zip", "username", "percentage", "rating"]
)  # fmt: skip
_PERSON_WORDS = frozenset(["author", "owner", "customer", "user", "contact", "person", "employee", "patient", "driver",
                           "artist", "player", "recipient", "sender", "manager", "guest", "passenger", "student",
                           "member", "client", "host", "speaker", "doctor", "teacher", "assignee", "organizer"])  # fmt: skip
_NAME_KINDS = {"file": "filename", "company": "company", "business": "company", "organization": "company",
               "product": "product", "item": "product", "city": "city", "country": "country", "brand": "company",
               "project": "title", "event": "title", "team": "title", "course": "title", "book": "title",
               "song": "title", "movie": "title", "album": "title", "restaurant": "company", "hotel": "company",
               "store": "company", "shop": "company", "street": "address", "language": "language"}  # fmt: skip
_TRUE_LEANING = frozenset(["success", "ok", "available", "valid", "active", "enabled", "verified", "found", "exists"])

# kind -> (low, high, decimals) for numbers; integers use the rounded range
_NUMBER_RANGES: dict[str, tuple[float, float, int]] = {
    "latitude": (-60.0, 70.0, 4), "longitude": (-150.0, 150.0, 4), "money": (5.0, 500.0, 2),
    "temperature": (-5.0, 35.0, 1), "humidity": (20.0, 95.0, 0), "percent": (0.0, 100.0, 1),
    "rating": (1.0, 5.0, 1), "score": (0.0, 100.0, 1), "count": (1.0, 50.0, 0), "limit": (5.0, 50.0, 0),
    "page": (1.0, 5.0, 0), "offset": (0.0, 100.0, 0), "age": (18.0, 80.0, 0), "year": (1995.0, 2025.0, 0),
    "month": (1.0, 12.0, 0), "duration": (5.0, 180.0, 0), "measure": (1.0, 200.0, 1), "id": (1000.0, 999999.0, 0),
    "number": (1.0, 500.0, 0), "zip": (10000.0, 99999.0, 0),
}  # fmt: skip
_DEFAULT_INTEGER = (1.0, 100.0, 0)
_DEFAULT_NUMBER = (0.0, 100.0, 2)

SOFT_DEPTH = 6  # beyond this nesting only required properties and minimum items are made
HARD_DEPTH = 24  # beyond this nothing more is made
MAX_ITEMS = 1000  # no array is made longer, whatever its minItems
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_EPOCH = datetime.date(2023, 6, 1)


@lru_cache(maxsize=8192)
def name_words(name: str) -> tuple[str, ...]:
    """The lower-case words of a camelCase, snake_case or kebab-case name."""
    return tuple(w.lower() for w in _WORDS.findall(name or ""))


def _kind_of(name: str, description: str) -> str | None:
    """The kind of value a property's name (or else its description) asks for, or None."""
    kind = _kind_of_name(name)
    if kind is None and description:
        return _kind_of_description(description)
    return kind


@lru_cache(maxsize=16384)
def _kind_of_name(name: str) -> str | None:
    words = name_words(name)
    return _kind_from_words(words) if words else None


_LOWER_WORD = re.compile(r"[a-z]+")
_DESCRIPTION_LEAD = 6  # only the first words of a description say what the value is


@lru_cache(maxsize=16384)
def _kind_of_description(description: str) -> str | None:
    """The kind named by the first telling word of a description."""
    for word in _LOWER_WORD.findall(description.lower())[:_DESCRIPTION_LEAD]:
        if word in _DESCRIPTION_WORDS:
            return _LAST.get(word, word)
    return None


def _kind_from_words(words: tuple[str, ...]) -> str | None:
    joined = "_".join(words)
    if joined in _EXACT:
        return _EXACT[joined]
    last = words[-1]
    if last == "name":
        for word in words[:-1]:
            if word in _NAME_KINDS:
                return _NAME_KINDS[word]
        return "person" if len(words) == 1 or any(w in _PERSON_WORDS for w in words) else "title"
    if last in ("code", "codes") and len(words) > 1:
        for word, kind in (("country", "country_code"), ("currency", "currency"), ("language", "language_code"),
                           ("zip", "zip"), ("postal", "zip"), ("airport", "code")):  # fmt: skip
            if word in words:
                return kind
    if last in _LAST:
        return _LAST[last]
    singular = _singular(last)
    if singular != last and singular in _LAST:
        return _LAST[singular]
    for suffix, kind in _SUFFIXES:
        if last.endswith(suffix) and len(last) > len(suffix) + 2:
            return kind
    if words[0] in ("is", "has", "can", "should", "allow", "enable", "include"):
        return "flag"
    if len(words) > 1 and words[-2] in _LAST and last in ("list", "s"):
        return _LAST[words[-2]]
    return None


def _singular(name: str) -> str:
    """An item's name from its array's name: ``cities`` -> ``city``, ``tags`` -> ``tag``."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("Ids") or name.endswith("_ids") or name == "ids":
        return name[:-1]
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    if name.endswith("List") or name.endswith("_list"):
        return name[:-4].rstrip("_")
    return name


def _id_prefix(words: tuple[str, ...]) -> str:
    """A short id prefix from the noun before ``id``: order -> ord, customer -> cst."""
    nouns = [w for w in words if w not in ("id", "ids", "identifier", "uuid") and not w.isdigit()]
    if not nouns:
        return ""
    word = nouns[-1]
    letters = word[0] + "".join(c for c in word[1:] if c not in "aeiou")
    return (letters if len(letters) >= 3 else word)[:3]


# ---- small makers ----------------------------------------------------------------------------
def _date(rng: random.Random) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=rng.randrange(700))


def _clock(rng: random.Random) -> str:
    return f"{rng.randrange(7, 22):02d}:{rng.choice((0, 15, 30, 45, rng.randrange(60))):02d}:{rng.randrange(60):02d}"


def _date_time(rng: random.Random) -> str:
    return f"{_date(rng).isoformat()}T{_clock(rng)}Z"


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _email(rng: random.Random) -> str:
    first, last = _person(rng)
    return f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}"


def _slug(words: tuple[str, ...], rng: random.Random) -> str:
    base = "-".join(w for w in words if w not in ("url", "uri", "link", "href", "id")) or rng.choice(TOPICS).replace(" ", "-")
    return f"{base}/{rng.randrange(100, 10000)}"


def _url(rng: random.Random, words: tuple[str, ...] = ()) -> str:
    return f"https://www.{rng.choice(DOMAINS[:3])}/{_slug(words, rng)}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(length))


def _id(rng: random.Random, words: tuple[str, ...]) -> str:
    prefix = _id_prefix(words)
    return f"{prefix}_{_token(rng, 6)}" if prefix else _token(rng, 10)


def _ipv4(rng: random.Random) -> str:
    return f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _ipv6(rng: random.Random) -> str:
    return "2001:db8:" + ":".join(f"{rng.randrange(65536):x}" for _ in range(6))


def _hostname(rng: random.Random) -> str:
    return f"{rng.choice(('api', 'www', 'mail', 'app', 'cdn'))}.{rng.choice(DOMAINS[:3])}"


def _duration(rng: random.Random) -> str:
    return rng.choice((f"PT{rng.randrange(5, 120)}M", f"P{rng.randrange(1, 30)}D", f"PT{rng.randrange(1, 12)}H"))


def _number_text(rng: random.Random, kind: str) -> str:
    low, high, decimals = _NUMBER_RANGES[kind]
    value = round(rng.uniform(low, high), decimals)
    return f"{value:.{decimals}f}"


def _phone(rng: random.Random) -> str:
    return f"+1-{rng.choice(('212', '415', '312', '617', '206'))}-555-{rng.randrange(100, 200):04d}"


_FORMAT_MAKERS: dict[str, Callable[[random.Random, tuple[str, ...]], str]] = {
    "date": lambda rng, w: _date(rng).isoformat(),
    "date-time": lambda rng, w: _date_time(rng),
    "time": lambda rng, w: _clock(rng) + "Z",
    "email": lambda rng, w: _email(rng),
    "idn-email": lambda rng, w: _email(rng),
    "uri": _url,
    "url": _url,
    "iri": _url,
    "uri-reference": _url,
    "iri-reference": _url,
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
    "password": lambda rng, w: f"Ex4mple-{_token(rng, 8)}",
    "phone": lambda rng, w: _phone(rng),
}


def _text_for(kind: str | None, words: tuple[str, ...], rng: random.Random) -> str:
    """A realistic string for a kind of value."""
    maker = _STRING_KINDS.get(kind or "")
    if maker is not None:
        return maker(rng, words)
    if kind in _NUMBER_RANGES:
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
    "url": _url,
    "image_url": lambda rng, w: f"https://images.{rng.choice(DOMAINS[:3])}/{_token(rng, 8)}.jpg",
    "id": _id,
    "uuid": lambda rng, w: _uuid(rng),
    "currency": lambda rng, w: rng.choice(CURRENCIES),
    "date": lambda rng, w: _date(rng).isoformat(),
    "datetime": lambda rng, w: _date_time(rng),
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
    "token": lambda rng, w: _token(rng, 24),
    "password": lambda rng, w: f"Ex4mple-{_token(rng, 8)}",
    "version": lambda rng, w: f"{rng.randrange(1, 5)}.{rng.randrange(10)}.{rng.randrange(20)}",
    "symbol": lambda rng, w: rng.choice(SYMBOLS),
    "timezone": lambda rng, w: rng.choice(TIMEZONES),
    "sku": lambda rng, w: f"SKU-{rng.randrange(10000, 99999)}",
    "method": lambda rng, w: rng.choice(("GET", "POST", "PUT", "DELETE")),
    "mime": lambda rng, w: rng.choice(("application/json", "text/html", "image/png", "text/csv")),
    "condition": lambda rng, w: rng.choice(CONDITIONS),
    "duration": lambda rng, w: _duration(rng),
    "code": lambda rng, w: f"{''.join(rng.choice(string.ascii_uppercase) for _ in range(3))}{rng.randrange(100, 1000)}",
    "number": lambda rng, w: f"{(_id_prefix(w) or 'no').upper()}-{rng.randrange(10000, 100000)}",
}


# ---- regular expressions -----------------------------------------------------------------------
try:  # the standard library's own regex parser (private but stable since Python 3.11)
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover - other Pythons
    _sre_c = _sre_p = None  # type: ignore[assignment]

_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": "-. ",
}


class _Unsupported(Exception):
    """A regex construct the generator does not handle."""


@lru_cache(maxsize=2048)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, TypeError, ValueError, OverflowError):
        return None


@lru_cache(maxsize=2048)
def _parsed(pattern: str) -> Any:
    if _sre_p is None:
        return None
    try:
        return _sre_p.parse(pattern)
    except Exception:  # any parse failure just means "no generator"
        return None


def _in_set(items: Any, char: str) -> bool:
    """Whether ``char`` belongs to a parsed character class (NEGATE not applied)."""
    code = ord(char)
    for op, av in items:
        name = op.name
        if name == "LITERAL" and av == code:
            return True
        if name == "RANGE" and av[0] <= code <= av[1]:
            return True
        if name == "CATEGORY" and char in _CATEGORY_CHARS.get(av.name, "") and not av.name.startswith("CATEGORY_NOT"):
            return True
        if name == "CATEGORY" and av.name.startswith("CATEGORY_NOT") and char in _CATEGORY_CHARS.get(av.name, ""):
            return True
    return False


def _pick_in(items: Any, rng: random.Random) -> str:
    if items and items[0][0].name == "NEGATE":
        pool = [c for c in _PRINTABLE if not _in_set(items[1:], c)]
        return rng.choice(pool) if pool else "~"
    op, av = rng.choice(items)
    name = op.name
    if name == "LITERAL":
        return chr(av)
    if name == "RANGE":
        return chr(rng.randint(av[0], min(av[1], av[0] + 200)))
    if name == "CATEGORY":
        return rng.choice(_CATEGORY_CHARS.get(av.name, "a"))
    raise _Unsupported(name)


def _emit(parsed: Any, rng: random.Random, out: list[str], groups: dict[int, str], spread: int, exact: bool = False) -> None:
    """Append a string matching the parsed regex to ``out``.

    Repeats run between their minimum and ``spread`` more times; with ``exact`` they run
    exactly ``spread`` more times (within their maximum), which steers the total length.
    """
    for op, av in parsed:
        name = op.name
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _ALNUM if ord(c) != av))
        elif name == "ANY":
            out.append(rng.choice(_ALNUM))
        elif name == "IN":
            out.append(_pick_in(av, rng))
        elif name == "BRANCH":
            _emit(rng.choice(av[1]), rng, out, groups, spread, exact)
        elif name == "SUBPATTERN":
            start = len(out)
            _emit(av[3], rng, out, groups, spread, exact)
            if av[0] is not None:
                groups[av[0]] = "".join(out[start:])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = av
            high = low + spread if high == _sre_c.MAXREPEAT else min(high, low + spread)
            for _ in range(max(low, high) if exact else rng.randint(low, max(low, high))):
                _emit(item, rng, out, groups, spread, exact)
        elif name == "ATOMIC_GROUP":
            _emit(av, rng, out, groups, spread, exact)
        elif name == "GROUPREF":
            out.append(groups.get(av, ""))
        elif name == "GROUPREF_EXISTS":
            branch = av[1] if av[0] in groups else av[2]
            if branch is not None:
                _emit(branch, rng, out, groups, spread, exact)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise _Unsupported(name)


def _from_pattern(pattern: str, rng: random.Random, min_length: int, max_length: int | None) -> str | None:
    """A string that ``re.search(pattern, ...)`` accepts within the length bounds, or None."""
    compiled, parsed = _compiled(pattern), _parsed(pattern)
    if compiled is None or parsed is None:
        return None
    spreads: list[tuple[int, bool]] = [(3, False), (3, False), (1, False), (0, False), (8, False), (20, False)]
    if min_length or max_length is not None:  # aim at the length window with exact repeat counts
        ceiling = max(max_length if max_length is not None else 2 * min_length, 1)
        spreads += [(rng.randint(0, ceiling), True) for _ in range(40)]
    for spread, exact in spreads:
        out: list[str] = []
        try:
            _emit(parsed, rng, out, {}, spread, exact)
        except (_Unsupported, IndexError, ValueError, StopIteration):
            return None
        text = "".join(out)
        if min_length <= len(text) and (max_length is None or len(text) <= max_length) and compiled.search(text):
            return text
    return None


def _pattern_ok(pattern: Any, text: str) -> bool:
    compiled = _compiled(pattern) if isinstance(pattern, str) else None
    return compiled is None or compiled.search(text) is not None


# ---- checking values cheaply -------------------------------------------------------------------
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
# keywords the cheap check understands for a scalar value
_CHEAP_KEYS = frozenset(
    ["type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
     "minLength", "maxLength", "pattern", "format", "description", "title", "default", "examples", "example",
     "x-original-type", "$comment", "deprecated", "readOnly", "writeOnly", "nullable"]
)  # fmt: skip


def _type_ok(value: Any, types: Any) -> bool:
    if types is None:
        return True
    if isinstance(types, str):
        check = _JSON_TYPES.get(types)
        return check is None or check(value)
    if isinstance(types, list):
        known = [t for t in types if isinstance(t, str) and t in _JSON_TYPES]
        return not known or any(_JSON_TYPES[t](value) for t in known)
    return True


def _multiple_ok(value: float, step: Any) -> bool:
    """The same test jsonschema applies for ``multipleOf``."""
    if not isinstance(step, (int, float)) or isinstance(step, bool) or step <= 0:
        return True
    try:
        if isinstance(step, float):
            quotient = value / step
            return math.isfinite(quotient) and int(quotient) == quotient
        return value % step == 0
    except (OverflowError, ZeroDivisionError, ValueError):
        return False


def _bounds_ok(value: float, schema: Mapping[str, Any]) -> bool:
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_num(minimum) and value < minimum:
        return False
    if _is_num(maximum) and value > maximum:
        return False
    if _is_num(low) and value <= low:
        return False
    if low is True and _is_num(minimum) and value <= minimum:
        return False
    if _is_num(high) and value >= high:
        return False
    if high is True and _is_num(maximum) and value >= maximum:
        return False
    return _multiple_ok(value, schema.get("multipleOf"))


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cheap_conforms(value: Any, schema: Any) -> bool | None:
    """Whether a value obeys a simple schema; None when the schema needs a full validator."""
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict) or schema is False:
        return False if schema is False else None
    if isinstance(value, (dict, list)) or any(key not in _CHEAP_KEYS for key in schema):
        return None
    if not _type_ok(value, schema.get("type")):
        return False
    if "const" in schema and not _json_equal(value, schema["const"]):
        return False
    if "enum" in schema and isinstance(schema["enum"], list) and not any(_json_equal(value, e) for e in schema["enum"]):
        return False
    if _is_num(value) and not _bounds_ok(value, schema):
        return False
    if isinstance(value, str):
        if _is_num(schema.get("minLength")) and len(value) < schema["minLength"]:
            return False
        if _is_num(schema.get("maxLength")) and len(value) > schema["maxLength"]:
            return False
        if "pattern" in schema and not _pattern_ok(schema["pattern"], value):
            return False
        if isinstance(schema.get("format"), str) and not _format_ok(value, schema["format"]):
            return False
    return True


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0 but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    return bool(a == b)


def _format_ok(value: str, fmt: str) -> bool:
    from .checks import FORMAT_CHECKER  # local: checks imports jsonschema, only needed here

    return FORMAT_CHECKER.conforms(value, fmt)


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def conforms(value: Any, schema: Any, root: Any = None) -> bool:
    """Whether ``value`` is valid against ``schema`` (``root`` resolves its local ``$ref``).

    Simple scalar schemas are checked directly; anything else goes through jsonschema's
    Draft 2020-12 validator with the toolkit's format checker. An unusable schema gives False.
    """
    cheap = _cheap_conforms(value, schema)
    if cheap is not None:
        return cheap
    try:
        return bool(_validator(root if root is not None else schema).evolve(schema=schema).is_valid(value))
    except Exception:  # a broken schema accepts nothing
        return False


def _validator(root: Any) -> Any:
    """A cached validator for a root schema (the root is kept alive so its id stays unique)."""
    entry = _VALIDATORS.get(id(root))
    if entry is not None and entry[0] is root:
        return entry[1]
    from jsonschema import Draft202012Validator

    from .checks import FORMAT_CHECKER

    validator = Draft202012Validator(root, format_checker=FORMAT_CHECKER)
    if len(_VALIDATORS) > 4096:
        _VALIDATORS.clear()
    _VALIDATORS[id(root)] = (root, validator)
    return validator


# ---- schema helpers ----------------------------------------------------------------------------
_MIN_KEYS = ("minimum", "minLength", "minItems", "minProperties", "minContains")
_MAX_KEYS = ("maximum", "maxLength", "maxItems", "maxProperties", "maxContains")


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """A schema demanding what both ``a`` and ``b`` demand, for the common keywords."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, dict) and isinstance(out[key], dict):
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = _merge(props[name], sub) if isinstance(props.get(name), dict) and isinstance(sub, dict) else sub
            out[key] = props
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key in _MIN_KEYS and _is_num(value) and _is_num(out[key]):
            out[key] = max(out[key], value)
        elif key in _MAX_KEYS and _is_num(value) and _is_num(out[key]):
            out[key] = min(out[key], value)
        elif key == "type":
            out[key] = _merge_types(out[key], value)
        elif key == "enum" and isinstance(value, list) and isinstance(out[key], list):
            both = [v for v in out[key] if any(_json_equal(v, w) for w in value)]
            out[key] = both or value
        elif key in ("allOf",) and isinstance(value, list) and isinstance(out[key], list):
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out


def _merge_types(a: Any, b: Any) -> Any:
    left = [a] if isinstance(a, str) else list(a) if isinstance(a, list) else None
    right = [b] if isinstance(b, str) else list(b) if isinstance(b, list) else None
    if left is None or right is None:
        return b if left is None else a
    both = [t for t in left if t in right or (t == "integer" and "number" in right)]
    both += [t for t in right if t == "integer" and "number" in left and t not in both]
    return (both[0] if len(both) == 1 else both) if both else b


def _pointer(root: Any, ref: str) -> Any:
    """The schema a local ``$ref`` points at, or None."""
    if not ref.startswith("#"):
        return None
    node = root
    for part in unquote(ref[1:]).split("/")[1:] if len(ref) > 1 else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# ---- the generator -------------------------------------------------------------------------------
class _Faker:
    """One generation: the root schema (for ``$ref``), the random source and the options."""

    __slots__ = ("root", "rng", "optional", "known")

    def __init__(self, root: Any, rng: random.Random, optional: float, known: Sequence[Mapping[str, Any]]) -> None:
        self.root = root
        self.rng = rng
        self.optional = optional
        self.known = known

    # -- dispatch --
    def value(self, schema: Any, name: str, description: str, depth: int, level: int) -> Any:
        """A value for ``schema``; ``level`` counts objects below the top (for echoing known values)."""
        if schema is True or schema is None:
            schema = {}
        if not isinstance(schema, dict) or depth > HARD_DEPTH:
            return None
        schema = self._flatten(schema, depth)
        if not description and isinstance(schema.get("description"), str):
            description = schema["description"]
        if "anyOf" in schema or "oneOf" in schema:
            return self._alternatives(schema, name, description, depth, level)
        if "if" in schema or "not" in schema:
            return self._conditional(schema, name, description, depth, level)
        return self._plain(schema, name, description, depth, level)

    def _flatten(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        """Resolve ``$ref`` and merge ``allOf`` into one schema."""
        for _ in range(8):
            if "$ref" in schema and isinstance(schema["$ref"], str):
                target = _pointer(self.root, schema["$ref"])
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                if target is False:
                    return {"not": {}}
                schema = _merge(target, rest) if isinstance(target, dict) else rest
            elif isinstance(schema.get("allOf"), list):
                merged = {k: v for k, v in schema.items() if k != "allOf"}
                for branch in schema["allOf"]:
                    if isinstance(branch, dict):
                        merged = _merge(merged, branch)
                schema = merged
            else:
                return schema
        return schema

    def _alternatives(self, schema: dict[str, Any], name: str, description: str, depth: int, level: int) -> Any:
        key = "oneOf" if "oneOf" in schema else "anyOf"
        branches = [b for b in schema[key] if isinstance(b, dict) or b is True] if isinstance(schema[key], list) else []
        base = {k: v for k, v in schema.items() if k != key}
        if not branches:
            return self.value(base, name, description, depth + 1, level)
        order = list(range(len(branches)))
        self.rng.shuffle(order)
        order.sort(key=lambda i: _is_null_schema(branches[i]))  # prefer a real value over null
        value: Any = None
        for attempt, index in enumerate(order[:4]):
            branch = branches[index] if isinstance(branches[index], dict) else {}
            value = self.value(_merge(base, branch), name, description, depth + 1, level)
            if key == "anyOf" or len(branches) == 1 or attempt == 3:
                return value
            matching = sum(conforms(value, b, self.root) for b in branches)
            if matching == 1 and conforms(value, base, self.root):
                return value
        return value

    def _conditional(self, schema: dict[str, Any], name: str, description: str, depth: int, level: int) -> Any:
        base = {k: v for k, v in schema.items() if k not in ("if", "then", "else", "not")}
        forbidden = schema.get("not")
        condition = schema.get("if")
        value: Any = None
        for attempt in range(12):
            chosen = base
            if condition is not None:
                branch = schema.get("then") if attempt % 2 == 0 else schema.get("else")
                chosen = _merge(base, branch) if isinstance(branch, dict) else base
            value = self.value(chosen, name, description, depth + 1, level)
            if condition is not None and conforms(value, condition, self.root) != (attempt % 2 == 0):
                continue
            if forbidden is not None and conforms(value, forbidden, self.root):
                continue
            return value
        return value

    def _plain(self, schema: dict[str, Any], name: str, description: str, depth: int, level: int) -> Any:
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self._from_enum(schema, enum)
        example = self._example(schema)
        if example is not _MISSING:
            return example
        kind = _kind_of(name, description)
        kind_type = self._choose_type(schema, kind)
        if kind_type == "object":
            return self._object(schema, name, depth, level)
        if kind_type == "array":
            return self._array(schema, name, depth, level)
        if kind_type == "string":
            return self._string(schema, name, description, kind)
        if kind_type in ("integer", "number"):
            return self._number(schema, kind, kind_type == "integer")
        if kind_type == "boolean":
            return self._boolean(name)
        return None

    def _from_enum(self, schema: dict[str, Any], enum: list[Any]) -> Any:
        types = schema.get("type")
        fitting = [v for v in enum if _type_ok(v, types)] or enum
        return copy.deepcopy(self.rng.choice(fitting))

    def _example(self, schema: dict[str, Any]) -> Any:
        """An example or default the schema gives, half of the time, when it is valid."""
        candidates: list[Any] = []
        if isinstance(schema.get("examples"), list):
            candidates.extend(schema["examples"][:3])
        for key in ("example", "default"):
            if key in schema:
                candidates.append(schema[key])
        if not candidates or self.rng.random() < 0.5:
            return _MISSING
        value = self.rng.choice(candidates)
        if value is None or value == "" or isinstance(value, (dict, list)):
            return _MISSING
        return copy.deepcopy(value) if _cheap_conforms(value, schema) else _MISSING

    def _choose_type(self, schema: dict[str, Any], kind: str | None) -> str:
        types = schema.get("type")
        if isinstance(types, str):
            return types
        if isinstance(types, list):
            real = [t for t in types if isinstance(t, str) and t in _JSON_TYPES and t != "null"]
            if not real:
                return "null" if "null" in types else _inferred_type(schema, kind)
            if kind is not None:
                preferred = _kind_type(kind)
                if preferred in real:
                    return preferred
            return real[0]
        return _inferred_type(schema, kind)

    # -- scalars --
    def _string(self, schema: dict[str, Any], name: str, description: str, kind: str | None) -> str:
        rng, words = self.rng, name_words(name)
        fmt = schema.get("format")
        min_length = schema.get("minLength", 0) if _is_num(schema.get("minLength")) else 0
        max_length = schema.get("maxLength") if _is_num(schema.get("maxLength")) else None
        maker = _FORMAT_MAKERS.get(fmt) if isinstance(fmt, str) else None
        if maker is not None:
            text = maker(rng, words)
        elif kind == "id" and isinstance(schema.get("pattern"), str):
            text = _token(rng, 8)
        else:
            text = _text_for(kind, words, rng)
        pattern = schema.get("pattern")
        low, high = int(min_length), None if max_length is None else int(max_length)
        if isinstance(pattern, str):
            if _pattern_ok(pattern, text) and low <= len(text) and (high is None or len(text) <= high):
                return text
            generated = _from_pattern(pattern, rng, low, high)
            return generated if generated is not None else text
        return text if maker is not None else _fit_length(text, low, high, rng)

    def _number(self, schema: dict[str, Any], kind: str | None, integer: bool) -> int | float:
        low, high, decimals = _NUMBER_RANGES.get(kind or "", _DEFAULT_INTEGER if integer else _DEFAULT_NUMBER)
        return _pick_number(schema, self.rng, low, high, decimals, integer)

    def _boolean(self, name: str) -> bool:
        words = name_words(name)
        if words and words[-1] in _TRUE_LEANING:
            return self.rng.random() < 0.9
        return self.rng.random() < 0.5

    # -- containers --
    def _array(self, schema: dict[str, Any], name: str, depth: int, level: int) -> list[Any]:
        rng = self.rng
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if isinstance(items, list):  # the older tuple form
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        min_items = int(schema["minItems"]) if _is_num(schema.get("minItems")) else 0
        max_items = int(schema["maxItems"]) if _is_num(schema.get("maxItems")) else None
        if items is False:
            max_items = len(prefix) if max_items is None else min(max_items, len(prefix))
        count = max(min_items, min_items if depth >= SOFT_DEPTH else rng.randint(1, 3))
        if max_items is not None:
            count = min(count, max_items)
        count = min(count, MAX_ITEMS)
        item_name = _singular(name) if name else "item"
        unique = schema.get("uniqueItems") is True
        item_level = level if level == 0 else level + 1
        out: list[Any] = []
        seen: set[str] = set()
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            for _ in range(8 if unique else 1):
                value = self.value(sub, item_name, "", depth + 1, item_level if not unique else 99)
                key = json.dumps(value, sort_keys=True) if unique else ""
                if not unique or key not in seen:
                    break
            else:
                if len(out) >= min_items:
                    break
            seen.add(key)
            out.append(value)
        self._ensure_contains(schema, out, items, item_name, depth)
        return out

    def _ensure_contains(self, schema: dict[str, Any], out: list[Any], items: Any, name: str, depth: int) -> None:
        contains = schema.get("contains")
        if contains is None or any(conforms(v, contains, self.root) for v in out):
            return
        base = items if isinstance(items, dict) else {}
        value = self.value(_merge(base, contains) if isinstance(contains, dict) else base, name, "", depth + 1, 99)
        if out:
            out[0] = value
        else:
            out.append(value)

    def _object(self, schema: dict[str, Any], name: str, depth: int, level: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = [r for r in schema.get("required", ()) if isinstance(r, str)] if isinstance(schema.get("required"), list) else []
        known = self.known if level <= 1 else ()
        optional = self.optional if depth < SOFT_DEPTH else 0.0
        out: dict[str, Any] = {}
        for key, sub in properties.items():
            if key in required:
                out[key] = self._property(sub, key, depth, level, known, name)
            elif any(key in k for k in known):
                value = self._known_value(key, sub, known, level)
                if value is not _MISSING:
                    out[key] = value
                elif self.rng.random() < optional:
                    out[key] = self.value(sub, _qualified(name, key), "", depth + 1, level + 1)
            elif self.rng.random() < optional:
                out[key] = self.value(sub, _qualified(name, key), "", depth + 1, level + 1)
        for key in required:
            if key not in out:
                out[key] = self._property(self._extra_schema(schema, key), key, depth, level, known)
        self._dependents(schema, out, depth, level)
        self._size_bounds(schema, out, required, depth, level)
        return out

    def _property(self, sub: Any, key: str, depth: int, level: int, known: Sequence[Mapping[str, Any]], owner: str = "") -> Any:
        if known:
            value = self._known_value(key, sub, known, level)
            if value is not _MISSING:
                return value
        return self.value(sub, _qualified(owner, key), "", depth + 1, level + 1)

    def _known_value(self, key: str, sub: Any, known: Sequence[Mapping[str, Any]], level: int) -> Any:
        """The first known value for ``key`` that is valid against its schema, else _MISSING."""
        for source in known:
            if key in source and conforms(source[key], sub, self.root):
                return copy.deepcopy(source[key])
        return _MISSING

    def _extra_schema(self, schema: dict[str, Any], key: str) -> Any:
        """The schema that applies to a property not listed in ``properties``."""
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            for pattern, sub in patterns.items():
                compiled = _compiled(pattern)
                if compiled is not None and compiled.search(key):
                    return sub
        extra = schema.get("additionalProperties", True)
        return extra if isinstance(extra, dict) else {}

    def _dependents(self, schema: dict[str, Any], out: dict[str, Any], depth: int, level: int) -> None:
        dependent = schema.get("dependentRequired")
        if not isinstance(dependent, dict):
            return
        for key, names in dependent.items():
            if key in out and isinstance(names, list):
                for other in names:
                    if isinstance(other, str) and other not in out:
                        sub = (schema.get("properties") or {}).get(other, self._extra_schema(schema, other))
                        out[other] = self.value(sub, other, "", depth + 1, level + 1)

    def _size_bounds(self, schema: dict[str, Any], out: dict[str, Any], required: list[str], depth: int, level: int) -> None:
        minimum = schema.get("minProperties")
        if _is_num(minimum) and len(out) < minimum:
            properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
            for key, sub in properties.items():
                if len(out) >= minimum:
                    break
                if key not in out:
                    out[key] = self.value(sub, key, "", depth + 1, level + 1)
            extra = schema.get("additionalProperties", True)
            index = 1
            while len(out) < minimum and extra is not False and index < 1000:
                key = f"field_{index}"
                if key not in out:
                    out[key] = self.value(self._extra_schema(schema, key), key, "", depth + 1, level + 1)
                index += 1
        maximum = schema.get("maxProperties")
        if _is_num(maximum):
            for key in [k for k in out if k not in required][::-1]:
                if len(out) <= maximum:
                    break
                del out[key]


def _qualified(owner: str, key: str) -> str:
    """A bare ``name`` inside an object called ``country`` is a ``country_name``."""
    if key in ("name", "Name") and owner and owner not in ("arguments", "data", "result", "item", "items"):
        return f"{_singular(owner)}_name"
    return key


class _Missing:
    """Marks 'no value' where None is a real value."""


_MISSING: Any = _Missing()


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("const", 0) is None)


_KIND_TYPES = {
    "latitude": "number", "longitude": "number", "money": "number", "temperature": "number",
    "humidity": "integer", "percent": "number", "rating": "number", "score": "number", "count": "integer",
    "limit": "integer", "page": "integer", "offset": "integer", "age": "integer", "year": "integer",
    "measure": "number", "success": "boolean", "flag": "boolean",
}  # fmt: skip


def _kind_type(kind: str) -> str:
    return _KIND_TYPES.get(kind, "string")


def _inferred_type(schema: Mapping[str, Any], kind: str | None) -> str:
    """The type to make for a schema that names none, from its keywords or the property's kind."""
    if any(k in schema for k in ("properties", "additionalProperties", "patternProperties", "minProperties", "required")):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")):
        return "array"
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return _kind_type(kind) if kind else "string"


def _fit_length(text: str, min_length: int, max_length: int | None, rng: random.Random) -> str:
    """Cut or pad a string into its length bounds."""
    if max_length is not None and len(text) > max_length:
        cut = text[:max_length]
        space = cut.rfind(" ")
        text = cut[:space] if space >= max(min_length, 1) else cut
        text = text.rstrip(" .,") if len(text.rstrip(" .,")) >= min_length else text
    if len(text) < min_length:
        text += "".join(rng.choice(string.ascii_lowercase) for _ in range(min_length - len(text)))
    return text


def _pick_number(schema: Mapping[str, Any], rng: random.Random, low: float, high: float, decimals: int, integer: bool) -> int | float:
    """A number inside the schema's bounds, near the preferred range when the bounds allow."""
    lo, hi = _schema_bounds(schema, integer)
    step = schema.get("multipleOf")
    step = step if _is_num(step) and step > 0 else None
    a, b = max(lo, low), min(hi, high)
    if a > b:  # the preferred range lies outside the bounds: use the bounds
        a, b = (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else ((lo, lo + (high - low)) if math.isfinite(lo) else (hi - (high - low), hi))
    if step is not None:
        return _pick_multiple(schema, rng, a, b, lo, hi, step, integer)
    if integer:
        first, last = math.ceil(a), math.floor(b)
        if first > last:
            first = last = math.ceil(lo) if math.isfinite(lo) else math.floor(hi)
        return rng.randint(first, last)
    value = round(rng.uniform(a, b), decimals) if decimals else float(round(rng.uniform(a, b)))
    if decimals == 0 and value.is_integer():
        value = int(value)  # type: ignore[assignment]
    if not _bounds_ok(value, schema):
        value = rng.uniform(a, b)
        if not _bounds_ok(value, schema):
            value = (a + b) / 2 if math.isfinite(a + b) else a
    return value


def _schema_bounds(schema: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    """The inclusive [low, high] a schema allows (exclusive bounds nudged inward)."""
    lo, hi = -math.inf, math.inf
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_num(minimum):
        lo = float(minimum)
    if _is_num(maximum):
        hi = float(maximum)
    if _is_num(ex_min):
        lo = max(lo, _above(float(ex_min), integer))
    elif ex_min is True and _is_num(minimum):
        lo = _above(float(minimum), integer)
    if _is_num(ex_max):
        hi = min(hi, _below(float(ex_max), integer))
    elif ex_max is True and _is_num(maximum):
        hi = _below(float(maximum), integer)
    return lo, hi


def _above(value: float, integer: bool) -> float:
    if integer:
        return math.floor(value) + 1.0
    return value + max(abs(value) * 1e-9, 1e-6) if abs(value) < 1e12 else math.nextafter(value, math.inf)


def _below(value: float, integer: bool) -> float:
    if integer:
        return math.ceil(value) - 1.0
    return value - max(abs(value) * 1e-9, 1e-6) if abs(value) < 1e12 else math.nextafter(value, -math.inf)


def _pick_multiple(schema: Mapping[str, Any], rng: random.Random, a: float, b: float, lo: float, hi: float, step: float, integer: bool) -> int | float:
    """A multiple of ``step`` inside the bounds (preferring [a, b])."""
    for first, last in ((a, b), (lo, hi)):
        if not (math.isfinite(first) or math.isfinite(last)):
            first, last = 0.0, 100.0 * step
        elif not math.isfinite(first):
            first = last - 100 * step
        elif not math.isfinite(last):
            last = first + 100 * step
        k_first, k_last = math.ceil(first / step), math.floor(last / step)
        if k_first > k_last:
            continue
        for _ in range(20):
            k = rng.randint(k_first, min(k_last, k_first + 1000))
            value: float = k * step
            if isinstance(step, float):
                value = round(value, 10)
            if integer or float(value).is_integer():
                if float(value).is_integer():
                    value = int(value)
                elif integer:
                    continue
            if _bounds_ok(value, schema):
                return value
    fallback = 0 if (math.isfinite(lo) and lo <= 0 <= hi) or not math.isfinite(lo) else lo
    return int(fallback) if integer and float(fallback).is_integer() else fallback


# ---- public entry points -------------------------------------------------------------------------------
def fake_value(
    schema: Any,
    name: str,
    rng: random.Random,
    *,
    description: str = "",
    optional: float = 0.5,
    root: Any = None,
    known: Sequence[Mapping[str, Any]] = (),
) -> Any:
    """A realistic value valid against ``schema``, for a property called ``name``.

    ``optional`` is the chance that an optional object property is included; ``root`` is
    the document that local ``$ref`` pointers resolve in (``schema`` itself by default).
    ``known`` lists mappings of property name -> value tried first (in order) for the
    properties of the top object and of the objects directly below it, kept when valid.
    """
    faker = _Faker(schema if root is None else root, rng, optional, known)
    return faker.value(schema, name, description, 0, 0)


# ---- objects for tools without a response schema ------------------------------------------------------
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
                "change_percent": round(rng.uniform(-5, 5), 2), "as_of": _date_time(rng)}  # fmt: skip
    elif verb in _VERBS_COMPUTE:
        body = {"result": round(rng.uniform(1, 1000), 2), "inputs": dict(args), "computed_at": _date_time(rng)}
    elif verb == "translate":
        body = {"translated_text": rng.choice(SENTENCES), "source_language": "en", "target_language": rng.choice(LANGUAGES)[0]}
    elif verb in _VERBS_SEND:
        body = {"success": True, "message_id": _id(rng, ("message",)), "status": "sent", "sent_at": _date_time(rng)}
    elif verb in _VERBS_CREATE:
        body = {"success": True, f"{thing}_id": _id(rng, name_words(thing) or ("item",)), "status": "created",
                "created_at": _date_time(rng), **args}  # fmt: skip
    elif verb in _VERBS_UPDATE:
        body = {"success": True, **args, "updated_at": _date_time(rng), "message": f"The {thing.replace('_', ' ')} was updated."}
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
    place = next((v for k, v in args.items() if isinstance(v, str) and _kind_of(k, "") in ("city", "country", "address")), None)
    return {
        "location": place or rng.choice(CITIES)[0],
        "temperature": round(rng.uniform(-5, 35), 1),
        "unit": "celsius",
        "condition": rng.choice(CONDITIONS),
        "humidity": rng.randrange(20, 96),
        "wind_speed_kmh": round(rng.uniform(0, 40), 1),
        "observed_at": _date_time(rng),
    }


def _search_object(rng: random.Random, args: Mapping[str, Any], thing: str) -> dict[str, Any]:
    texts = [(k, v) for k, v in args.items() if isinstance(v, str)]
    query = next((v for k, v in texts if _kind_of(k, "") in ("query", "tag")), texts[0][1] if texts else None)
    results = []
    for _ in range(rng.randint(2, 4)):
        title = rng.choice(TITLES)
        results.append({"id": _id(rng, name_words(thing)[-1:] or ("item",)), "title": title,
                        "url": _url(rng, name_words(title)), "snippet": rng.choice(SENTENCES)})  # fmt: skip
    body: dict[str, Any] = {"results": results, "total_results": len(results) + rng.randrange(0, 40)}
    if query is not None:
        body = {"query": query, **body}
    return body


def _record(rng: random.Random, args: Mapping[str, Any], spec: ToolSpec, thing: tuple[str, ...]) -> dict[str, Any]:
    """A record about the tool's subject: the arguments, an id and a few fields the spec describes."""
    record: dict[str, Any] = {"id": _id(rng, thing or ("item",))}
    record.update(args)
    described = spec.response if isinstance(spec.response, str) else ""
    for word in dict.fromkeys(re.findall(r"[a-z_]+", described.lower())):
        kind = _kind_of(word, "") if len(word) > 2 else None
        if kind is not None and kind not in ("id", "text", "status") and word not in record and len(record) < 8:
            record[word] = fake_value({}, word, rng)
    record.setdefault("status", rng.choice(STATUSES))
    record.setdefault("description", rng.choice(SENTENCES))
    record.setdefault("updated_at", _date_time(rng))
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
