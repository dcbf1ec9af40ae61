"""How numbers, durations, dates and quoted queries read in Vietnamese, as Jinja filters.

Vietnamese groups thousands with dots and writes decimals with a comma ("1.234",
"0,05 giây") and dates day first ("01/05/2024"); Python's defaults are the other way round.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Flask


def number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.2f}".replace(".", ",")


def megabytes(size: int) -> str:
    """Bytes as "12,3 MB" (MB of 1,048,576 bytes, as file managers count them)."""
    return f"{size / 1_048_576:.1f}".replace(".", ",") + " MB"


def date(value: str | None) -> str:
    """"2024-05-01" → "01/05/2024"; anything that is not an ISO date is shown as stored."""
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def timestamp(value: float | None) -> str | None:
    """A file modification time as ISO 8601 in UTC, for machines (health checks)."""
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat(timespec="seconds")


def datetime_vi(value: float | None) -> str:
    if value is None:
        return ""
    return dt.datetime.fromtimestamp(value).strftime("%H:%M ngày %d/%m/%Y")


def web_url(value: str | None) -> str | None:
    """The source link only if it is an http(s) URL.

    Source URLs come from front matter anyone can write; escaping does not stop a
    ``javascript:`` URL in an href, so every other scheme is dropped.
    """
    if not value:
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" in the host
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def quoted(query: str) -> str:
    """The query in typographic quotes; a query that is one quoted phrase keeps its own
    quotes as the typographic ones instead of showing “"…"”."""
    inner = query.strip()
    if len(inner) >= 2 and inner[0] == inner[-1] == '"' and '"' not in inner[1:-1]:
        inner = inner[1:-1]
    return f"“{inner}”"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        number=number, seconds=seconds, date_vi=date, datetime_vi=datetime_vi, web_url=web_url,
        quoted=quoted, megabytes=megabytes,
    )
