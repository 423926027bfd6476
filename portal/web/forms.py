"""Form helpers shared by every blueprint."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from portal.core.errors import DomainError


def nfkc(value: Any) -> Any:
    """Full-width digits and letters to half-width (input filter for codes and numbers)."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Show a domain error beside its field (or at the top of the form)."""
    field: Field | None = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 SelectChoice objects (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]
