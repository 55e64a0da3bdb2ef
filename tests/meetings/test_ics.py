"""The .ics writer (RFC 5545): escaping, folding, CRLF, UTC times."""

from __future__ import annotations

import datetime as dt

from meetings import ics


def test_text_values_escape_backslash_semicolon_comma_and_newlines() -> None:
    assert ics.escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    line = "DESCRIPTION:" + "é" * 60
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join(piece[1:] if i else piece for i, piece in enumerate(pieces)) == line


def test_an_event_has_crlf_lines_utc_times_and_a_stable_uid() -> None:
    tz = dt.timezone(dt.timedelta(hours=2))
    body = ics.meeting_event(
        uid="abc@clinic.example.org",
        starts_at=dt.datetime(2026, 3, 4, 14, 0, tzinfo=tz),
        ends_at=dt.datetime(2026, 3, 4, 15, 30, tzinfo=tz),
        stamp=dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC),
        summary="Team meeting, weekly",
        location="Room 2; level 3",
        description="Chair: Dr A\nAgenda: https://clinic.example.org/m/",
        sequence=3,
    )
    lines = body.split("\r\n")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "UID:abc@clinic.example.org" in lines
    assert "DTSTART:20260304T120000Z" in lines
    assert "DTEND:20260304T133000Z" in lines
    assert "SUMMARY:Team meeting\\, weekly" in lines
    assert "LOCATION:Room 2\\; level 3" in lines
    assert "SEQUENCE:3" in lines and "STATUS:CONFIRMED" in lines


def test_a_cancelled_meeting_is_a_cancelled_event() -> None:
    moment = dt.datetime(2026, 3, 4, 14, 0, tzinfo=dt.UTC)
    body = ics.meeting_event(
        uid="x@y", starts_at=moment, ends_at=moment, stamp=moment, summary="MDT", cancelled=True
    )
    assert "STATUS:CANCELLED\r\n" in body


def test_angle_brackets_never_reach_a_calendar_and_the_url_is_percent_encoded() -> None:
    moment = dt.datetime(2026, 3, 4, 14, 0, tzinfo=dt.UTC)
    body = ics.meeting_event(
        uid="x@y",
        starts_at=moment,
        ends_at=moment,
        stamp=moment,
        summary="<b>MDT</b>",
        url='https://clinic.example.org/m/"><script>',
    )
    assert "SUMMARY:bMDT/b\r\n" in body
    assert "URL:https://clinic.example.org/m/%22%3E%3Cscript%3E\r\n" in body
