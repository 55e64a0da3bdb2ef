"""Logging that cannot be forged: user input never starts a new log line."""

from __future__ import annotations

import logging


class SingleLineFilter(logging.Filter):
    """Escape carriage returns and newlines in the message and its arguments.

    A username like "x\\n2026-01-01 INFO admin signed in" would otherwise write a fake line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\n" in message or "\r" in message:
            record.msg = message.replace("\r", "\\r").replace("\n", "\\n")
            record.args = None
        return True
