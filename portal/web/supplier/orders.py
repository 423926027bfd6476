"""Supplier portal: the dashboard, orders to ship, shipment confirmation and label files
(URLs in `portal/web/supplier/__init__.py`).

Every query starts from `shipments.supplier_orders(current supplier)`: another company's
order is not found (404), never forbidden, so ids cannot be probed. The list pages by keyset
(ship_by, id) — no OFFSET — so the 2,000th page costs what the first does (bench/orders.py).
Names and addresses are personal data: the detail page, the list and each label download
write an audit row; the dashboard shows order numbers and gifts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager
from werkzeug.wrappers import Response
from wtforms import DateField, FileField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.core.audit import audit, list_label
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.donations import search as donation_search
from portal.donations.models import Donation, DonationLine
from portal.extensions import db
from portal.gifts.models import TEMPERATURE_LABELS
from portal.shipping import carriers, dashboard, shipments
from portal.shipping.carriers import CARRIER_LABELS, Carrier
from portal.shipping.models import Order, OrderStatus
from portal.web import htmx
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.guards import safe_next
from portal.web.supplier.labels import LABEL_SOFTWARE, STATUS_LABELS, label_warnings
from portal.web.supplier.scope import orders_with_details, own_gifts, own_order

PAGE_SIZE = 50
UPLOAD_MAX_BYTES = 5 * 1024 * 1024


def _ip() -> str:
    return request.remote_addr or ""


def _common() -> dict[str, Any]:
    return {
        "statuses": STATUS_LABELS,
        "carrier_labels": CARRIER_LABELS,
        "temperatures": TEMPERATURE_LABELS,
        "order_no": shipments.order_no,
        "recipient": shipments.recipient,
        "tracking_url": carriers.tracking_url,
        "today": today_jst(),
    }


# --- forms ------------------------------------------------------------------------------


class ShipForm(FlaskForm):
    carrier = SelectField(
        _l("配送業者"),
        choices=choices([(c.value, label) for c, label in CARRIER_LABELS.items()]),
        validators=[DataRequired()],
    )
    tracking_no = StringField(
        _l("送り状番号（追跡番号）"),
        filters=[nfkc],
        validators=[DataRequired(message=_l("送り状番号を入力してください。")), Length(max=40)],
    )
    shipped_on = DateField(
        _l("発送日"), validators=[DataRequired(message=_l("発送日を入力してください。"))]
    )


class BulkShipForm(FlaskForm):
    carrier = ShipForm.carrier
    shipped_on = ShipForm.shipped_on


class UploadForm(FlaskForm):
    file = FileField(_l("発送データのCSVファイル"), validators=[DataRequired()])


def _ship_form(**kw: Any) -> ShipForm:
    form = ShipForm(**kw)
    if not form.is_submitted():
        form.shipped_on.data = today_jst()
    return form


# --- dashboard --------------------------------------------------------------------------


def index() -> str:
    board = dashboard.supplier_dashboard(db.session, current_user.supplier_id, today_jst())
    return htmx.render(
        "supplier/index.html",
        company=current_user.supplier,
        board=board,
        yesterday=board.today - timedelta(days=1),
        stock_endpoint=_endpoint("supplier.stock"),
        **_common(),
    )


def _endpoint(name: str) -> str | None:
    """H2's pages (stock, statements, problems) are linked once they exist."""
    return name if name in current_app.view_functions else None


# --- list -------------------------------------------------------------------------------


@dataclass
class Filters:
    status: str = OrderStatus.ORDERED.value
    gift: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    after: tuple[date, int] | None = None

    def args(self, **override: Any) -> dict[str, Any]:
        values = {
            "status": self.status,
            "gift": self.gift or None,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            # An order or donation number may be in a URL; a name never is: a name search
            # was POSTed and stays in the session, the URL only says "the saved search" (s=1).
            "q": self.q if is_number_search(self.q) else None,
            "s": "1" if self.q and not is_number_search(self.q) else None,
        }
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}

    @property
    def ascending(self) -> bool:
        """Open orders oldest deadline first; shipped and the rest newest first."""
        return self.status == OrderStatus.ORDERED.value


SEARCH_KEY = "supplier_orders_q"


