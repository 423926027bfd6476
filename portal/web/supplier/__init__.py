"""Supplier portal: a supplier only ever sees its own company's things.

This file is the supplier's table of contents: the blueprint, its guard and every URL. The
scoping helpers (`own_gifts`, `own_order`) live in `scope`; label wording in `labels`.
"""

from __future__ import annotations

from flask import Blueprint

from portal.web.guards import guard, no_store
from portal.web.supplier import orders, problems, proposals, statements, stock, support

bp = Blueprint("supplier", __name__, url_prefix="/supplier")
guard(bp)
bp.after_request(no_store)  # personal data: nothing of this audience is stored

# orders
bp.add_url_rule("/", view_func=orders.index)
bp.add_url_rule("/orders", view_func=orders.orders)
bp.add_url_rule("/orders", view_func=orders.orders_search, methods=["POST"])
bp.add_url_rule("/orders/<int:order_id>", view_func=orders.order_detail)
bp.add_url_rule("/orders/<int:order_id>/ship", view_func=orders.order_ship, methods=["POST"])
bp.add_url_rule("/orders/<int:order_id>/correct", view_func=orders.order_correct, methods=["POST"])
bp.add_url_rule("/orders/selected", view_func=orders.orders_selected, methods=["POST"])
bp.add_url_rule("/orders/ship", view_func=orders.orders_ship, methods=["POST"])
bp.add_url_rule("/orders/upload", view_func=orders.orders_upload)
bp.add_url_rule("/orders/upload", view_func=orders.orders_upload_post, methods=["POST"])
bp.add_url_rule("/orders/upload/<token>", view_func=orders.upload_preview)
bp.add_url_rule("/orders/upload/<token>", view_func=orders.upload_apply, methods=["POST"])

# problems
bp.add_url_rule(
    "/orders/<int:order_id>/problems/new",
    methods=["GET", "POST"],
    view_func=problems.report_problem,
)
bp.add_url_rule("/problems", view_func=problems.problems)

# proposals
bp.add_url_rule("/proposals", view_func=proposals.proposals)
bp.add_url_rule("/proposals/new", methods=["GET", "POST"], view_func=proposals.proposal_new)
bp.add_url_rule("/proposals/check", view_func=proposals.proposal_check, methods=["POST"])
bp.add_url_rule(
    "/proposals/<int:proposal_id>", methods=["GET", "POST"], view_func=proposals.proposal_detail
)
bp.add_url_rule(
    "/proposals/<int:proposal_id>/files", view_func=proposals.proposal_upload, methods=["POST"]
)

# statements
bp.add_url_rule("/statements", view_func=statements.statements)
bp.add_url_rule("/payments/<int:line_id>.pdf", view_func=statements.payment_advice)
bp.add_url_rule("/statements/<int:statement_id>", view_func=statements.statement_detail)
bp.add_url_rule(
    "/statements/<int:statement_id>/confirm",
    view_func=statements.statement_confirm,
    methods=["POST"],
)
bp.add_url_rule(
    "/statements/<int:statement_id>/lines/<int:line_id>/dispute",
    view_func=statements.statement_dispute,
    methods=["POST"],
)

# stock
bp.add_url_rule("/stock", view_func=stock.stock)
bp.add_url_rule("/stock/<int:gift_id>/change", view_func=stock.stock_change, methods=["POST"])
bp.add_url_rule("/stock/<int:gift_id>/pause", view_func=stock.stock_pause, methods=["POST"])

# support
bp.add_url_rule("/support/", view_func=support.support_list)
bp.add_url_rule("/support/", view_func=support.support_start, methods=["POST"])
bp.add_url_rule("/support/<int:conv_id>", view_func=support.support_chat)
bp.add_url_rule("/support/<int:conv_id>/messages", view_func=support.support_send, methods=["POST"])
bp.add_url_rule("/support/<int:conv_id>/poll", view_func=support.support_poll)
bp.add_url_rule("/support/attachments/<int:attachment_id>", view_func=support.support_attachment)
bp.add_url_rule("/support/faq", view_func=support.support_faq, methods=["POST"])
bp.add_url_rule(
    "/support/<int:conv_id>/survey", methods=["GET", "POST"], view_func=support.support_survey
)
