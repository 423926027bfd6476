"""Every rule of `app.url_map` × every role × its methods, against an explicit table.

The table below is written by hand, apart from the code it checks: a route added without an
entry (or without its `@requires`) fails here. What each outcome means:

- ``ok``: the role gets through (any answer but 401/403, a login redirect or a 5xx: a made-up id
  is a 404, an empty form a 422 or a redirect back);
- ``login``: sent to the staff/supplier login; ``donor``: sent to the donor look-up;
- ``403``: the translated refusal page.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from portal.core.roles import Role
from tests.conftest import sign_in

ROLES = ("anonymous", "donor", "supplier", "other_supplier", "operator", "operator_admin", "city")
STAFF = frozenset({"operator", "operator_admin", "city"})
OPERATORS = frozenset({"operator", "operator_admin"})
SUPPLIERS = frozenset({"supplier", "other_supplier"})
EVERYONE = frozenset(ROLES)

# Audience defaults: who gets through each blueprint's guard at all.
DEFAULTS = {"staff": STAFF, "support": STAFF, "supplier": SUPPLIERS}
# Donor pages reachable without a donor session (the look-up itself, the e-mailed link, the
# survey token) — everything else under /donor needs the session.
DONOR_OPEN = {
    "donor.index",
    "donor.lookup",
    "donor.request_link",
    "donor.link",
    "donor.link_use",
    "donor.logout",
    "donor.support_survey",
}
OPEN = {"static", "home", "set_language", "healthz", "favicon"}
# The crowdfunding progress the city embeds: no login, no personal data (unknown code: 404).
OPEN |= {"public.project_progress", "public.project_progress_json"}

# Routes narrower than their audience: endpoint -> {method: roles that get through}.
# Every POST of the staff and the desk must be listed (checked below).
NARROWER: dict[str, dict[str, frozenset[str]]] = {
    # the city reads everything; the operator acts [PRODUCT: city staff see everything read-only]
    "staff.address_check": {"POST": OPERATORS},
    # analytics [6(8)ア]: city and operator staff read the page and its CSVs
    "staff.analytics": {"GET": STAFF},
    "staff.analytics_csv": {"GET": STAFF},
    "staff.advertisements": {"POST": OPERATORS},
    "staff.contract_rates": {"POST": OPERATORS},
    "staff.gift_articles": {"POST": OPERATORS},
    "staff.invoice_credit": {"POST": OPERATORS},
    "staff.invoice_issue": {"POST": OPERATORS},
    "staff.promotions": {"POST": OPERATORS},
    # the operator prepares and submits the monthly report; only the city inspects it [7(1)]
    "staff.monthly_report_accept": {"POST": frozenset({"city"})},
    "staff.monthly_report_comment": {"POST": OPERATORS},
    "staff.monthly_report_open": {"POST": OPERATORS},
    "staff.monthly_report_return": {"POST": frozenset({"city"})},
    "staff.monthly_report_submit": {"POST": OPERATORS},
    "staff.audit_export": {"GET": frozenset({"operator_admin", "city"})},
    "staff.audit_log": {"GET": frozenset({"operator_admin", "city"})},
    "staff.consultations": {"POST": OPERATORS},
    # the handover export: every donor's data, the operator's administrator only
    "staff.handover": {"GET": frozenset({"operator_admin"})},
    "staff.handover_start": {"POST": frozenset({"operator_admin"})},
    "staff.handover_job": {"GET": frozenset({"operator_admin"})},
    "staff.handover_download": {"GET": frozenset({"operator_admin"})},
    "staff.deliveries_report": {"POST": OPERATORS},
    "staff.delivery_resolve": {"POST": OPERATORS},
    "staff.donation_address": {"POST": OPERATORS},
    "staff.donation_cancel": {"POST": OPERATORS},
    "staff.donation_import": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.donation_import_apply": {"POST": OPERATORS},
    "staff.donation_import_job": {"GET": OPERATORS},
    "staff.donation_import_map": {"POST": OPERATORS},
    "staff.donation_import_rejected": {"POST": OPERATORS},
    "staff.donation_line_release": {"POST": OPERATORS},
    "staff.donation_line_substitute": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.donation_new": {"GET": OPERATORS, "POST": OPERATORS},
    # crowdfunding projects: the operator keeps them, the city reads them and their progress
    "staff.project_new": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.project_edit": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.donation_paid": {"POST": OPERATORS},
    "staff.donation_payments": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.donation_stock_move": {"POST": OPERATORS},
    "staff.donation_stock_pause": {"POST": OPERATORS},
    "staff.donation_stock_thresholds": {"POST": OPERATORS},
    # 必要寄附額 is the city's alone [6(2)]
    "staff.gift_amount": {"GET": frozenset({"city"}), "POST": frozenset({"city"})},
    "staff.gift_edit": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.gift_listing": {"POST": OPERATORS},
    "staff.gift_new": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.import_mapping": {"POST": OPERATORS},
    "staff.import_mapping_json": {"POST": OPERATORS},
    "staff.import_mapping_restore": {"POST": OPERATORS},
    # any operator staff member reports an incident; the city, which is told, reads them
    "staff.incident_new": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.incident_follow_up": {"POST": OPERATORS},
    "staff.onestop_intake": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.onestop_record": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.order_delivered": {"POST": OPERATORS},
    "staff.order_fee_correct": {"POST": OPERATORS},
    "staff.order_resend": {"POST": OPERATORS},
    "staff.order_shipment_correct": {"POST": OPERATORS},
    # both review; which move each may make is the proposal's own rule
    "staff.proposal_move": {"POST": STAFF},
    # a caller's donation is searched by POST (the term stays out of URLs); the city reads
    "staff.donations": {"POST": STAFF},
    "support.donation_search": {"POST": STAFF},
    "staff.receipt_batch_mailed": {"POST": OPERATORS},
    "staff.receipt_batch_correct": {"POST": OPERATORS},
    "staff.receipt_batch_release": {"POST": OPERATORS},
    "staff.receipts_issue": {"POST": OPERATORS},
    "staff.receipts_returned": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.onestop_change": {"POST": OPERATORS},
    "staff.request_decide": {"POST": OPERATORS},
    "staff.statement_adjust": {"POST": OPERATORS},
    "staff.statement_correct": {"POST": OPERATORS},
    "staff.statements_generate": {"POST": OPERATORS},
    # the operator pays suppliers and carriers [6(3)カ]; the city reads the runs, but the
    # transfer file (every supplier's bank account) is the operator's alone
    "staff.payment_run_build": {"POST": OPERATORS},
    "staff.payment_run_file": {"GET": OPERATORS},
    "staff.payment_run_paid": {"POST": OPERATORS},
    # the 5割/3割 watch: every staff member reads and enters costs; margins: city and admin
    "staff.oversight": {"POST": STAFF},
    "staff.oversight_cost": {"POST": STAFF},
    "staff.oversight_cost_delete": {"POST": STAFF},
    "staff.oversight_margins": {"POST": frozenset({"operator_admin", "city"})},
    "staff.supplier_edit": {"GET": OPERATORS, "POST": OPERATORS},
    "staff.supplier_invite": {"POST": OPERATORS},
    "staff.supplier_new": {"GET": OPERATORS, "POST": OPERATORS},
    # the operator runs the desk; the city reads it [6(4)]
    "support.assign": {"POST": OPERATORS},
    "support.canned": {"GET": OPERATORS, "POST": OPERATORS},
    "support.canned_delete": {"POST": OPERATORS},
    "support.categorise": {"POST": OPERATORS},
    "support.change_status": {"POST": OPERATORS},
    "support.desk_hours": {"POST": OPERATORS},
    "support.desk_hours_delete": {"POST": OPERATORS},
    "support.faq_delete": {"POST": OPERATORS},
    "support.faq_edit": {"GET": OPERATORS, "POST": OPERATORS},
    "support.log_inquiry": {"GET": OPERATORS, "POST": OPERATORS},
    "support.reply": {"POST": OPERATORS},
    "support.survey": {"POST": OPERATORS},
}
# Logging out is checked in test_auth; here it would end the session under test.
SKIP = {"auth.logout", "auth.logout_everywhere", "donor.logout"}
# The user's own account page: any signed-in user (staff or supplier), nobody else.
SIGNED_IN = {"auth.account", "auth.account_totp", "auth.account_recovery_codes"}

SAMPLE = {"integer": "987654", "unicode": "x" * 43, "default": "x" * 43, "path": "x"}
SAMPLE_BY_NAME = {"kind": "receipt-reissue", "fmt": "csv", "filename": "css/portal.css"}


def _url(rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if rule.defaults and name in rule.defaults:
            continue
        converter = type(rule._converters[name]).__name__.replace("Converter", "").lower()
        values[name] = SAMPLE_BY_NAME.get(name) or SAMPLE.get(converter, SAMPLE["default"])
    return rule.build(values, append_unknown=False)[1]


def expected(endpoint: str, method: str, role: str) -> str:
    blueprint = endpoint.split(".")[0] if "." in endpoint else ""
    if endpoint in SIGNED_IN:
        return "login" if role in ("anonymous", "donor") else "ok"
    if endpoint in OPEN or blueprint == "auth":
        return "ok"
    if blueprint == "donor":
        return "ok" if endpoint in DONOR_OPEN or role == "donor" else "donor"
    allowed = NARROWER.get(endpoint, {}).get(method, DEFAULTS[blueprint])
    if role in allowed:
        return "ok"
    return "login" if role in ("anonymous", "donor") else "403"


def outcome(response: Any) -> str:
    location = response.headers.get("Location", "") or response.headers.get("HX-Redirect", "")
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code in (401, 403):
        return "403"
    if response.status_code in (301, 302, 303) and "/login?next=" in location:
        return "login"
    if response.status_code in (302, 303) and location.rstrip("/").endswith("/donor"):
        return "donor"
    return "ok"


def _rules(app: Flask) -> list[tuple[Rule, str]]:
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


@pytest.fixture()
def role_client(client, make_user):
    def make(role: str):
        if role == "donor":
            with client.session_transaction() as s:
                s["donor"] = {"ids": [987654], "seen": int(time.time())}
        elif role != "anonymous":
            sign_in(client, make_user(Role(role.replace("other_", "").replace("_", "-"))))
        return client

    return make


def test_every_staff_and_desk_post_is_in_the_table(app) -> None:
    """A new mutating staff or desk route needs a line in NARROWER (and its @requires)."""
    missing = [
        rule.endpoint
        for rule, method in _rules(app)
        if method == "POST"
        and rule.endpoint.split(".")[0] in ("staff", "support")
        and rule.endpoint not in NARROWER
    ]
    assert missing == []


def test_every_narrower_route_declares_its_rule(app) -> None:
    """The table's narrower routes are the ones whose views declare a rule (@requires)."""
    undeclared = [
        endpoint
        for endpoint in NARROWER
        if getattr(app.view_functions[endpoint], "required_rule", None) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role, app, role_client) -> None:
    app.config["PROPAGATE_TEST_ERRORS"] = False  # a crash is an outcome here, not an exception
    try:
        client = role_client(role)
        wrong = []
        for rule, method in _rules(app):
            url = _url(rule)
            response = client.open(url, method=method, data={})
            got, want = outcome(response), expected(rule.endpoint, method, role)
            if got != want:
                wrong.append(f"{method} {url} ({rule.endpoint}): {got}, expected {want}")
        assert wrong == []
    finally:
        app.config["PROPAGATE_TEST_ERRORS"] = True


