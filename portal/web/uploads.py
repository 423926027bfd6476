"""How large a request body each upload route accepts.

Flask applies one `MAX_CONTENT_LENGTH` to every request, and it applies it wherever the body is
first read — CSRF protection reads the form before any view runs — so a view cannot raise the
limit for itself. Here each upload route names the config key of its own limit (in MB); every
other route keeps `MAX_CONTENT_LENGTH`. A refused body is never read: the 413 page
(portal.web.errors) says the limit.
"""

from __future__ import annotations

from flask import Flask, Request, current_app

MB = 1024 * 1024

# endpoint → config key of its limit in MB (the file's own limit plus room for the form).
UPLOAD_LIMITS: dict[str, str] = {
    "staff.donation_import": "IMPORT_MAX_MB",  # a December day's portal export
    "staff.donation_payments": "PAYMENT_UPLOAD_MAX_MB",  # 入金明細CSV
    "supplier.orders_upload_post": "SHIPMENT_UPLOAD_MAX_MB",  # 発送データ (5 MB file)
    "supplier.proposal_upload": "PROPOSAL_UPLOAD_MAX_MB",  # photos 5 MB, evidence 10 MB
    "donor.support_start": "CHAT_UPLOAD_MAX_MB",  # attachments 5 MB
    "donor.support_send": "CHAT_UPLOAD_MAX_MB",
    "supplier.support_start": "CHAT_UPLOAD_MAX_MB",
    "supplier.support_send": "CHAT_UPLOAD_MAX_MB",
    "support.reply": "CHAT_UPLOAD_MAX_MB",
}


# Defaults when the config lacks a key (portal.config sets all of them from the environment).
DEFAULT_MB = {
    "IMPORT_MAX_MB": 200,
    "PAYMENT_UPLOAD_MAX_MB": 20,
    "SHIPMENT_UPLOAD_MAX_MB": 6,
    "PROPOSAL_UPLOAD_MAX_MB": 11,
    "CHAT_UPLOAD_MAX_MB": 6,
}


def limit_for(endpoint: str | None) -> int | None:
    """The body limit in bytes of a route (None: no limit)."""
    key = UPLOAD_LIMITS.get(endpoint or "")
    if key is None:
        return current_app.config.get("MAX_CONTENT_LENGTH")
    return int(current_app.config.get(key, DEFAULT_MB[key])) * MB


class RouteLimitedRequest(Request):
    """A request whose body limit is its route's (the route is matched before any reading)."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return None
        return limit_for(self.url_rule.endpoint if self.url_rule is not None else None)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def init_app(app: Flask) -> None:
    """After any extension that sets its own request class (htmx-flask does): ours on top."""
    base = app.request_class
    if not issubclass(base, RouteLimitedRequest):
        app.request_class = type("PortalRequest", (RouteLimitedRequest, base), {})
