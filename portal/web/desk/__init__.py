"""The support desk (staff inbox) [6(4)]: every conversation, replies, FAQ, canned replies,
desk hours and the monthly analysis. Operators work the desk; city staff read it.

This file is the desk's table of contents: the blueprint (named "support", its URLs under
/support/), its guard and every URL. The customers' side of a conversation is in
`portal/web/donor/support.py` and `portal/web/supplier/support.py`; what all three share is in
`portal/web/chat.py`.
"""

from __future__ import annotations

from flask import Blueprint

from portal.web.desk import analysis, canned, faq, hours, inbox
from portal.web.guards import guard, no_store

bp = Blueprint("support", __name__, url_prefix="/support")
guard(bp)
bp.after_request(no_store)  # personal data: nothing of this audience is stored
bp.app_context_processor(inbox.desk_counts)

# inbox
bp.add_url_rule("/", view_func=inbox.index)
bp.add_url_rule("/<int:conv_id>", view_func=inbox.conversation)
bp.add_url_rule("/<int:conv_id>/poll", view_func=inbox.poll)
bp.add_url_rule("/<int:conv_id>/reply", view_func=inbox.reply, methods=["POST"])
bp.add_url_rule("/<int:conv_id>/assign", view_func=inbox.assign, methods=["POST"])
bp.add_url_rule("/<int:conv_id>/categorise", view_func=inbox.categorise, methods=["POST"])
bp.add_url_rule("/<int:conv_id>/status", view_func=inbox.change_status, methods=["POST"])
bp.add_url_rule("/<int:conv_id>/survey", view_func=inbox.survey, methods=["POST"])
bp.add_url_rule("/attachments/<int:attachment_id>", view_func=inbox.attachment)
bp.add_url_rule("/new", methods=["GET", "POST"], view_func=inbox.log_inquiry)
bp.add_url_rule("/donations/search", view_func=inbox.donation_search, methods=["POST"])

# faq
bp.add_url_rule("/faq", view_func=faq.faq_list)
bp.add_url_rule(
    "/faq/new", methods=["GET", "POST"], defaults={"entry_id": None}, view_func=faq.faq_edit
)
bp.add_url_rule("/faq/<int:entry_id>", methods=["GET", "POST"], view_func=faq.faq_edit)
bp.add_url_rule("/faq/<int:entry_id>/delete", view_func=faq.faq_delete, methods=["POST"])

# canned
bp.add_url_rule("/canned", methods=["GET", "POST"], view_func=canned.canned)
bp.add_url_rule("/canned/<int:reply_id>/delete", view_func=canned.canned_delete, methods=["POST"])

# hours
bp.add_url_rule("/hours", methods=["GET", "POST"], view_func=hours.desk_hours)
bp.add_url_rule("/hours/<int:day_id>/delete", view_func=hours.desk_hours_delete, methods=["POST"])

# analysis
bp.add_url_rule("/analysis", view_func=analysis.analysis)
bp.add_url_rule("/analysis.<fmt>", view_func=analysis.analysis_export)
