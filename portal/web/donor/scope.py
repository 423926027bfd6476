"""The donor session and what it may open (every donor route scopes through here).

The donor session lives in Flask's signed session cookie under "donor", apart from the staff
login: the donation ids it opened, when it began and when it was last used. It ends after
IDLE_MINUTES without a request (chat polling does not count as use), ABSOLUTE_MINUTES after
the first look-up however busy, or with the logout button. When it was last used is written
into the cookie at most every SEEN_EVERY seconds (not a new cookie per request), so the idle
end comes within a minute of IDLE_MINUTES after the last request. Pages name
donations by id only (no number, name or address in a URL); an id outside the session is a
404, the same as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, g, request, session, url_for
from flask_babel import gettext as _

from portal.core import clock
from portal.core.audit import audit_insert, label_text
from portal.donations.models import DONATION_WORD, Donation
from portal.donors import access
from portal.extensions import db
from portal.web import htmx

SESSION_KEY = "donor"
MAX_DONATIONS = 100
# However active, a donor session ends this long after its first look-up (a cookie copied
# off a shared computer stops working on its own).
ABSOLUTE_MINUTES = 120
# "seen" is rewritten (and so the cookie sent again) at most this often, in seconds.
SEEN_EVERY = 60
# Reachable without a donor session.
OPEN_ENDPOINTS = frozenset(
    {
        "donor.index",
        "donor.lookup",
        "donor.request_link",
        "donor.link",
        "donor.link_use",
        "donor.logout",
        "donor.support_survey",  # the survey token is the key (mailed after a resolution)
    }
)
# Requests that are not the donor doing something (keep-alive would defeat the idle limit).
PASSIVE_ENDPOINTS = frozenset({"donor.support_poll"})


# --- the donor session -------------------------------------------------------------------


def _now() -> int:
    return int(clock.timestamp())


def grant(ids: list[int]) -> None:
    """Add donations to the session (a second lookup in the same browser keeps the first)."""
    state = session.get(SESSION_KEY) or {}
    merged = list(dict.fromkeys([*state.get("ids", []), *ids]))[-MAX_DONATIONS:]
    session[SESSION_KEY] = {"ids": merged, "seen": _now(), "since": state.get("since", _now())}


def donor_ids() -> list[int]:
    return list(g.get("donor_ids", []))


def donor_session(on_expired_post: Callable[[], Response] | None = None) -> Response | None:
    """The donor guard. `on_expired_post` answers a request form posted after the session
    ended (the blueprint passes the view that keeps what was typed; this module imports no
    views)."""
    state = session.get(SESSION_KEY)
    expired = too_old = False
    if state:
        expired = _now() - int(state.get("seen", 0)) > access.IDLE_MINUTES * 60
        too_old = _now() - int(state.get("since", state.get("seen", 0))) > ABSOLUTE_MINUTES * 60
        if expired or too_old:
            session.pop(SESSION_KEY, None)
            state = None
        elif (
            request.endpoint not in PASSIVE_ENDPOINTS
            and _now() - int(state.get("seen", 0)) >= SEEN_EVERY
        ):
            state["seen"] = _now()
            session.modified = True
    g.donor_ids = list(state["ids"]) if state else []
    if request.endpoint in OPEN_ENDPOINTS or state:
        return None
    if (
        (expired or too_old)
        and request.method == "POST"
        and request.endpoint == "donor.new_request"
        and on_expired_post is not None
    ):
        # A request form sent after the session ended: the look-up, carrying what was typed
        # (a post without any donor session is still just sent to the look-up).
        return on_expired_post()
    if too_old and not expired:
        flash(
            _("確認画面を開いてから2時間たったため、閉じました。もう一度お調べください。"), "info"
        )
    elif expired:
        flash(_("30分間操作がなかったため、確認画面を閉じました。もう一度お調べください。"), "info")
    else:
        flash(_("寄附受付番号と郵便番号で、もう一度お調べください。"), "info")
    return htmx.redirect(url_for("donor.index"))


def donor_context() -> dict:
    return {"donor_signed_in": lambda: bool(g.get("donor_ids"))}


def require_own(donation_id: int) -> None:
    """A donation id outside this session is not found (the same 404 as one that does not
    exist), before anything is loaded."""
    if donation_id not in donor_ids():
        abort(404)


def own_donation(donation_id: int, *options: Any) -> Donation:
    """A donation this session opened; anything else is not found (no hint either way).
    `options` are loader options for what the page shows (its lines, orders, gifts)."""
    require_own(donation_id)
    donation = db.session.get(Donation, donation_id, options=options)
    if donation is None:
        abort(404)
    return donation


def audit_view(donation: Donation, what: str) -> None:
    """Every donor view of a donation leaves its row (one Core INSERT: the status page is the
    busiest page of all)."""
    audit_insert(
        db.session,
        actor=None,
        actor_kind="donor",
        actor_ref=donation.donation_no,
        action="view",
        subject_type="donation",
        subject_id=donation.id,
        detail=f"donor session: {what}",
        ip=request.remote_addr or "",
        # the registered labeler's text (portal/donations/models.py), without its session.get:
        # the status page reads its donation as plain columns, not into the identity map
        label=label_text(DONATION_WORD, donation.donation_no),
    )
