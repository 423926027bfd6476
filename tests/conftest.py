"""Fixtures: one migrated database per run, each test inside a transaction rolled back at the end.

The database is a temporary SQLite file, or PostgreSQL when TEST_DATABASE_URL is set (its public
schema is dropped and rebuilt from the migrations at the start of the run).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import create_app
from portal.accounts.models import Supplier, User
from portal.accounts.passwords import hash_password
from portal.core import clock
from portal.core.clock import JST
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import Donation, PaymentMethod, PaymentState
from portal.extensions import db, limiter
from portal.gifts.models import Gift, GiftStatus, TemperatureBand
from portal.receipts.models import Receipt
from portal.shipping.models import Order, OrderStatus

PASSWORD = "correct horse battery"


def free_port() -> int:
    """A loopback port nobody listens on (for a server a test starts, or one that must fail)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_answers(port: int) -> bool:
    """Whether a service listens on 127.0.0.1:port (PostgreSQL, Redis on these machines)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # test-only authenticator key


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _reset_schema(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class Mailbox:
    """Messages received by the loopback SMTP server during one test."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    def add(self, raw: bytes) -> None:
        with self._lock:
            self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def body(self, index: int = -1) -> str:
        return self.messages[index].get_body(("plain",)).get_content()  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, Mailbox]]:
    """A real SMTP server on loopback (aiosmtpd); the app's real SMTP client talks to it."""
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            box.add(envelope.original_content or envelope.content)
            return "250 OK"

    port = free_port()  # aiosmtpd checks readiness by connecting
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", box
    finally:
        controller.stop()


class FreshUserClient(FlaskClient):
    """Tests hold an app context across requests, so Flask reuses it (and `g`) for each
    request; Flask-Login caches the user on `g`. Forget it before every request, as a real
    server's fresh app context would.

    A test's setup shares the session with the requests it makes. What it set up is committed
    before each request (inside the test's outer transaction, so still rolled back at the end),
    as a real request would find it: a request that fails rolls back its own work only."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.pop("_login_user", None)
            db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[str, Mailbox]
) -> Iterator[Flask]:
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_URL": smtp_server[0],
            "UPLOAD_DIR": str(instance / "uploads"),
            "DOCUMENT_DIR": str(instance / "documents"),
            "SERVER_NAME": "portal.test",
            "PUBLIC_BASE_URL": "http://portal.test",
            "ANALYTICS_CACHE_SECONDS": 0,  # each test's own donations, never the last test's
        }
    )
    app.test_client_class = FreshUserClient
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test runs in an outer transaction that is rolled back; commits become savepoints."""
    if "app" not in request.fixturenames or "committed" in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's own picks the engine itself and would ignore
        # the connection we bind to.
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture()
def committed(app: Flask) -> Iterator[Flask]:
    """For tests that need really committed rows (concurrency, subprocesses): the tables are
    emptied afterwards instead of rolled back."""
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(sa.text(f'DELETE FROM "{name}"'))


@pytest.fixture()
def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture()
def postgres_only(is_postgres: bool) -> None:
    """Concurrency behaviour is only meaningful on PostgreSQL (.ci/run always runs that pass)."""
    if not is_postgres:
        pytest.skip("needs TEST_DATABASE_URL=postgresql+psycopg://…")


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture()
def mailbox(smtp_server: tuple[str, Mailbox]) -> Mailbox:
    box = smtp_server[1]
    box.clear()
    return box


@pytest.fixture()
def session(app: Flask) -> Any:  # noqa: ARG001 - needs the app (and its test transaction)
    return db.session


# --- the clock -------------------------------------------------------------------------


def jst(*args: int) -> datetime:
    """An instant given as a wall-clock time in Japan: jst(2026, 12, 31, 23, 59, 59)."""
    return datetime(*args, tzinfo=JST)  # type: ignore[misc]


# A weekday morning on which the support desk is open and no date rule is near a boundary.
FROZEN_AT = jst(2026, 6, 3, 10, 0, 0)


