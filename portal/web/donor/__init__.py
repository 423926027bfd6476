"""Donor pages (no account: a donation number + postal code or a one-time link).

This file is the donor's table of contents: the blueprint, its session hook and every URL.
The session rules and the scoping helpers (`own_donation`, `donor_ids`) live in `scope`.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint

from portal.donors.access import mask_address, mask_postal
from portal.web.donor import donations, scope, support
from portal.web.guards import no_store

bp = Blueprint("donor", __name__, url_prefix="/donor")
bp.before_request(partial(scope.donor_session, donations.expired_lookup))
bp.after_request(no_store)  # personal data: nothing of this audience is stored
bp.app_context_processor(scope.donor_context)
# The status page shows addresses masked; the change form (the donor asked) shows them whole.
bp.add_app_template_filter(mask_address, "mask_address")
bp.add_app_template_filter(mask_postal, "mask_postal")

# donations
bp.add_url_rule("/", view_func=donations.index)
bp.add_url_rule("/lookup", view_func=donations.lookup, methods=["POST"])
bp.add_url_rule("/link", view_func=donations.request_link, methods=["POST"])
bp.add_url_rule("/link/<token>", view_func=donations.link)
bp.add_url_rule("/link/<token>", view_func=donations.link_use, methods=["POST"])
bp.add_url_rule("/logout", view_func=donations.logout, methods=["POST"])
bp.add_url_rule("/donations", view_func=donations.donations)
bp.add_url_rule("/donations/<int:donation_id>", view_func=donations.donation)
bp.add_url_rule("/donations/<int:donation_id>/receipt.pdf", view_func=donations.receipt)
bp.add_url_rule(
    "/donations/<int:donation_id>/onestop-change.pdf", view_func=donations.onestop_change_form
)
bp.add_url_rule(
    "/donations/<int:donation_id>/requests/<kind>",
    methods=["GET", "POST"],
    view_func=donations.new_request,
)
bp.add_url_rule("/address", view_func=donations.address, methods=["POST"])

# support
bp.add_url_rule("/donations/<int:donation_id>/support", view_func=support.support_list)
bp.add_url_rule(
    "/donations/<int:donation_id>/support", view_func=support.support_start, methods=["POST"]
)
bp.add_url_rule("/support/<int:conv_id>", view_func=support.support_chat)
bp.add_url_rule("/support/<int:conv_id>/messages", view_func=support.support_send, methods=["POST"])
bp.add_url_rule("/support/<int:conv_id>/poll", view_func=support.support_poll)
bp.add_url_rule("/support/attachments/<int:attachment_id>", view_func=support.support_attachment)
bp.add_url_rule("/support/faq", view_func=support.support_faq, methods=["POST"])
bp.add_url_rule("/survey/<token>", methods=["GET", "POST"], view_func=support.support_survey)