@pytest.mark.parametrize(
    ("role", "shown"), [(Role.OPERATOR, True), (Role.CITY, False)], ids=["operator", "city"]
)
def test_screens_show_only_the_buttons_the_role_may_use(role, shown, client, make_user) -> None:
    sign_in(client, make_user(role))
    donations = client.get("/staff/donations").get_data(as_text=True)
    desk = client.get("/support/").get_data(as_text=True)
    deliveries = client.get("/staff/deliveries").get_data(as_text=True)
    consultations = client.get("/staff/consultations").get_data(as_text=True)
    for page, text in (
        (donations, "入金消込"),
        (donations, "直接登録"),
        (donations, "CSVを取り込む"),
        (desk, "電話・メールを記録"),
        (desk, "定型文"),
        (deliveries, "職員が問題を記録する"),
        (consultations, 'name="topic"'),
    ):
        assert (text in page) is shown, text


@pytest.mark.parametrize(
    ("role", "waiting_state"),
    [(Role.CITY, "recommended"), (Role.OPERATOR, "submitted")],
    ids=["city", "operator"],
)
def test_navigation_counts_the_proposals_waiting_for_the_role(
    role, waiting_state, client, session, make_user, make_supplier
) -> None:
    from portal.gifts.proposal_models import Proposal, ProposalState

    supplier = make_supplier()
    for state in ("recommended", "submitted", "submitted", "draft"):
        session.add(
            Proposal(supplier_id=supplier.id, name=f"案 {state}", state=ProposalState(state))
        )
    session.flush()
    expected = {"recommended": 1, "submitted": 2}[waiting_state]
    sign_in(client, make_user(role))
    nav = client.get("/staff/gifts").get_data(as_text=True)
    assert f'提案 <span class="nav__count">{expected}件</span>' in nav
