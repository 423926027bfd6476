"""Roles and the named permission rules built on them (authorisation in one place)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.accounts.models import User


class Role(enum.StrEnum):
    OPERATOR_ADMIN = "operator-admin"
    OPERATOR = "operator"
    CITY = "city"
    SUPPLIER = "supplier"


OPERATOR_ROLES = frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR})
STAFF_ROLES = frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR, Role.CITY})

# Which roles may enter each audience's blueprint at all (per-object rules come on top).
BLUEPRINT_ROLES: dict[str, frozenset[Role]] = {
    "staff": STAFF_ROLES,
    "support": STAFF_ROLES,
    "supplier": frozenset({Role.SUPPLIER}),
}


def is_operator(user: User) -> bool:
    return user.role in OPERATOR_ROLES


def is_city(user: User) -> bool:
    return user.role == Role.CITY


def can_edit_gifts(user: User) -> bool:
    """Operator staff keep the catalogue; the city reads it (and sets amounts, below)."""
    return user.role in OPERATOR_ROLES


def can_change_required_amount(user: User) -> bool:
    """必要寄附額 is the city's decision [6(2)]: only city staff change it."""
    return user.role == Role.CITY


def can_list_gifts(user: User) -> bool:
    """Offering a gift to donors is the city's decision, like its amount: operator staff
    prepare a gift (準備中) and the city lists it, or it comes from an approved proposal."""
    return user.role == Role.CITY


def can_manage_suppliers(user: User) -> bool:
    return user.role in OPERATOR_ROLES


def can_manage_staff_accounts(user: User) -> bool:
    return user.role == Role.OPERATOR_ADMIN


def home_endpoint(user: User) -> str:
    """Where a user lands after login: its own dashboard."""
    return "supplier.index" if user.role == Role.SUPPLIER else "staff.index"


def can_work_support_desk(user: User) -> bool:
    """The operator runs the desk (reply, assign, FAQ, calendar); city staff read it [6(4)]."""
    return user.role in OPERATOR_ROLES


def can_search_donations(user: User) -> bool:
    """Every staff member finds a caller's donation (the city reads everything); a search is
    POSTed so the term stays out of URLs, and audited like the list it shows."""
    return user.role in STAFF_ROLES


def can_handle_donations(user: User) -> bool:
    """Operator staff import, mark payments, cancel and release held lines; the city reads."""
    return user.role in OPERATOR_ROLES


def can_edit_import_mappings(user: User) -> bool:
    """The operator staff who run the imports correct a portal's mapping (header names, 使途
    and choice wording) when an export is refused — in December, the same evening; every save
    is a version with its author, audited. The city reads the mappings and their history."""
    return user.role in OPERATOR_ROLES


def can_issue_receipts(user: User) -> bool:
    """Operator staff issue and mail receipts, enter returned mail and one-stop forms; the city
    reads the lists and batches."""
    return user.role in OPERATOR_ROLES


def can_correct_shipments(user: User) -> bool:
    """After the supplier's 24 hours only operator staff put a shipment right or mark it
    delivered [issue 4 (3)]; the city reads."""
    return user.role in OPERATOR_ROLES


def can_read_audit_log(user: User) -> bool:
    """City staff audit who saw what (PRODUCT); the operator's administrator checks it too."""
    return user.role in (Role.CITY, Role.OPERATOR_ADMIN)


def can_handle_deliveries(user: User) -> bool:
    """Operator staff record delivery problems and close them; the city reads the list
    (PRODUCT: the city sees everything read-only)."""
    return user.role in OPERATOR_ROLES


def can_record_consultations(user: User) -> bool:
    """Consultations with suppliers are the operator's record [6(6)]; the city reads them."""
    return user.role in OPERATOR_ROLES


def can_review_proposals(user: User) -> bool:
    """Operator staff review proposals and the city decides them; which move each may make is
    the proposal's own rule (gifts/proposals.py)."""
    return user.role in STAFF_ROLES


def can_correct_statements(user: User) -> bool:
    """Operator staff correct a disputed statement line; the city reads statements."""
    return user.role in OPERATOR_ROLES


def can_prepare_monthly(user: User) -> bool:
    """Operator staff keep the contract table, enter city-paid advertising, issue the city
    invoice and prepare the monthly report [7(1), 8]; the city reads all of it."""
    return user.role in OPERATOR_ROLES


def can_inspect_monthly_report(user: User) -> bool:
    """Only city staff inspect the monthly report: accept it or send it back [7(1), 8]."""
    return user.role == Role.CITY


def can_read_analytics(user: User) -> bool:
    """The analytics page and its CSVs [6(8)ア]: city staff read them, and so does the
    operator, who prepares the reports they feed."""
    return user.role in STAFF_ROLES


def can_handle_payments(user: User) -> bool:
    """The operator pays suppliers and carriers [6(3)カ] and generates statements; the city
    reads the payment runs."""
    return user.role in OPERATOR_ROLES


def can_report_incidents(user: User) -> bool:
    """Any operator staff member records a suspected incident and its follow-ups [受託者向け
    第2]; the city, which is told, reads every record."""
    return user.role in OPERATOR_ROLES


def can_manage_projects(user: User) -> bool:
    """Operator staff keep the crowdfunding projects (title, goal, period, portal IDs) [6(9)];
    the city reads them and their progress."""
    return user.role in OPERATOR_ROLES


def can_enter_costs(user: User) -> bool:
    """The costs of raising donations the portal has no record of (portal fees, payment fees,
    advertising) [6(8)イ(イ)]: the city is billed for some itself and the operator keeps the
    books, so both operator staff and city staff enter and correct them (audited)."""
    return user.role in STAFF_ROLES


def can_set_cost_margins(user: User) -> bool:
    """The warning margins before the 5割 and 3割 limits: the city, whose limits they are, and
    the operator's administrator."""
    return user.role in (Role.CITY, Role.OPERATOR_ADMIN)


def can_export_all(user: User) -> bool:
    """The handover export [12(4)] holds every donor's personal data and every record the city
    needs to carry on: only the operator's administrator runs it (CLI or button), audited."""
    return user.role == Role.OPERATOR_ADMIN
