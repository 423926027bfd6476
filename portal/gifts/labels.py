"""Wording of the gift domain's states, shared by the web pages and the monthly documents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.gifts.proposal_models import ProposalState

PROPOSAL_STATE_LABELS = {
    ProposalState.DRAFT: _l("下書き"),
    ProposalState.SUBMITTED: _l("提出済"),
    ProposalState.UNDER_REVIEW: _l("審査中"),
    ProposalState.CHANGES_REQUESTED: _l("修正依頼"),
    ProposalState.RESUBMITTED: _l("再提出"),
    ProposalState.RECOMMENDED: _l("市の承認待ち"),
    ProposalState.APPROVED: _l("承認"),
    ProposalState.REJECTED: _l("不承認"),
}