def is_number_search(q: str) -> bool:
    """An order number (2026-000123-1) or a whole donation's number (2026-000123)."""
    q = q or ""
    return shipments.parse_order_no(q) is not None or (
        len(q) >= 11 and q[:4].isdigit() and q[4] == "-" and q[5:].isdigit()
    )


def _values() -> Any:
    return request.form if request.method == "POST" else request.args


def _search_term() -> str:
    if request.method == "POST":
        q = nfkc(request.form.get("q", ""))[:100]
        if q and not is_number_search(q):
            session[SEARCH_KEY] = q
        else:
            session.pop(SEARCH_KEY, None)
        return q
    q = nfkc(request.args.get("q", ""))[:100]
    if q:
        return q
    return str(session.get(SEARCH_KEY, "")) if request.args.get("s") == "1" else ""


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(_values().get(name, "").strip())
    except ValueError:
        return None


def _filters() -> Filters:
    status = _values().get("status", OrderStatus.ORDERED.value)
    if status not in {s.value for s in OrderStatus} | {"all"}:
        status = OrderStatus.ORDERED.value
    after = None
    raw = request.args.get("after", "")
    if raw:
        day, _, oid = raw.partition("_")
        try:
            after = (date.fromisoformat(day), int(oid))
        except ValueError:
            after = None
    return Filters(
        status=status,
        gift=_values().get("gift", type=int),
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        q=_search_term(),
        after=after,
    )


def order_page(supplier_id: int, f: Filters, size: int = PAGE_SIZE) -> tuple[list[Order], str]:
    """One page of this supplier's orders and the cursor of the next page ("" at the end)."""
    stmt = (
        shipments.supplier_orders(supplier_id)
        .join(Order.line)
        .join(DonationLine.donation)
        .join(DonationLine.gift)
        .options(
            contains_eager(Order.line).contains_eager(DonationLine.donation),
            contains_eager(Order.line).contains_eager(DonationLine.gift),
        )
    )
    if f.status != "all":
        stmt = stmt.where(Order.status == OrderStatus(f.status))
    if f.gift:
        stmt = stmt.where(DonationLine.gift_id == f.gift)
    if f.date_from:
        stmt = stmt.where(Order.ship_by >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Order.ship_by <= f.date_to)
    if f.q:
        key = shipments.parse_order_no(f.q)
        if key is not None:
            stmt = stmt.where(Donation.donation_no == key[0], DonationLine.position == key[1])
        elif len(f.q) >= 11 and f.q[:4].isdigit() and f.q[4] == "-":
            stmt = stmt.where(Donation.donation_no == f.q)  # a whole donation's orders
        else:
            names = donation_search.name_contains(f.q)  # the normalised, indexed copies
            stmt = stmt.where(names if names is not None else sa.false())
    key_cols = sa.tuple_(Order.ship_by, Order.id)
    if f.after:
        stmt = stmt.where(key_cols > f.after if f.ascending else key_cols < f.after)
    if f.ascending:
        stmt = stmt.order_by(Order.ship_by, Order.id)
    else:
        stmt = stmt.order_by(Order.ship_by.desc(), Order.id.desc())
    rows = list(db.session.scalars(stmt.limit(size + 1)).unique())
    cursor = ""
    if len(rows) > size:
        last = rows[size - 1]
        cursor = f"{last.ship_by.isoformat()}_{last.id}"
    return rows[:size], cursor


def orders_search() -> Response:
    """The search box POSTs (a donor's name never lands in a URL or an access log); the page
    then stands at a URL with only the non-personal filters."""
    f = _filters()
    target = url_for("supplier.orders", **f.args())
    if not htmx.is_fragment_request():
        return redirect(target, 303)
    response = make_response(_orders_page(f))
    response.headers["HX-Push-Url"] = target
    return response


def orders() -> str:
    return _orders_page(_filters())


