"""`flask import-donations`: output format, exit status, and a crash leaving no partial donation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from portal.donations.models import Donation, DonationLine

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
HEADER = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,"
    "返礼品コード,数量,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,寄附使途,ワンストップ希望,"
    "受領証明書要否,氏名公表,応援メッセージ"
)


def test_cli_prints_rejected_lines_then_the_summary(runner, make_gift):
    for code in ("HB-001", "HJ-002", "BD-001"):
        make_gift(code=code)
    path = str(FIXTURES / "standard.csv")
    dry = runner.invoke(args=["import-donations", "standard", path, "--dry-run"])
    assert dry.output.splitlines() == [
        "line 10: 返礼品コード ZZ-999 は登録されていません。",
        "line 11: 「寄附日」の日付「2026/13/40」を読めません。",
        "unknown item ID: ZZ-999 rows=1",
        "new=3 updated=0 unchanged=0 rejected=2 conflicts=0",
    ]
    assert dry.exit_code != 0
    from portal.extensions import db

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    real = runner.invoke(args=["import-donations", "standard", path])
    assert real.output.splitlines()[-1] == "new=3 updated=0 unchanged=0 rejected=2 conflicts=0"
    again = runner.invoke(args=["import-donations", "standard", path])
    assert again.output.splitlines()[-1] == "new=0 updated=0 unchanged=3 rejected=2 conflicts=0"


def test_cli_exits_zero_on_a_clean_file(runner, make_gift):
    make_gift(code="HB-001")
    make_gift(code="HJ-002")
    make_gift(code="BD-001")
    result = runner.invoke(args=["import-donations", "rakuten", str(FIXTURES / "rakuten.csv")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "new=4 updated=0 unchanged=0 rejected=0 conflicts=0"


def test_killed_import_leaves_no_partial_donation(committed, make_gift, tmp_path):
    from portal.extensions import db

    make_gift(code="HB-001")
    make_gift(code="HJ-002")
    db.session.commit()
    total = 4000
    rows = [HEADER]
    for i in range(total):
        for code in ("HB-001", "HJ-002"):
            rows.append(
                f"K-{i:05d},2026/12/01,2026/12/01,クレジットカード,20000,庄原 太郎,"
                f"ショウバラ タロウ,7270011,広島県庄原市東本町1-1,0824-72-1111,"
                f"t{i}@example.jp,{code},1,,,,,市長におまかせ,する,要,しない,"
            )
    path = tmp_path / "big.csv"
    path.write_bytes("\r\n".join(rows).encode("cp932"))
    url = committed.config["SQLALCHEMY_DATABASE_URI"]
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "portal"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "import-donations", "standard", str(path), "--batch", "7"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine = sa.create_engine(url)
    try:
        deadline = time.monotonic() + 60
        seen = 0
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as conn:
                seen = conn.scalar(sa.select(sa.func.count()).select_from(Donation))
            if seen >= 50:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "import finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with engine.connect() as conn:
            donations = conn.scalar(sa.select(sa.func.count()).select_from(Donation))
            per_donation = conn.execute(
                sa.select(DonationLine.donation_id, sa.func.count()).group_by(
                    DonationLine.donation_id
                )
            ).all()
    finally:
        engine.dispose()
    assert 50 <= donations < total
    assert len(per_donation) == donations
    assert {n for _, n in per_donation} == {2}  # every donation whole: both its gift lines
