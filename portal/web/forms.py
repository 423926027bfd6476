"""Form helpers shared by every blueprint."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from flask import abort, flash
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from portal.core.errors import DomainError, PermissionDenied, TooLate
from portal.extensions import db


def nfkc(value: Any) -> Any:
    """Full-width digits and letters to half-width (input filter for codes and numbers)."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """A rule said no: undo what the request had done so far, and show the error beside its
    field (or at the top of the form). The page is rendered again with what was typed."""
    _refuse_unless_form_error(error)
    field: Field | None = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def flash_domain_error(error: DomainError) -> None:
    """The same for an action without a form of its own (a button): undo, and say why on the
    page the user is sent back to."""
    _refuse_unless_form_error(error)
    flash(str(error.message), "error")


def _refuse_unless_form_error(error: DomainError) -> None:
    """Roll back; a refusal of the action for want of a right is the 403 page, whichever layer
    noticed it (the route's @requires or the domain rule). A refusal aimed at one field (a
    status this role may not choose) or a window that closed (TooLate) stays on the form."""
    db.session.rollback()
    if (
        isinstance(error, PermissionDenied)
        and error.field is None
        and not isinstance(error, TooLate)
    ):
        abort(403)