def _orders_page(f: Filters) -> str:
    rows, cursor = order_page(current_user.supplier_id, f)
    html = htmx.render(
        "supplier/orders/list.html",
        "supplier/orders/_list.html",
        rows=rows,
        cursor=cursor,
        f=f,
        gifts=db.session.scalars(own_gifts()).all(),
        label_software=LABEL_SOFTWARE,
        label_warnings=label_warnings(rows, current_user.supplier),
        **_common(),
    )
    if rows:
        # Recipient names are on the page: one row says who listed which page. Written after
        # rendering, since the commit expires the loaded orders.
        audit(
            db.session,
            actor=current_user,
            action="list",
            subject_type="supplier_orders",
            subject_id=current_user.supplier_id,
            label=list_label("注文一覧", [shipments.order_no(o) for o in rows]),
            detail="検索結果" if f.q else "",
            ip=_ip(),
        )
    return html


# --- detail, confirm, correct -----------------------------------------------------------


def _detail(
    order: Order,
    form: ShipForm | None = None,
    correct_form: ShipForm | None = None,
    status: int = 200,
) -> Response:
    shipment = shipments.shipment_for(db.session, order)
    if shipment is not None and correct_form is None:
        correct_form = ShipForm(
            formdata=None,
            carrier=shipment.carrier.value,
            tracking_no=shipment.tracking_no,
            shipped_on=shipment.shipped_on,
        )
    html = htmx.render(
        "supplier/orders/detail.html",
        order=order,
        to=shipments.recipient(order.line.donation),
        shipment=shipment,
        can_correct=shipment is not None and shipments.can_correct(shipment, current_user),
        form=form or _ship_form(formdata=None),
        correct_form=correct_form,
        problem_endpoint=_endpoint("supplier.report_problem"),
        **_common(),
    )
    audit(
        db.session,
        actor=current_user,
        action="view",
        subject_type="order",
        subject_id=order.id,
        ip=_ip(),
    )
    return make_response(html, status)


def order_detail(order_id: int) -> Response:
    return _detail(own_order(order_id))


def order_ship(order_id: int) -> Response:
    order = own_order(order_id)
    form = ShipForm()
    if form.validate_on_submit():
        try:
            shipments.confirm_shipment(
                db.session,
                order,
                form.carrier.data,
                form.tracking_no.data or "",
                form.shipped_on.data,
                current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("発送を登録しました。寄附者の画面に送り状番号が表示されます。"), "success")
            # A local path only (no open redirect), and a fragment of its own: the form was
            # posted to …#ship, which the browser would otherwise carry over.
            return htmx.redirect(
                (safe_next(request.form.get("next")) or url_for("supplier.index")) + "#main"
            )
    return _detail(own_order(order_id), form=form, status=422)


def order_correct(order_id: int) -> Response:
    order = own_order(order_id)
    shipment = shipments.shipment_for(db.session, order)
    if shipment is None:
        abort(404)
    form = ShipForm()
    if form.validate_on_submit():
        try:
            shipments.correct_shipment(
                db.session,
                shipment,
                form.carrier.data,
                form.tracking_no.data or "",
                form.shipped_on.data,
                current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("発送内容を訂正しました。"), "success")
            return htmx.redirect(url_for("supplier.order_detail", order_id=order_id))
    return _detail(own_order(order_id), correct_form=form, status=422)


# --- several selected orders: confirm together, label files -----------------------------


def _selected_orders() -> list[Order]:
    ids = sorted({int(v) for v in request.form.getlist("ids") if v.isdigit()})[:500]
    if not ids:
        return []
    return list(
        db.session.scalars(
            orders_with_details().where(Order.id.in_(ids)).order_by(Order.ship_by, Order.id)
        ).unique()
    )


def orders_selected() -> Response:
    """The list's bulk buttons: confirm the selected orders together, or download labels."""
    orders = _selected_orders()
    if not orders:
        flash(_("注文を選んでください。"), "error")
        return htmx.redirect(url_for("supplier.orders"))
    action = request.form.get("action", "")
    if action.startswith("labels:"):
        return _labels(action.partition(":")[2], orders)
    form = BulkShipForm(formdata=None)
    form.shipped_on.data = today_jst()
    return _bulk_page(form, [o for o in orders if o.status == OrderStatus.ORDERED], {}, {})


