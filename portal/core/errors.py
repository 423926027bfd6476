"""Domain errors carry a translatable message; blueprints show it beside the right field."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `message` is a lazy translated string; `field` names the form field."""

    def __init__(self, message: object, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    """The actor lacks the right: the web layer answers 403 with the translated page."""


class TooLate(PermissionDenied):
    """The actor had the right, but its window has closed (a supplier's 24 hours to correct a
    shipment): shown beside the form with whom to ask, not as a 403."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """Someone else changed the thing first (stale form, concurrent decision)."""
