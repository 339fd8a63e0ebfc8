"""Format parsers: strict checks of our own where jsonschema would need optional packages.

``FORMAT_CHECKER`` checks the formats in ``SUPPORTED_FORMATS``: ``date``, ``ipv4``, ``ipv6``,
``uuid`` and ``regex`` with jsonschema's standard-library checks, ``date-time``, ``time``,
``email``, ``hostname``, ``uri`` and ``uri-reference`` with the parsers below, so results do
not depend on what else is installed. ``FORMAT_HINTS`` says in words what each looks like.
"""

from __future__ import annotations

import datetime
import ipaddress
import re

from .._jsonschema import jsonschema

__all__ = ["FORMAT_CHECKER", "FORMAT_HINTS", "SUPPORTED_FORMATS"]

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_MAX_HOSTNAME = 253
_MAX_EMAIL = 254
_MAX_EMAIL_LOCAL = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL = re.compile(rf'{_ATOM}(?:\.{_ATOM})*|"(?:[ !#-\[\]-~]|\\[ -~])*"', re.ASCII)
# RFC 3986: unreserved and sub-delims characters, percent-encodings, and the parts they make.
_URI_SAFE = r"A-Za-z0-9\-._~!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_URI_PATH = re.compile(rf"(?:[{_URI_SAFE}:@/]|{_PCT})*", re.ASCII)
_URI_QUERY = re.compile(rf"(?:[{_URI_SAFE}:@/?]|{_PCT})*", re.ASCII)
_URI_AUTHORITY = re.compile(
    rf"(?:(?:[{_URI_SAFE}:]|{_PCT})*@)?(\[[^\]]*\]|(?:[{_URI_SAFE}]|{_PCT})*)(?::\d*)?", re.ASCII
)
_IP_FUTURE = re.compile(rf"v[0-9A-Fa-f]+\.[{_URI_SAFE}:]+", re.ASCII)
_URI_PARTS = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):)?(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?",
    re.DOTALL,
)
_MINUTES_PER_DAY = 24 * 60
_LAST_MINUTE_OF_DAY = _MINUTES_PER_DAY - 1


def _valid_clock(hour: int, minute: int, second: int, offset: str) -> bool:
    """An RFC 3339 time of day; a leap second (:60) only at 23:59 UTC."""
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset_minutes = 0
    if offset not in ("Z", "z"):
        offset_hour, offset_minute = int(offset[1:3]), int(offset[4:6])
        if offset_hour > 23 or offset_minute > 59:
            return False
        offset_minutes = (offset_hour * 60 + offset_minute) * (1 if offset[0] == "+" else -1)
    if second == 60:
        return (hour * 60 + minute - offset_minutes) % _MINUTES_PER_DAY == _LAST_MINUTE_OF_DAY
    return True


def _is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time``: ``2024-05-01T09:30:00Z``, ``2024-05-01t09:30:00.5+02:00``."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return _valid_clock(hour, minute, second, match.group(7))


def _is_time(value: object) -> bool:
    """RFC 3339 ``full-time``: a time of day with its UTC offset, ``09:30:00Z``."""
    if not isinstance(value, str):
        return True
    match = _TIME.fullmatch(value)
    if match is None:
        return False
    hour, minute, second = (int(part) for part in match.groups()[:3])
    return _valid_clock(hour, minute, second, match.group(4))


def _is_hostname(value: object) -> bool:
    """RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens."""
    if not isinstance(value, str):
        return True
    if not value or len(value) > _MAX_HOSTNAME:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in value.split("."))


def _is_ip(text: str, version: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address]) -> bool:
    try:
        version(text)
    except ValueError:
        return False
    return True


def _is_email(value: object) -> bool:
    """RFC 5321 mailbox: a dot-atom or quoted local part, then a host name or address literal."""
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    if not at or len(value) > _MAX_EMAIL or len(local) > _MAX_EMAIL_LOCAL or not _EMAIL_LOCAL.fullmatch(local):
        return False
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal[:5].lower() == "ipv6:":
            return _is_ip(literal[5:], ipaddress.IPv6Address)
        return _is_ip(literal, ipaddress.IPv4Address)
    return _is_hostname(domain)


def _valid_uri_parts(parts: re.Match[str]) -> bool:
    """Check each part of a URI split by ``_URI_PARTS`` against its RFC 3986 alphabet."""
    authority = parts.group("authority")
    if authority is not None:
        host = _URI_AUTHORITY.fullmatch(authority)
        if host is None:
            return False
        literal = host.group(1)
        if literal.startswith("[") and not (
            _is_ip(literal[1:-1], ipaddress.IPv6Address) or _IP_FUTURE.fullmatch(literal[1:-1])
        ):
            return False
    return all(
        part is None or pattern.fullmatch(part)
        for part, pattern in (
            (parts.group("path"), _URI_PATH),
            (parts.group("query"), _URI_QUERY),
            (parts.group("fragment"), _URI_QUERY),
        )
    )


def _is_uri(value: object) -> bool:
    """RFC 3986 URI: a scheme, then an optional authority, path, query and fragment."""
    if not isinstance(value, str):
        return True
    parts = _URI_PARTS.fullmatch(value)
    return parts is not None and parts.group("scheme") is not None and _valid_uri_parts(parts)


def _is_uri_reference(value: object) -> bool:
    """RFC 3986 URI reference: a URI, or a relative reference whose first segment has no colon."""
    if not isinstance(value, str):
        return True
    parts = _URI_PARTS.fullmatch(value)
    if parts is None or not _valid_uri_parts(parts):
        return False
    if parts.group("scheme") is not None:
        return True
    return ":" not in parts.group("path").split("/", 1)[0]


def _build_format_checker() -> jsonschema.FormatChecker:
    """Our checks for the formats that need optional packages in jsonschema, its own for the rest."""
    checker = jsonschema.FormatChecker(formats=("date", "ipv4", "ipv6", "uuid", "regex"))  # stdlib-based
    for name, check in (
        ("date-time", _is_date_time),
        ("time", _is_time),
        ("email", _is_email),
        ("hostname", _is_hostname),
        ("uri", _is_uri),
        ("uri-reference", _is_uri_reference),
    ):
        checker.checks(name)(check)
    return checker


FORMAT_CHECKER = _build_format_checker()
"""The format checker every argument check uses (and the reference for tests)."""
SUPPORTED_FORMATS = tuple(sorted(FORMAT_CHECKER.checkers))
FORMAT_HINTS = {
    "date": "YYYY-MM-DD",
    "date-time": "RFC 3339, e.g. 2024-05-01T09:30:00Z",
    "time": "HH:MM:SS with a UTC offset, e.g. 09:30:00Z",
    "email": "e.g. name@example.com",
    "hostname": "e.g. api.example.com",
    "ipv4": "e.g. 192.168.0.1",
    "ipv6": "e.g. 2001:db8::1",
    "uri": "an absolute URI, e.g. https://example.com/page",
    "uri-reference": "a URI or a relative reference",
    "uuid": "e.g. 123e4567-e89b-12d3-a456-426614174000",
    "regex": "a regular expression",
}
