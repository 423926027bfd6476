"""Access logs hold no secrets and no personal data from URLs.

A request line is logged by the development server (logger `werkzeug`) and by gunicorn
(`gunicorn.access`) with its full path and query string. Secret link tokens live in paths
(/donor/link/<token>, /invitation/<token>, /donor/survey/<token>, upload previews), and a
query string may carry a search term. The filter installed on those loggers rewrites every
record: the query string becomes `?…` and every token-like path segment (a run of 16 or more
URL-safe characters that is not a plain word or number) becomes `[token]`.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

# A path, from its leading slash up to a space or quote (the request line "GET /x?y HTTP/1.1").
_PATH = re.compile(r"(/[^\s\"?]*)(\?[^\s\"]*)?")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,}$")
_WORDISH = re.compile(r"^(?:[a-z]+(?:[-_][a-z]+)*|\d+|[0-9]{4}-[0-9]{6}(?:-\d+)?)$")


def _segment(seg: str) -> str:
    if _TOKEN.match(seg) and not _WORDISH.match(seg):
        return "[token]"
    return seg


def redact(text: str) -> str:
    def path(m: re.Match[str]) -> str:
        redacted = "/".join(_segment(s) for s in m.group(1).split("/"))
        return redacted + ("?…" if m.group(2) else "")

    return _PATH.sub(path, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        record.msg = redact(message)
        record.args = None
        return True


_FILTER = RedactingFilter()


def install() -> None:
    """Idempotent: one filter on each access logger."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