class FrozenClock:
    """The portal's clock (portal.core.clock, and with it every datetime.now() / time.time()
    in the process) stopped at one instant until the test moves it."""

    def __init__(self, machine: Any) -> None:
        self._machine = machine

    def freeze(self, instant: datetime) -> datetime:
        """Stop the clock at `instant` (timezone-aware: say JST or UTC, never guess)."""
        if instant.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime, e.g. jst(2026, 12, 31, 23, 59)")
        # A POSIX timestamp, not the datetime: time-machine would otherwise set the process's
        # TZ to the instant's zone and hide code that reads local time.
        self._machine.move_to(instant.timestamp(), tick=False)
        return instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._machine.shift(delta)
        return clock.now()

    def now(self) -> datetime:
        return clock.now()


@pytest.fixture()
def frozen_clock(time_machine: Any) -> FrozenClock:
    """The clock stopped at FROZEN_AT; `frozen_clock.freeze(jst(...))` moves it."""
    frozen = FrozenClock(time_machine)
    frozen.freeze(FROZEN_AT)
    return frozen


@pytest.fixture(scope="session", autouse=True)
def _suite_clock() -> Iterator[None]:
    """TEST_CLOCK=2026-12-31T15:00:30Z runs the whole suite as if started at that instant (the
    clock keeps ticking from there): .ci/run uses it for a pass at JST midnight, so no test
    depends on the hour the suite happens to run at."""
    start = os.environ.get("TEST_CLOCK")
    if not start:
        yield
        return
    import time_machine

    instant = datetime.fromisoformat(start.replace("Z", "+00:00"))
    with time_machine.travel(instant.timestamp(), tick=True):
        yield


@dataclass(frozen=True)
class SeededDemo:
    """The demo programme after `flask seed-demo` ran twice on its own database."""

    app: Flask
    outputs: tuple[str, str]  # what each run printed
    counts: tuple[dict[str, int], dict[str, int]]  # rows per table after each run


@pytest.fixture(scope="session")
def seeded_demo(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[str, Mailbox]
) -> Iterator[SeededDemo]:
    """Seeding the whole demo takes seconds (it renders receipt batches), so it happens once
    per run, through the real command, into a database of its own: the tests that read the
    demo share it, and the per-test database stays empty. Its own SQLite file, or on
    PostgreSQL its own schema `demo` in the TEST_DATABASE_URL database (rebuilt each run)."""
    path = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{path / 'demo.sqlite3'}"
    if (test_url := os.environ.get("TEST_DATABASE_URL", "")).startswith("postgresql"):
        engine = sa.create_engine(test_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS demo CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA demo"))
        engine.dispose()
        url = sa.make_url(test_url).update_query_dict({"options": "-csearch_path=demo"})
        url = url.render_as_string(hide_password=False)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_URL": smtp_server[0],
            "JOBS_IMMEDIATE": True,
            "UPLOAD_DIR": str(path / "uploads"),
            "DOCUMENT_DIR": str(path / "documents"),
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    outputs, counts = [], []
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"], env={"DEMO_PASSWORD": "demo-password"})
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        with app.app_context():
            counts.append(
                {
                    t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                    for t in db.metadata.sorted_tables
                }
            )
            db.session.remove()
    yield SeededDemo(app, (outputs[0], outputs[1]), (counts[0], counts[1]))
    with app.app_context():
        db.engine.dispose()


# --- factories -------------------------------------------------------------------------


@pytest.fixture()
def make_supplier(app: Flask) -> Any:  # noqa: ARG001 - rows go into the app's database
    counter = iter(range(1, 10_000))

    def make(**kw: Any) -> Supplier:
        n = next(counter)
        values = {
            "code": f"T{n:03d}",
            "name": f"テスト事業者{n}",
            "address": "広島県庄原市中本町1-1",
        }
        values.update(kw)
        supplier = Supplier(**values)
        db.session.add(supplier)
        db.session.flush()
        return supplier

    return make


@pytest.fixture()
def make_user(app: Flask, make_supplier: Any) -> Any:  # noqa: ARG001 - as make_supplier
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str = Role.OPERATOR, *, supplier: Supplier | None = None, **kw: Any
    ) -> User:
        role = Role(role)
        if role == Role.SUPPLIER and supplier is None:
            supplier = make_supplier()
        values = {
            "email": f"{role.value}{next(counter)}@test.example",
            "role": role,
            "name": f"{role.value} user",
            "supplier": supplier,
            "password_hash": _PASSWORD_HASH,
            # Staff have an authenticator enrolled (the login fixture answers its code).
            "totp_secret": TOTP_SECRET if role != Role.SUPPLIER else None,
        }
        values.update(kw)
        user = User(**values)
        db.session.add(user)
        db.session.flush()
        return user

    return make


