"""What a property's name says about its value: the value tables and the name -> kind vocabulary.

A *kind* is a short label for the sort of value a property holds (``city``, ``email``,
``money``, ``id``, ``flag`` ...). ``kind_of(name, description)`` reads it from a property's
name (camelCase, snake_case or kebab-case) or, failing that, from the first words of its
description. The tables here hold the realistic values (a dozen entries each) that the
makers pick from, the number range each numeric kind prefers and the JSON type it suggests.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "CATEGORIES", "CITIES", "COLORS", "COMPANIES", "CONDITIONS", "CURRENCIES", "DOMAINS", "FILE_EXTENSIONS",
    "FIRST_NAMES", "JOB_TITLES", "LANGUAGES", "LAST_NAMES", "NUMBER_RANGES", "PRODUCTS", "QUERIES", "SENTENCES",
    "STATUSES", "STREETS", "SYMBOLS", "TIMEZONES", "TITLES", "TOPICS", "TRUE_LEANING", "id_prefix", "kind_of",
    "name_words", "singular_of", "type_for_kind",
]  # fmt: skip

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
# the last name words of booleans that are mostly true ("success", "is_available")
TRUE_LEANING = frozenset(["success", "ok", "available", "valid", "active", "enabled", "verified", "found", "exists"])

# kind -> (low, high, decimals) for numbers; integers use the rounded range
NUMBER_RANGES: dict[str, tuple[float, float, int]] = {
    "latitude": (-60.0, 70.0, 4), "longitude": (-150.0, 150.0, 4), "money": (5.0, 500.0, 2),
    "temperature": (-5.0, 35.0, 1), "humidity": (20.0, 95.0, 0), "percent": (0.0, 100.0, 1),
    "rating": (1.0, 5.0, 1), "score": (0.0, 100.0, 1), "count": (1.0, 50.0, 0), "limit": (5.0, 50.0, 0),
    "page": (1.0, 5.0, 0), "offset": (0.0, 100.0, 0), "age": (18.0, 80.0, 0), "year": (1995.0, 2025.0, 0),
    "month": (1.0, 12.0, 0), "duration": (5.0, 180.0, 0), "measure": (1.0, 200.0, 1), "id": (1000.0, 999999.0, 0),
    "number": (1.0, 500.0, 0), "zip": (10000.0, 99999.0, 0),
}  # fmt: skip
# kind -> the JSON type a value of that kind has (strings for the rest)
_KIND_TYPES = {
    "latitude": "number", "longitude": "number", "money": "number", "temperature": "number",
    "humidity": "integer", "percent": "number", "rating": "number", "score": "number", "count": "integer",
    "limit": "integer", "page": "integer", "offset": "integer", "age": "integer", "year": "integer",
    "measure": "number", "success": "boolean", "flag": "boolean",
}  # fmt: skip


@lru_cache(maxsize=8192)
def name_words(name: str) -> tuple[str, ...]:
    """The lower-case words of a camelCase, snake_case or kebab-case name."""
    return tuple(w.lower() for w in _WORDS.findall(name or ""))


def kind_of(name: str, description: str) -> str | None:
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
    singular = singular_of(last)
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


def singular_of(name: str) -> str:
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


def id_prefix(words: tuple[str, ...]) -> str:
    """A short id prefix from the noun before ``id``: order -> ord, customer -> cst."""
    nouns = [w for w in words if w not in ("id", "ids", "identifier", "uuid") and not w.isdigit()]
    if not nouns:
        return ""
    word = nouns[-1]
    letters = word[0] + "".join(c for c in word[1:] if c not in "aeiou")
    return (letters if len(letters) >= 3 else word)[:3]


def type_for_kind(kind: str) -> str:
    """The JSON type of a value of this kind: ``money`` -> number, ``flag`` -> boolean, else string."""
    return _KIND_TYPES.get(kind, "string")
