"""Staff pages (operator staff and city staff).

This file is the staff's table of contents: the blueprint, its guard and every URL. What each
role may do is declared on the view (`@requires(...)`, portal/web/guards.py).
"""

from __future__ import annotations

from flask import Blueprint

from portal.web.guards import guard, no_store
from portal.web.staff import (
    analytics,
    audit,
    consultations,
    dashboard,
    deliveries,
    direct,
    donations,
    gifts,
    handover,
    held,
    imports,
    incidents,
    mappings,
    monthly,
    orders,
    oversight,
    payments,
    projects,
    proposals,
    receipts,
    requests,
    statements,
    stock,
    suppliers,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard(bp)
bp.after_request(no_store)  # personal data: nothing of this audience is stored
bp.app_context_processor(audit._audit_nav)
bp.app_template_global("stock_alert_count")(stock.stock_alert_count_global)
bp.app_template_global("proposals_waiting")(proposals.proposals_waiting)
bp.context_processor(receipts._receipt_rules)

# analytics [6(8)ア]: the page, and each chart's numbers as CSV
bp.add_url_rule("/analytics", view_func=analytics.analytics)
bp.add_url_rule("/analytics/<chart>.csv", view_func=analytics.analytics_csv)

# audit
bp.add_url_rule("/audit", view_func=audit.audit_log)
bp.add_url_rule("/audit.csv", view_func=audit.audit_export)

# consultations
bp.add_url_rule("/consultations", methods=["GET", "POST"], view_func=consultations.consultations)

# dashboard
bp.add_url_rule("/", view_func=dashboard.index)

# deliveries
bp.add_url_rule("/deliveries", view_func=deliveries.deliveries)
bp.add_url_rule("/deliveries", view_func=deliveries.deliveries_report, methods=["POST"])
bp.add_url_rule(
    "/deliveries/<int:problem_id>/resolve", view_func=deliveries.delivery_resolve, methods=["POST"]
)

# incidents
bp.add_url_rule("/incidents", view_func=incidents.incidents)
bp.add_url_rule("/incidents/new", methods=["GET", "POST"], view_func=incidents.incident_new)
bp.add_url_rule("/incidents/<int:incident_id>", view_func=incidents.incident_detail)
bp.add_url_rule(
    "/incidents/<int:incident_id>/notes",
    view_func=incidents.incident_follow_up,
    methods=["POST"],
)

# donations
bp.add_url_rule("/donations", view_func=donations.donations, methods=["GET", "POST"])
bp.add_url_rule("/donations/<int:donation_id>", view_func=donations.donation_detail)
bp.add_url_rule(
    "/donations/<int:donation_id>/paid", view_func=donations.donation_paid, methods=["POST"]
)
bp.add_url_rule(
    "/donations/<int:donation_id>/cancel", view_func=donations.donation_cancel, methods=["POST"]
)
bp.add_url_rule("/donations/import", methods=["GET", "POST"], view_func=imports.donation_import)
bp.add_url_rule(
    "/donations/import/apply", view_func=imports.donation_import_apply, methods=["POST"]
)
bp.add_url_rule("/donations/import/jobs/<int:run_id>", view_func=imports.donation_import_job)
bp.add_url_rule(
    "/donations/import/jobs/<int:run_id>/map",
    view_func=imports.donation_import_map,
    methods=["POST"],
)
bp.add_url_rule(
    "/donations/import/rejected", view_func=imports.donation_import_rejected, methods=["POST"]
)
bp.add_url_rule("/donations/held", view_func=held.donations_held)
bp.add_url_rule(
    "/donations/lines/<int:line_id>/release",
    view_func=held.donation_line_release,
    methods=["POST"],
)
bp.add_url_rule("/donations/new", methods=["GET", "POST"], view_func=direct.donation_new)
bp.add_url_rule("/donations/address", view_func=direct.donation_address, methods=["POST"])
bp.add_url_rule("/donations/payments", methods=["GET", "POST"], view_func=direct.donation_payments)
bp.add_url_rule("/donations/stock", view_func=stock.donation_stock)
bp.add_url_rule(
    "/donations/stock/<int:gift_id>/thresholds",
    view_func=stock.donation_stock_thresholds,
    methods=["POST"],
)
bp.add_url_rule(
    "/donations/stock/<int:gift_id>/move", view_func=stock.donation_stock_move, methods=["POST"]
)
bp.add_url_rule(
    "/donations/stock/<int:gift_id>/pause",
    view_func=stock.donation_stock_pause,
    methods=["POST"],
)
bp.add_url_rule(
    "/donations/lines/<int:line_id>/substitute",
    methods=["GET", "POST"],
    view_func=held.donation_line_substitute,
)

# import mappings (取込形式の対応表)
bp.add_url_rule("/donations/import/mappings", view_func=mappings.import_mappings)
bp.add_url_rule(
    "/donations/import/mappings/<portal>",
    methods=["GET", "POST"],
    view_func=mappings.import_mapping,
)
bp.add_url_rule(
    "/donations/import/mappings/<portal>/json",
    view_func=mappings.import_mapping_json,
    methods=["POST"],
)
bp.add_url_rule(
    "/donations/import/mappings/<portal>/restore",
    view_func=mappings.import_mapping_restore,
    methods=["POST"],
)

# gifts
bp.add_url_rule("/gifts", view_func=gifts.gifts)
bp.add_url_rule("/gifts/new", methods=["GET", "POST"], view_func=gifts.gift_new)
bp.add_url_rule("/gifts/<int:gift_id>", view_func=gifts.gift_detail)
bp.add_url_rule(
    "/gifts/<int:gift_id>/listings/<portal>", methods=["POST"], view_func=gifts.gift_listing
)
bp.add_url_rule("/gifts/<int:gift_id>/edit", methods=["GET", "POST"], view_func=gifts.gift_edit)
bp.add_url_rule("/gifts/<int:gift_id>/amount", methods=["GET", "POST"], view_func=gifts.gift_amount)

# monthly: contract table, city-paid advertising, the city invoice, articles, promotion, report
bp.add_url_rule("/contract", methods=["GET", "POST"], view_func=monthly.contract_rates)
bp.add_url_rule("/advertisements", methods=["GET", "POST"], view_func=monthly.advertisements)
bp.add_url_rule("/advertisements/<int:ad_id>/evidence", view_func=monthly.advertisement_evidence)
bp.add_url_rule("/invoices", view_func=monthly.invoices)
bp.add_url_rule("/invoices/issue", view_func=monthly.invoice_issue, methods=["POST"])
bp.add_url_rule(
    "/invoices/<int:invoice_id>/credit", view_func=monthly.invoice_credit, methods=["POST"]
)
bp.add_url_rule("/invoices/<int:invoice_id>/invoice.pdf", view_func=monthly.invoice_pdf)
bp.add_url_rule("/invoices/<int:invoice_id>/invoice.xlsx", view_func=monthly.invoice_xlsx)
bp.add_url_rule("/articles", methods=["GET", "POST"], view_func=monthly.gift_articles)
bp.add_url_rule("/promotions", methods=["GET", "POST"], view_func=monthly.promotions)
bp.add_url_rule("/reports", view_func=monthly.monthly_reports)
bp.add_url_rule("/reports/<month>", view_func=monthly.monthly_report)
bp.add_url_rule("/reports/<month>/open", view_func=monthly.monthly_report_open, methods=["POST"])
bp.add_url_rule(
    "/reports/<month>/comments", view_func=monthly.monthly_report_comment, methods=["POST"]
)
bp.add_url_rule(
    "/reports/<month>/submit", view_func=monthly.monthly_report_submit, methods=["POST"]
)
bp.add_url_rule(
    "/reports/<month>/accept", view_func=monthly.monthly_report_accept, methods=["POST"]
)
bp.add_url_rule(
    "/reports/<month>/return", view_func=monthly.monthly_report_return, methods=["POST"]
)
bp.add_url_rule("/reports/<month>/report.pdf", view_func=monthly.monthly_report_pdf)
bp.add_url_rule("/reports/<month>/report.xlsx", view_func=monthly.monthly_report_xlsx)

# the 5割 and 3割 watch: breakdown, costs staff enter, margins, the workbook for 総務省
bp.add_url_rule("/oversight", methods=["GET", "POST"], view_func=oversight.oversight)
bp.add_url_rule("/oversight.xlsx", view_func=oversight.oversight_xlsx)
bp.add_url_rule("/oversight/card", view_func=oversight.oversight_card)
bp.add_url_rule(
    "/oversight/costs/<int:entry_id>", methods=["GET", "POST"], view_func=oversight.oversight_cost
)
bp.add_url_rule(
    "/oversight/costs/<int:entry_id>/delete", methods=["POST"],
    view_func=oversight.oversight_cost_delete,
)  # fmt: skip
bp.add_url_rule("/oversight/margins", methods=["POST"], view_func=oversight.oversight_margins)

# orders
bp.add_url_rule(
    "/orders/<int:order_id>/shipment", view_func=orders.order_shipment_correct, methods=["POST"]
)
bp.add_url_rule("/orders/<int:order_id>/fee", view_func=orders.order_fee_correct, methods=["POST"])
bp.add_url_rule("/orders/<int:order_id>/resend", view_func=orders.order_resend, methods=["POST"])
bp.add_url_rule(
    "/orders/<int:order_id>/delivered", view_func=orders.order_delivered, methods=["POST"]
)
bp.add_url_rule("/orders/overdue", view_func=orders.orders_overdue)

# proposals
bp.add_url_rule("/proposals", view_func=proposals.proposals)
bp.add_url_rule("/proposals/<int:proposal_id>", view_func=proposals.proposal_detail)
bp.add_url_rule(
    "/proposals/<int:proposal_id>/move", view_func=proposals.proposal_move, methods=["POST"]
)
bp.add_url_rule("/proposals/<int:proposal_id>/sheet.pdf", view_func=proposals.proposal_sheet)
bp.add_url_rule("/proposals/sheets.pdf", view_func=proposals.proposal_sheets)
bp.add_url_rule("/proposals/files/<int:file_id>", view_func=proposals.proposal_file)

# receipts
bp.add_url_rule("/receipts", view_func=receipts.receipts)
bp.add_url_rule("/receipts/issue", view_func=receipts.receipts_issue, methods=["POST"])
bp.add_url_rule("/receipts/jobs/<int:run_id>", view_func=receipts.receipts_job)
bp.add_url_rule("/receipts/batches", view_func=receipts.receipt_batches)
bp.add_url_rule("/receipts/batches/<int:batch_id>", view_func=receipts.receipt_batch)
bp.add_url_rule("/receipts/batches/<int:batch_id>/print.pdf", view_func=receipts.receipt_batch_pdf)
bp.add_url_rule(
    "/receipts/batches/<int:batch_id>/manifest.csv", view_func=receipts.receipt_batch_manifest
)
bp.add_url_rule(
    "/receipts/batches/<int:batch_id>/mailed",
    view_func=receipts.receipt_batch_mailed,
    methods=["POST"],
)
bp.add_url_rule(
    "/receipts/batches/<int:batch_id>/correct",
    view_func=receipts.receipt_batch_correct,
    methods=["POST"],
)
bp.add_url_rule(
    "/receipts/batches/<int:batch_id>/release",
    view_func=receipts.receipt_batch_release,
    methods=["POST"],
)
bp.add_url_rule("/receipts/<int:receipt_id>/set.pdf", view_func=receipts.receipt_pdf)
bp.add_url_rule("/receipts/returned", methods=["GET", "POST"], view_func=receipts.receipts_returned)
bp.add_url_rule("/receipts/address-checks", view_func=receipts.address_checks)
bp.add_url_rule(
    "/receipts/address-checks/<int:case_id>",
    methods=["GET", "POST"],
    view_func=receipts.address_check,
)
bp.add_url_rule("/receipts/onestop", methods=["GET", "POST"], view_func=receipts.onestop_intake)
bp.add_url_rule(
    "/receipts/onestop/<int:donation_id>",
    methods=["GET", "POST"],
    view_func=receipts.onestop_record,
)
bp.add_url_rule(
    "/receipts/onestop/<int:donation_id>/change",
    methods=["POST"],
    view_func=receipts.onestop_change,
)
bp.add_url_rule("/receipts/onestop/incomplete", view_func=receipts.onestop_incomplete)
bp.add_url_rule("/receipts/onestop/yearend", view_func=receipts.onestop_yearend)
bp.add_url_rule("/receipts/onestop/yearend.csv", view_func=receipts.onestop_yearend_csv)
bp.add_url_rule("/receipts/onestop/yearend.pdf", view_func=receipts.onestop_yearend_pdf)

# requests
bp.add_url_rule("/requests", view_func=requests.requests)
bp.add_url_rule("/requests/<int:request_id>", view_func=requests.request_detail)
bp.add_url_rule("/requests/<int:request_id>", view_func=requests.request_decide, methods=["POST"])

# crowdfunding projects [6(9)]
bp.add_url_rule("/projects", view_func=projects.projects)
bp.add_url_rule("/projects/new", methods=["GET", "POST"], view_func=projects.project_new)
bp.add_url_rule("/projects/<int:project_id>", view_func=projects.project_detail)
bp.add_url_rule(
    "/projects/<int:project_id>/edit", methods=["GET", "POST"], view_func=projects.project_edit
)

# payments
bp.add_url_rule("/payments", view_func=payments.payment_runs)
bp.add_url_rule("/payments", view_func=payments.payment_run_build, methods=["POST"])
bp.add_url_rule("/payments/<int:run_id>", view_func=payments.payment_run_detail)
bp.add_url_rule(
    "/payments/<int:run_id>/paid", view_func=payments.payment_run_paid, methods=["POST"]
)
bp.add_url_rule("/payments/<int:run_id>/transfer.txt", view_func=payments.payment_run_file)
bp.add_url_rule(
    "/payments/<int:run_id>/advice/<int:line_id>.pdf", view_func=payments.payment_advice
)

# statements
bp.add_url_rule("/statements/generate", view_func=statements.statements_generate, methods=["POST"])
bp.add_url_rule("/statements", view_func=statements.statements)
bp.add_url_rule("/statements.csv", view_func=statements.statements_csv)
bp.add_url_rule("/statements/<int:statement_id>", view_func=statements.statement_detail)
bp.add_url_rule(
    "/statements/<int:statement_id>/lines/<int:line_id>",
    view_func=statements.statement_correct,
    methods=["POST"],
)
bp.add_url_rule(
    "/statements/<int:statement_id>/lines/<int:line_id>/adjust",
    view_func=statements.statement_adjust,
    methods=["POST"],
)

# the handover export [12(4)] (operator administrator)
bp.add_url_rule("/handover", view_func=handover.handover)
bp.add_url_rule("/handover", view_func=handover.handover_start, methods=["POST"])
bp.add_url_rule("/handover/jobs/<int:run_id>", view_func=handover.handover_job)
bp.add_url_rule("/handover/jobs/<int:run_id>/handover.zip", view_func=handover.handover_download)

# suppliers
bp.add_url_rule("/suppliers", view_func=suppliers.suppliers)
bp.add_url_rule("/suppliers/bank-lookup", view_func=suppliers.bank_lookup)
bp.add_url_rule("/suppliers/new", methods=["GET", "POST"], view_func=suppliers.supplier_new)
bp.add_url_rule(
    "/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"], view_func=suppliers.supplier_edit
)
bp.add_url_rule("/suppliers/<int:supplier_id>", view_func=suppliers.supplier_detail)
bp.add_url_rule(
    "/suppliers/<int:supplier_id>/users", view_func=suppliers.supplier_invite, methods=["POST"]
)