@pytest.fixture()
def make_gift(app: Flask, make_supplier: Any) -> Any:  # noqa: ARG001 - as make_supplier
    counter = iter(range(1, 10_000))

    def make(supplier: Supplier | None = None, **kw: Any) -> Gift:
        n = next(counter)
        values: dict[str, Any] = {
            "code": f"G-{n:04d}",
            "name": f"テスト返礼品{n}",
            "supplier": supplier or make_supplier(),
            "required_amount": 10000,
            "procurement_cost": 3000,
            "shipping_fee": 1200,
            "temperature": TemperatureBand.AMBIENT,
            "status": GiftStatus.LISTED,
        }
        values.update(kw)
        gift = Gift(**values)
        db.session.add(gift)
        db.session.flush()
        return gift

    return make


_UNSET: Any = object()


@pytest.fixture()
def make_donation(make_gift: Any) -> Any:
    """A donation through create_donation (numbers, events, stock, and orders once paid).

    Paid by card on 2026-11-01 with one line of a new gift unless told otherwise:
    `make_donation(gift=g)`, `make_donation(lines=[])` (no gift), `make_donation(paid_on=None)`
    (unpaid), `make_donation(paid_on=date(2026, 12, 28))` (applied the same day)."""
    counter = iter(range(1, 100_000))

    def make(*, gift: Gift | None = None, paid_on: date | None = _UNSET, **kw: Any) -> Donation:
        if paid_on is _UNSET:
            paid_on = date(2026, 11, 1)
        values: dict[str, Any] = {
            "portal": Portal.CHOICE,
            "portal_order_no": f"C-{next(counter)}",
            "donor_name": "寄附 花子",
            "donor_kana": "キフ ハナコ",  # the donor look-up's second factor
            "amount": 10000,
            "applied_on": paid_on or date(2026, 11, 1),
            "payment_method": PaymentMethod.CARD,
            "payment_state": PaymentState.PAID if paid_on else PaymentState.UNPAID,
            "paid_on": paid_on,
            "postal_code": "7270011",
            "address": "広島県庄原市東本町1-1",
            "email": "hanako@example.jp",
        }
        values.update(kw)
        if "lines" not in kw:
            values["lines"] = [LineData(gift_code=(gift or make_gift()).code)]
        donation = create_donation(db.session, DonationData(**values))
        db.session.flush()
        return donation

    return make


@pytest.fixture()
def make_order(make_donation: Any, make_gift: Any) -> Any:
    """The order that create_orders gives a paid donation of one gift line: paid ten days
    ago, due in three days, for a recipient with a phone number (as a courier label needs).
    `make_order(gift, quantity=2, ship_by=..., ordered_on=..., status=...)`;
    `shipped_on=` confirms its shipment (confirm_shipment, carrier その他) on that day; other
    keywords go to make_donation (`delivery_name=...`, `paid_on=...`)."""

    def make(
        gift: Gift | None = None,
        *,
        quantity: int = 1,
        ship_by: date | None = None,
        ordered_on: date | None = None,
        status: OrderStatus | None = None,
        shipped_on: date | None = None,
        **donation_kw: Any,
    ) -> Order:
        from portal.shipping.carriers import Carrier
        from portal.shipping.shipments import confirm_shipment

        gift = gift or make_gift()
        today = clock.today_jst()
        values: dict[str, Any] = {
            "paid_on": today - timedelta(days=10),
            "donor_name": "寄附 太郎",
            "address": "広島県庄原市東本町1-1-1",
            "phone": "0824-72-1111",
            "email": "donor@example.jp",
        }
        values.update(donation_kw)
        donation = make_donation(lines=[LineData(gift.code, quantity=quantity)], **values)
        (order,) = donation.lines[0].orders
        order.ship_by = ship_by or today + timedelta(days=3)
        if ordered_on is not None:
            order.ordered_on = ordered_on
        if status is not None:
            order.status = status
        db.session.flush()
        if shipped_on is not None:
            confirm_shipment(db.session, order, Carrier.OTHER, f"T{order.id:06d}", shipped_on, None)
            db.session.flush()
        return order

    return make