def _bulk_page(
    form: BulkShipForm,
    orders: list[Order],
    tracking: dict[int, str],
    errors: dict[int, str],
    status: int = 200,
) -> Response:
    html = htmx.render(
        "supplier/orders/bulk_ship.html",
        form=form,
        orders=orders,
        tracking=tracking,
        errors=errors,
        **_common(),
    )
    audit(
        db.session,
        actor=current_user,
        action="list",
        subject_type="supplier_orders",
        subject_id=current_user.supplier_id,
        label=list_label("一括発送の注文", [shipments.order_no(o) for o in orders]),
        ip=_ip(),
    )
    return make_response(html, status)


def orders_ship() -> Response:
    orders = [o for o in _selected_orders() if o.status != OrderStatus.CANCELLED]
    form = BulkShipForm()
    tracking = {o.id: nfkc(request.form.get(f"tracking-{o.id}", "")) for o in orders}
    if not orders:
        flash(_("注文を選んでください。"), "error")
        return htmx.redirect(url_for("supplier.orders"))
    if not form.validate_on_submit():
        return _bulk_page(form, orders, tracking, {}, 422)
    result = shipments.confirm_many(
        db.session, orders, form.carrier.data, tracking, form.shipped_on.data, current_user
    )
    if result.errors:
        # All or nothing: fix the named rows and send again; nothing was confirmed.
        db.session.rollback()
        orders = [o for o in _selected_orders() if o.status != OrderStatus.CANCELLED]
        return _bulk_page(form, orders, tracking, result.errors, 422)
    flash(_("%(n)s件の発送を登録しました。", n=len(result.shipped)), "success")
    return htmx.redirect(url_for("supplier.orders"))


def _labels(carrier: str, orders: list[Order]) -> Response:  # a label format key
    if carrier not in LABEL_SOFTWARE:
        abort(400)
    orders = [o for o in orders if o.status == OrderStatus.ORDERED]
    if not orders:
        flash(_("未発送の注文を選んでください。"), "error")
        return htmx.redirect(url_for("supplier.orders"))
    ship_on = today_jst()
    data = carriers.label_csv(carrier, shipments.label_rows(orders, current_user.supplier, ship_on))
    for order in orders:
        audit(
            db.session,
            actor=current_user,
            action="export",
            subject_type="order",
            subject_id=order.id,
            detail=f"labels {carrier}",
            ip=_ip(),
        )
    name = f"labels-{carrier}-{ship_on:%Y%m%d}.csv"
    response = make_response(data)
    response.headers["Content-Type"] = "text/csv; charset=Shift_JIS"
    response.headers["Content-Disposition"] = (
        f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    )
    return response


# --- shipment file: upload → preview → apply --------------------------------------------


def orders_upload() -> str:
    return htmx.render("supplier/orders/upload.html", form=UploadForm(), **_common())


def orders_upload_post() -> Response:
    form = UploadForm()
    if form.validate_on_submit():
        f = form.file.data
        data = f.read(UPLOAD_MAX_BYTES + 1)
        if len(data) > UPLOAD_MAX_BYTES:
            form.file.errors = [_("ファイルが大きすぎます（5MBまで）。")]
        elif not data.strip():
            form.file.errors = [_("ファイルが空です。")]
        else:
            try:
                upload = shipments.preview_upload(
                    db.session,
                    current_user.supplier_id,
                    data,
                    filename=f.filename or "",
                    by_user=current_user,
                )
            except DomainError as e:
                db.session.rollback()
                form.file.errors = [str(e.message)]
            else:
                return htmx.redirect(url_for("supplier.upload_preview", token=upload.token))
    html = htmx.render("supplier/orders/upload.html", form=form, **_common())
    return make_response(html, 422)


def _own_upload(token: str) -> Any:
    upload = shipments.find_upload(db.session, current_user.supplier_id, token[:64])
    if upload is None:
        abort(404)
    return upload


def upload_preview(token: str) -> str:
    upload = _own_upload(token)
    return htmx.render(
        "supplier/orders/upload_preview.html",
        upload=upload,
        form=FlaskForm(),
        carrier_of=Carrier,
        as_date=date.fromisoformat,
        **_common(),
    )


def upload_apply(token: str) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    upload = _own_upload(token)
    already = upload.applied_at is not None
    shipments.apply_upload(db.session, upload, by_user=current_user)
    if not already:
        flash(_("%(n)s件の発送を登録しました。", n=upload.applied_count), "success")
    return htmx.redirect(url_for("supplier.upload_preview", token=upload.token))
