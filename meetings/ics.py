"""An iCalendar (RFC 5545) file for one meeting, written by hand: one event, no patient data.

TEXT values escape backslash, semicolon, comma and newline (section 3.3.11); lines end with
CRLF and are folded at 75 octets without splitting a UTF-8 character (section 3.1); times are
UTC (`Z`). The UID is the meeting's code at the clinic's host, so an updated file (a higher
SEQUENCE) replaces the event in a calendar rather than adding a second one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import quote

MAX_OCTETS = 75
# RFC 3986 reserved and unreserved characters (and %), left as they are in a URI.
URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def escape_text(value: str) -> str:
    # Some calendar clients show DESCRIPTION as HTML: angle brackets never reach them.
    value = value.replace("<", "").replace(">", "")
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces; continuation lines start with a space."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # the leading space counts
        current += character
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def calendar(lines: Iterable[str]) -> str:
    return "".join(f"{fold(line)}\r\n" for line in lines)


def meeting_event(
    *,
    uid: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    stamp: dt.datetime,
    summary: str,
    location: str = "",
    description: str = "",
    url: str = "",
    sequence: int = 0,
    cancelled: bool = False,
    product: str = "-//Cancer pain clinic//Team meetings//EN",
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{product}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(starts_at)}",
        f"DTEND:{utc_stamp(ends_at)}",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if url:
        # A URI value, not TEXT: characters a URI may not hold are percent-encoded instead.
        lines.append(f"URL:{quote(url, safe=URI_SAFE)}")
    lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return calendar(lines)