@pytest.fixture()
def make_receipt(make_donation: Any) -> Any:
    """A numbered receipt (issue_receipt, dated today unless `on=`) for `donation`, or for a
    new paid donation without gift lines made from the other keywords."""
    from portal.receipts.service import issue_receipt

    def make(
        donation: Donation | None = None, *, on: date | None = None, **donation_kw: Any
    ) -> Receipt:
        if donation is None:
            donation_kw.setdefault("lines", [])
            donation = make_donation(**donation_kw)
        receipt = issue_receipt(db.session, donation, on=on)
        db.session.flush()
        return receipt

    return make


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Password, then (staff) the authenticator code, through the real forms."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.location.endswith("/login/code"):
        user.totp_last_step = None  # several sign-ins in one test share the current code
        response = client.post("/login/code", data={"code": pyotp.TOTP(user.totp_secret).now()})
        assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture()
def login(client: FlaskClient) -> Any:
    """Log a user in through the real login form; returns the client."""

    def do(user: User, password: str = PASSWORD) -> FlaskClient:
        sign_in(client, user, password)
        return client

    return do


def pdf_page_texts(path_or_bytes: Path | bytes) -> list[str]:
    """The text of each page of a PDF, extracted back out of it."""
    import io

    from pypdf import PdfReader

    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(path_or_bytes: Path | bytes) -> str:
    """Text extracted back out of a PDF (what a tax office's reader would see)."""
    return "\n".join(pdf_page_texts(path_or_bytes))


@pytest.fixture()
def make_project(app: Flask) -> Any:  # noqa: ARG001 - needs the app's session
    """A crowdfunding project (open, 1,000,000 yen goal, December 2026) with optional
    portal listings {portal: portal project ID}."""
    from portal.crowdfunding.models import CrowdfundingListing, CrowdfundingProject, ProjectState
    from portal.crowdfunding.projects import title_key

    counter = iter(range(1, 10_000))

    def make(title: str = "庄原の桜を次の世代へ", *, listings: dict | None = None, **kw: Any):
        values: dict[str, Any] = {
            "code": f"project-t{next(counter)}",
            "title": title,
            "title_key": title_key(title),
            "purpose": "",
            "goal_amount": 1_000_000,
            "starts_on": date(2026, 12, 1),
            "ends_on": date(2026, 12, 31),
            "state": ProjectState.OPEN,
        }
        values.update(kw)
        project = CrowdfundingProject(**values)
        for portal, portal_id in (listings or {}).items():
            project.listings.append(CrowdfundingListing(portal=portal, portal_project_id=portal_id))
        db.session.add(project)
        db.session.flush()
        return project

    return make


# --- migration tests: a scratch database at an older revision --------------------------------


@contextmanager
def database_at(tmp_path: Path, revision: str) -> Iterator[Flask]:
    """A scratch SQLite database migrated up to `revision`, inside its app context (a migration
    test adds rows as they were stored then, upgrades, and reads what the migration did)."""
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url,
         "RATELIMIT_STORAGE_URI": "memory://"}
    )  # fmt: skip
    with app.app_context():
        upgrade(revision=revision)
        try:
            yield app
        finally:
            db.engine.dispose()


def _filler(column: sa.Column) -> object:
    """A value for a NOT NULL column the test does not care about."""
    kind = column.type.python_type
    return {bool: False, int: 1, str: "x", date: date(2026, 11, 1)}.get(kind, datetime(2026, 11, 1))


def insert_stored_donations(rows: list[dict[str, Any]]) -> None:
    """Rows into the donation table as it stands at the database's revision: each row names
    what the test cares about (with id, donation_no, portal_order_no); every other NOT NULL
    column gets a filler."""
    insert_stored("donation", rows)


def insert_stored(name: str, rows: list[dict[str, Any]]) -> None:
    """Rows into a table as it stands at the database's revision, with fillers for every
    NOT NULL column a row does not name."""
    with db.engine.begin() as conn:
        table = sa.Table(name, sa.MetaData(), autoload_with=conn)
        base = {
            c.name: _filler(c)
            for c in table.columns
            if not c.nullable and not c.primary_key and c.server_default is None
        }
        conn.execute(table.insert(), [{**base, **row} for row in rows])
