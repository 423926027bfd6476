"""Domain errors carry a translatable message; blueprints show it beside the right field."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `message` is a lazy translated string; `field` names the form field."""

    def __init__(self, message: object, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """Someone else changed the thing first (stale form, concurrent decision)."""
