"""The production layout end to end: gunicorn with two workers and a separate huey consumer,
against PostgreSQL (a database of its own, migrated by `flask db upgrade`) and Redis, with TOTP
required. A file is imported, a receipt batch is issued from the staff page, the worker renders
it, and the batch PDF reads back with the imported donor's name.

Runs once per `make test` (the SQLite pass; it brings its own PostgreSQL database) when
PostgreSQL and Redis answer on 127.0.0.1; skipped with the reason otherwise. Real processes
keep the real time, so it is left out of the midnight run with the browser tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import redis
import requests

from tests.conftest import PASSWORD, TOTP_SECRET, free_port, port_answers

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIXTURE = ROOT / "tests" / "fixtures" / "imports" / "standard.csv"
REDIS_DB = 14

pytestmark = pytest.mark.e2e


if os.environ.get("TEST_DATABASE_URL"):
    pytest.skip(
        "runs in the SQLite pass (it brings its own PostgreSQL database)", allow_module_level=True
    )
if not (port_answers(5432) and port_answers(6379)):
    pytest.skip("PostgreSQL and Redis on 127.0.0.1 are needed", allow_module_level=True)
if not (BIN / "gunicorn").exists() or not shutil.which("createdb"):
    pytest.skip("gunicorn (make setup) and createdb are needed", allow_module_level=True)

SEED = f"""
from portal import create_app
from portal.accounts.models import Supplier, User
from portal.accounts.passwords import hash_password
from portal.core.roles import Role
from portal.extensions import db
from portal.gifts.models import Gift, GiftStatus, TemperatureBand
app = create_app()
with app.app_context():
    supplier = Supplier(code="P001", name="本番試験事業者", address="広島県庄原市中本町1-1")
    db.session.add(supplier)
    for code in ("HB-001", "HJ-002", "BD-001"):
        db.session.add(Gift(code=code, name="返礼品" + code, supplier=supplier,
            required_amount=10000, procurement_cost=3000, shipping_fee=1200,
            temperature=TemperatureBand.AMBIENT, status=GiftStatus.LISTED))
    db.session.add(User(email="ops@prod.example", role=Role.OPERATOR_ADMIN, name="運用",
        password_hash=hash_password({PASSWORD!r}), totp_secret={TOTP_SECRET!r}))
    db.session.commit()
"""


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("prod")
    name = f"portal_prod_e2e_{os.getpid()}"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "STAFF_TOTP_REQUIRED": "1",
        "PRODUCTION": "1",
        "WEB_CONCURRENCY": "2",
        "BIND": f"127.0.0.1:{port}",
        "SECRET_KEY": "production-layout-test",
        "MAIL_URL": f"file://{tmp / 'outbox'}",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "DOCUMENT_DIR": str(tmp / "documents"),
        "FLASK_APP": "portal",
    }
    env.pop("TEST_CLOCK", None)
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "timeout": 300}
    redis.Redis(db=REDIS_DB).flushdb()
    subprocess.run([BIN / "flask", "db", "upgrade"], **run)
    subprocess.run([sys.executable, "-c", SEED], **run)
    # The fixture's deliberately bad rows (an unknown gift, an impossible date) mended, as the
    # import tests do, so the whole file imports.
    fixed = tmp / "standard.csv"
    fixed.write_bytes(
        FIXTURE.read_bytes().replace(b"ZZ-999", b"HB-001").replace(b"2026/13/40", b"2026/12/05")
    )
    imported = subprocess.run([BIN / "flask", "import-donations", "standard", fixed], **run)
    # closed in the fixture's finally, after both processes have stopped
    logs = {"web": open(tmp / "web.log", "wb"), "worker": open(tmp / "worker.log", "wb")}  # noqa: SIM115
    worker = subprocess.Popen(
        [BIN / "huey_consumer", "portal.worker.huey", "--workers", "2", "--worker-type", "thread"],
        cwd=ROOT,
        env=env,
        stdout=logs["worker"],
        stderr=subprocess.STDOUT,
    )
    web = subprocess.Popen(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "portal:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=logs["web"],
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        yield {"base": base, "import": imported.stdout.decode(), "tmp": str(tmp)}
    finally:
        for proc in (web, worker):
            proc.terminate()
        for proc in (web, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for f in logs.values():
            f.close()
        redis.Redis(db=REDIS_DB).flushdb()
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name])


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_health_names_every_dependency(layout: dict[str, str]) -> None:
    health = requests.get(layout["base"] + "/healthz", timeout=5)
    assert health.status_code == 200
    body = health.json()
    assert (body["database"], body["dialect"], body["redis"], body["queue"]) == (
        "ok",
        "postgresql",
        "ok",
        "ok",
    )


def test_receipt_batch_issued_through_the_worker(layout: dict[str, str]) -> None:
    base = layout["base"]
    s = requests.Session()
    page = s.get(base + "/login", timeout=10)
    r = s.post(
        base + "/login",
        data={"email": "ops@prod.example", "password": PASSWORD, "csrf_token": _csrf(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code in (302, 303) and r.headers["Location"].endswith("/login/code")
    page = s.get(base + "/login/code", timeout=10)
    r = s.post(
        base + "/login/code",
        data={"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": _csrf(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code in (302, 303), r.text[:500]

    page = s.get(base + "/staff/receipts", timeout=10)
    assert page.status_code == 200
    # Every receipt of the imported (paid) donations, whatever today's date: their issue
    # deadline is 14 days after payment.
    r = s.post(
        base + "/staff/receipts/issue",
        data={"csrf_token": _csrf(page.text), "until": "2099-12-31"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code in (302, 303), r.text[:500]
    job_url = r.headers["Location"]
    batch_path = None
    for _ in range(600):  # the worker renders; the web process only answers the page
        html = s.get(base + job_url if job_url.startswith("/") else job_url, timeout=10).text
        found = re.search(r'/staff/receipts/batches/(\d+)"', html)
        if found:
            batch_path = f"/staff/receipts/batches/{found.group(1)}/print.pdf"
            break
        assert "発行する受領証明書はありませんでした" not in html, "nothing was due"
        time.sleep(0.1)
    assert batch_path, (
        "the worker produced no batch: " + Path(layout["tmp"], "worker.log").read_text()[-2000:]
    )
    pdf = s.get(base + batch_path, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = Path(layout["tmp"]) / "batch.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "庄原" in text and "太郎" in text  # the imported donor of standard.csv, row 1
