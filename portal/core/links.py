"""Absolute links for mail: always from PUBLIC_BASE_URL, never from the request's Host header
(which a client chooses: a forged Host would put an attacker's site into an invitation)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail, also from a background worker (no request there)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return base + path
