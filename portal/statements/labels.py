"""Wording of statement lines and re-send causes, shared by the web pages and the monthly
documents (which are made below the web layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.shipping.models import ResendCause
from portal.statements.models import LineKind

LINE_KIND_LABELS = {
    LineKind.SHIPMENT: _l("発送"),
    LineKind.RESEND: _l("再送"),
    LineKind.ADJUSTMENT: _l("訂正"),
}

RESEND_CAUSE_LABELS = {
    ResendCause.SUPPLIER: _l("事業者の責"),
    ResendCause.OPERATOR: _l("運営事務局の責"),
    ResendCause.CARRIER: _l("配送事故"),
    ResendCause.DONOR: _l("寄附者の事情"),
    ResendCause.DISASTER: _l("災害"),
}
