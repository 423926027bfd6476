"""`flask erase-personal-data`: names, addresses, phones, e-mails, free text and files go;
figures stay; open cases are refused; the run is in the audit log."""

from __future__ import annotations

import json
from dataclasses import astuple
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.jobs import JobRun
from portal.core.timeline import record_event
from portal.donations.queries import donation_figures
from portal.donations.substitution import ConsentChannel, LineSubstitution
from portal.donors.models import (
    DonorNotice,
    DonorRequest,
    DonorToken,
    NoticeStatus,
    RequestKind,
    RequestStatus,
)
from portal.erasure import policy, registry
from portal.erasure.run import erase
from portal.extensions import Model
from portal.incidents.models import Incident, IncidentNote
from portal.monthly.report import figures
from portal.receipts.models import (
    AddressCheck,
    BatchStatus,
    CaseStatus,
    ItemKind,
    OnestopReturn,
    OnestopState,
    ReceiptBatch,
    ReceiptBatchItem,
    ReceiptStatus,
)
from portal.shipping.carriers import Carrier
from portal.shipping.models import OrderStatus, Resend, ResendCause, ShipmentUpload
from portal.shipping.problems import DeliveryProblem, ProblemKind
from portal.support import attachments
from portal.support.models import (
    Attachment,
    AuthorKind,
    Conversation,
    ConversationStatus,
    CustomerKind,
    FaqSearchMiss,
    Message,
)

OLD = date(2018, 5, 1)  # 年度 2018: past 7 years on the frozen day (2026-06-03)
RECENT = date(2019, 5, 1)  # 年度 2019: kept until 2027-03-31


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def markers(tag: str) -> dict[str, str]:
    """Values with an ASCII marker inside (folding, NFKC and lower-casing keep it findable)."""
    return {
        "donor_name": f"山田zq{tag}name",
        "donor_kana": f"ヤマダzq{tag}kana",
        "address": f"広島県庄原市zq{tag}addr1-1",
        "phone": "090-7777-0001",
        "email": f"zq{tag}mail@example.jp",
        "delivery_name": f"配送zq{tag}dname",
        "delivery_address": f"東京都千代田区zq{tag}daddr",
        "delivery_phone": "080-7777-0002",
        "mail_name": f"送付zq{tag}mname",
        "mail_address": f"大阪府大阪市zq{tag}maddr",
        "message": f"応援しますzq{tag}msg",
    }


def found(session: Any, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every text (and JSON) column of every table: where a needle still appears."""
    hits = []
    lowered = [n.lower() for n in needles]
    for t in Model.metadata.sorted_tables:
        cols = [
            c
            for c in t.columns
            if isinstance(c.type, sa.String | sa.Text | sa.JSON)
            or isinstance(getattr(c.type, "impl", None), sa.String | sa.Text)
        ]
        if not cols:
            continue
        for row in session.execute(sa.select(*cols)):
            for col, value in zip(cols, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                low = text.lower()
                for n in lowered:
                    if n in low:
                        hits.append((t.name, col.name, n))
    return hits


def figures_of(session: Any, month: str) -> tuple[Any, ...]:
    f = figures(session, month)
    return (
        [astuple(p) for p in f.portals],
        f.days,
        f.count,
        f.amount,
        f.ytd_count,
        f.ytd_amount,
        f.shipped_units,
        f.gift_cost,
        f.gift_shipping,
        f.resent_units,
        f.not_billed,
        repr(f.desk),
        f.sets_mailed,
        f.sets_by_kind,
        f.returned_mail,
        f.onestop_received,
        f.onestop_incomplete,
    )


@pytest.fixture()
def world(app, session, frozen_clock, make_order, make_receipt, make_user, make_gift):  # noqa: ARG001 - the clock stopped
    """One donor with personal data in every table that can hold it, all of it old."""
    staff = make_user()
    m = markers("a")
    docs = Path(app.config["DOCUMENT_DIR"])
    uploads = Path(app.config["UPLOAD_DIR"])

    order = make_order(paid_on=OLD, shipped_on=date(2018, 5, 3), **m)
    order.status = OrderStatus.DELIVERED
    donation = order.line.donation
    donation.postal_code = "7270011"
    donation.mail_postal_code = "5300001"
    donation.cancel_reason = "zqacancel"
    order.line.noshi = "御礼 zqanoshi"
    shipment = session.scalar(
        sa.select(registry.table("shipment").c.id).where(
            registry.table("shipment").c.order_id == order.id
        )
    )
    assert shipment is not None
    session.execute(
        sa.update(registry.table("shipment"))
        .where(registry.table("shipment").c.id == shipment)
        .values(fee_note="zqafee 山田様")
    )
    other = make_gift()
    session.add(
        LineSubstitution(
            line_id=order.line.id, donation_id=donation.id, from_gift_id=order.line.gift_id,
            to_gift_id=other.id, held_as="stock", consent_via=ConsentChannel.PHONE,
            consent_on=date(2018, 5, 2), note="山田様 zqasubst",
        )
    )  # fmt: skip
    problem = DeliveryProblem(
        order_id=order.id, kind=ProblemKind.RETURNED, note="zqaproblem 不在",
        reported_by_id=staff.id, resolved_at=utc(2018, 5, 20), resolution="zqaresolved",
    )  # fmt: skip
    session.add(problem)
    session.flush()
    session.add(
        Resend(
            order_id=order.id, problem_id=problem.id, cause=ResendCause.DONOR,
            carrier=Carrier.OTHER, tracking_no="T1", shipped_on=date(2018, 5, 21), quantity=1,
            note="zqaresend",
        )
    )  # fmt: skip
    session.add(
        DonorRequest(
            donation_id=donation.id, kind=RequestKind.MAIL_ADDRESS, status=RequestStatus.APPROVED,
            name="zqareqname", postal_code="1000001", address="東京都zqareqaddr",
            phone="03-7777-0003", note="zqareqnote", staff_note="zqastaffnote",
        )
    )  # fmt: skip
    event = record_event(session, "donation", donation.id, "donation.updated", note="zqaevent")
    session.flush()
    session.add(
        DonorNotice(
            donation_id=donation.id, event_id=event.id, kind="donation.updated",
            status=NoticeStatus.SENT, recipient=m["email"],
        )
    )  # fmt: skip
    receipt = make_receipt(donation, on=date(2018, 5, 10))
    receipt.status = ReceiptStatus.MAILED
    receipt.reissue_reason = "zqareissue"
    folder = Path("receipts") / "2018" / "B2018-0001"
    (docs / folder).mkdir(parents=True, exist_ok=True)
    set_pdf = docs / folder / "set-1.pdf"
    set_pdf.write_bytes(b"%PDF-1.4 zqa")
    receipt.pdf_path = str(folder / "set-1.pdf")
    orphan = docs / folder / "sets" / "2017-000009.pdf"  # cut once, its row since reissued
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"%PDF-1.4 zqa")
    merged = docs / folder / "B2018-0001.pdf"
    merged.write_bytes(b"%PDF-1.4")
    (docs / folder / "B2018-0001-manifest.csv").write_text("set_id\n", encoding="utf-8")
    batch = ReceiptBatch(
        label="B2018-0001", created_at=utc(2018, 5, 10), until=date(2018, 5, 10),
        status=BatchStatus.MAILED, pdf_path=str(folder / "B2018-0001.pdf"),
        unprintable=[{"field": "donor_name", "value": m["donor_name"]}], error="zqaerror",
    )  # fmt: skip
    session.add(batch)
    session.flush()
    session.add(
        ReceiptBatchItem(
            batch_id=batch.id, receipt_id=receipt.id, position=1, set_id="S1", kind=ItemKind.FIRST
        )
    )
    session.add(
        AddressCheck(
            receipt_id=receipt.id, donation_id=donation.id, status=CaseStatus.RESOLVED,
            returned_on=date(2018, 5, 15), note="zqacheck",
        )
    )  # fmt: skip
    session.add(
        OnestopReturn(
            donation_id=donation.id, received_on=date(2018, 6, 1),
            last_received_on=date(2018, 6, 1), state=OnestopState.COMPLETE, note="zqaonestop",
        )
    )  # fmt: skip
    conv = Conversation(
        customer_kind=CustomerKind.DONOR, donation_ref=donation.donation_no,
        customer_name=m["donor_name"], customer_email=m["email"], subject="zqasubject",
        status=ConversationStatus.CLOSED, resolution="zqaresolution",
        resolved_at=utc(2018, 6, 2), last_message_at=utc(2018, 6, 2), survey_token="zqatoken",
    )  # fmt: skip
    msg = Message(
        conversation=conv, author_kind=AuthorKind.CUSTOMER, body=f"{m['phone']} zqabody",
        created_at=utc(2018, 6, 1),
    )  # fmt: skip
    session.add_all([conv, msg])
    stored = attachments.store(
        app.config["UPLOAD_DIR"],
        attachments.CheckedFile("zqafile.pdf", "application/pdf", b"%PDF-"),
    )
    session.add(
        Attachment(
            message=msg, filename="zqafile.pdf", content_type="application/pdf", size=5,
            stored_name=stored,
        )
    )  # fmt: skip
    incident = Incident(
        what="zqawhat", noticed_at=utc(2018, 7, 1), data_involved=m["donor_name"],
        reported_by_id=staff.id, closed_at=utc(2018, 7, 20),
    )  # fmt: skip
    session.add(incident)
    session.flush()
    session.add(IncidentNote(incident_id=incident.id, body="zqanote"))
    session.add(
        DonorToken(
            token_hash="h" * 64, email=m["email"], created_at=utc(2018, 6, 1),
            expires_at=utc(2018, 6, 2),
        )
    )  # fmt: skip
    session.add(FaqSearchMiss(query="山田zqaname 住所変更", at=utc(2018, 6, 1)))
    session.add(
        ShipmentUpload(
            token="t" * 20, supplier_id=order.supplier_id, created_by_id=staff.id,
            created_at=utc(2018, 5, 3), filename="zqaupload.csv",
            rows=[{"order_no": "1", "note": "zqaurow"}], problems=[{"text": "zqauproblem"}],
        )
    )  # fmt: skip
    session.add(
        JobRun(
            kind="donation_import", created_at=utc(2018, 5, 1), error="zqajoberror",
            result={"created": 3, "rejected": [{"donor_name": m["donor_name"]}]},
        )
    )  # fmt: skip
    imports = uploads / "imports"
    imports.mkdir(parents=True, exist_ok=True)
    upload_file = imports / "tok.csv"
    upload_file.write_text(m["donor_name"], encoding="utf-8")
    session.commit()
    return {
        "staff": staff,
        "donation": donation,
        "needles": [
            "zqa",
            "09077770001",
            "090-7777-0001",
            "080-7777-0002",
            "08077770002",
            "03-7777-0003",
        ],
        "files": [
            set_pdf,
            merged,
            docs / folder / "B2018-0001-manifest.csv",
            orphan,
            docs / folder,
            attachments.path_of(app.config["UPLOAD_DIR"], stored),
            upload_file,
        ],
        "upload_file": upload_file,
    }


def test_markers_are_where_the_test_put_them(session, world) -> None:
    """The scan finds the world's data before the erasure (the check below can fail)."""
    tables = {t for t, _, _ in found(session, world["needles"])}
    assert {
        "donation", "donation_line", "line_substitution", "donor_request", "donor_notice",
        "receipt", "receipt_batch", "address_check", "onestop_return", "shipment",
        "resend_shipment", "delivery_problem", "timeline_event", "support_conversation",
        "support_message", "support_attachment", "incident", "incident_note", "donor_token",
        "support_faq_miss", "shipment_upload", "job_run",
    } <= tables  # fmt: skip
    assert all(p.exists() for p in world["files"])


def test_erase_before_leaves_no_personal_data_and_the_same_figures(session, runner, world) -> None:
    before = (figures_of(session, "2018-05"), donation_figures(session, 2018))
    staff = world["staff"].email
    nobody = runner.invoke(args=["erase-personal-data", "--before", "2030-01-01", "--actor", "x@y"])
    assert nobody.exit_code != 0 and "no account x@y" in nobody.output
    args = ["erase-personal-data", "--before", "2030-01-01", "--actor", staff]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    session.expire_all()

    assert found(session, world["needles"]) == []
    assert not any(p.exists() for p in world["files"])
    assert (figures_of(session, "2018-05"), donation_figures(session, 2018)) == before
    d = world["donation"]
    assert (d.donor_name, d.address, d.email, d.amount, d.applied_on) == (
        "消去済み", "広島県", "", 10000, OLD,
    )  # fmt: skip
    # the donation's rows stay (amounts, dates, gift); the attachment's row went with its file
    assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    job = session.scalar(sa.select(JobRun))
    assert job.result == {"created": 3}

    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject_type == "erasure").order_by(AuditEntry.id)
    ).all()
    by_table = {a.subject_id: a.detail for a in audit if a.action == "personal_data.erased"}
    assert by_table["donation"] == "donation=1 before=2030-01-01"
    assert "support_message" in by_table and "incident" in by_table
    run = audit[-1]
    assert run.action == "personal_data.erasure" and run.actor_ref.startswith("os:")
    assert {a.actor_user_id for a in audit} == {world["staff"].id}
    assert "rows=" in run.detail and "files=" in run.detail
    assert "donation: 1" in result.output.replace("erased donation", "donation")

    again = runner.invoke(args=["erase-personal-data", "--before", "2030-01-01"])
    assert "total rows: 0" in again.output


def dump(session: Any) -> dict[str, list[str]]:
    return {
        t.name: sorted(repr(tuple(row)) for row in session.execute(sa.select(t)))
        for t in Model.metadata.sorted_tables
    }


def test_dry_run_changes_nothing(session, runner, world) -> None:
    before = dump(session)
    result = runner.invoke(args=["erase-personal-data", "--before", "2030-01-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would erase donation: 1" in result.output
    assert "would erase support_attachment: 1" in result.output
    session.expire_all()
    assert dump(session) == before
    assert world["donation"].donor_name == "山田zqaname"
    assert all(p.exists() for p in world["files"])
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_type == "erasure"
    )) == 0  # fmt: skip


def test_open_cases_are_refused_and_kept(
    app, session, runner, world, make_order, make_receipt
) -> None:
    # shipped, not delivered: its shipment row sits beside the world's erasable one
    undelivered = make_order(paid_on=OLD, shipped_on=date(2018, 5, 3), donor_name="山田zqbname")
    shipment = registry.table("shipment")
    session.execute(
        sa.update(shipment).where(shipment.c.order_id == undelivered.id).values(fee_note="zqbfee")
    )
    unsent = make_receipt(paid_on=OLD, donor_name="山田zqcname")  # numbered, not mailed
    asking = make_receipt(paid_on=OLD, donor_name="山田zqdname")
    asking.status = ReceiptStatus.MAILED
    session.add(
        DonorRequest(
            donation_id=asking.donation_id, kind=RequestKind.RECEIPT_REISSUE, name="zqdreq"
        )
    )
    talking = make_receipt(paid_on=OLD, donor_name="山田zqename")
    talking.status = ReceiptStatus.MAILED
    conv = Conversation(
        customer_kind=CustomerKind.DONOR, donation_ref=talking.donation.donation_no,
        customer_name="山田zqename", status=ConversationStatus.WAITING,
        last_message_at=utc(2018, 6, 1),
    )  # fmt: skip
    msg = Message(conversation=conv, author_kind=AuthorKind.CUSTOMER, body="zqebody")
    stored = attachments.store(
        app.config["UPLOAD_DIR"], attachments.CheckedFile("e.pdf", "application/pdf", b"%PDF-")
    )
    attachment = Attachment(
        message=msg, filename="zqefile.pdf", content_type="application/pdf", size=5,
        stored_name=stored,
    )  # fmt: skip
    session.add_all([conv, msg, attachment])
    session.commit()
    result = runner.invoke(args=["erase-personal-data", "--before", "2030-01-01"])
    assert result.exit_code == 0, result.output
    assert "refused donation (undelivered_order): 1" in result.output
    assert "refused donation (unsent_receipt): 1" in result.output
    assert "refused donation (donor_request): 1" in result.output
    assert "refused donation (open_conversation): 1" in result.output
    assert "refused support_conversation (not closed): 1" in result.output
    session.expire_all()
    assert undelivered.line.donation.donor_name == "山田zqbname"
    assert unsent.donation.donor_name == "山田zqcname"
    assert asking.donation.donor_name == "山田zqdname"
    assert talking.donation.donor_name == "山田zqename"
    assert world["donation"].donor_name == "消去済み"
    assert {t for t, _, _ in found(session, ["zqa"])} == set()
    assert ("shipment", "fee_note", "zqbfee") in found(session, ["zqbfee"])
    assert {(t, c) for t, c, _ in found(session, ["zqe"])} >= {
        ("support_conversation", "customer_name"),
        ("support_message", "body"),
        ("support_attachment", "filename"),
    }
    assert attachments.path_of(app.config["UPLOAD_DIR"], stored).exists()


def test_policy_without_before_erases_only_what_is_past_retention(
    app, session, runner, world, make_donation, frozen_clock
) -> None:
    kept = make_donation(paid_on=RECENT, lines=[], donor_name="山田zqfname")
    kept.receipt_wanted = False
    kept_conv = Conversation(
        customer_kind=CustomerKind.DONOR, customer_name="zqfconv",
        status=ConversationStatus.CLOSED, resolved_at=utc(2025, 6, 1),
        last_message_at=utc(2025, 6, 1),
    )  # fmt: skip
    msg = Message(conversation=kept_conv, author_kind=AuthorKind.CUSTOMER, body="zqfbody")
    session.add_all([kept_conv, msg])
    session.flush()
    stored = attachments.store(
        app.config["UPLOAD_DIR"],
        attachments.CheckedFile("a.pdf", "application/pdf", b"%PDF-"),
    )
    session.add(
        Attachment(
            message=msg, filename="zqffile.pdf", content_type="application/pdf", size=5,
            stored_name=stored,
        )
    )  # fmt: skip
    now = frozen_clock.now()
    old_job = JobRun(
        kind="donation_import", created_at=now - timedelta(days=91),
        result={"rejected": [{"donor_name": "zqhname"}]},
    )  # fmt: skip
    new_job = JobRun(
        kind="donation_import", created_at=now - timedelta(days=10),
        result={"rejected": [{"donor_name": "zqfjob"}]},
    )  # fmt: skip
    session.add_all([old_job, new_job])
    session.commit()
    result = runner.invoke(args=["erase-personal-data"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("policy: donations before 2019-04-01")
    assert found(session, ["zqhname"]) == []  # an import's quoted rows: 90 days
    assert ("job_run", "result", "zqfjob") in found(session, ["zqfjob"])
    session.expire_all()
    assert world["donation"].donor_name == "消去済み"
    assert kept.donor_name == "山田zqfname"
    # the conversation's text is kept 7 年度; its attachment only a year after closing
    hits = {(t, c) for t, c, _ in found(session, ["zqf"])}
    assert ("support_conversation", "customer_name") in hits
    assert ("support_message", "body") in hits
    assert ("support_attachment", "filename") not in hits
    assert not attachments.path_of(app.config["UPLOAD_DIR"], stored).exists()


def test_policy_cutoffs_follow_the_fiscal_year() -> None:
    config = {"RETENTION_DONOR_YEARS": 7, "RETENTION_ATTACHMENT_DAYS": 365}
    march = policy.from_policy(config, utc(2027, 3, 30, 15, 0))  # 31 March JST: 年度 2026
    april = policy.from_policy(config, utc(2027, 3, 31, 15, 0))  # 1 April JST: 年度 2027
    assert (march.donations, april.donations) == (date(2019, 4, 1), date(2020, 4, 1))
    assert march.attachments == utc(2026, 3, 30, 15, 0)
    assert policy.before(date(2030, 1, 1), utc(2026, 1, 1)).records == utc(2029, 12, 31, 15)


def test_a_crash_leaves_everything_as_it_was(session, app, world, monkeypatch) -> None:
    from portal.erasure import run

    real = run._spec
    calls = {"n": 0}

    def crashing(*args: Any, **kw: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full")
        return real(*args, **kw)

    monkeypatch.setattr(run, "_spec", crashing)
    cutoffs = policy.before(date(2030, 1, 1), utc(2026, 6, 3))
    before = dump(session)
    with pytest.raises(RuntimeError):
        erase(session, cutoffs, config=dict(app.config))
    session.expire_all()
    assert calls["n"] == 5  # four tables were already erased in the transaction
    assert dump(session) == before
    assert world["donation"].donor_name == "山田zqaname"
    assert all(p.exists() for p in world["files"])


@pytest.mark.usefixtures("world")
def test_small_batches_erase_the_same(session, app, make_donation) -> None:
    for i in range(5):
        make_donation(paid_on=OLD, lines=[], donor_name=f"山田zqg{i}name", receipt_wanted=False)
    session.commit()
    cutoffs = policy.before(date(2030, 1, 1), utc(2026, 6, 3))
    outcome = erase(session, cutoffs, config=dict(app.config), batch=2)
    assert outcome.counts["donation"] == 6
    assert found(session, ["zqg", "zqa"]) == []


def test_every_registered_column_exists() -> None:
    for spec in registry.SPECS:
        t = registry.table(spec.table)
        assert set(spec.columns) <= set(t.c.keys()), spec.table


def test_the_confirmation_is_asked_only_on_a_terminal(runner, world, monkeypatch) -> None:
    from portal.erasure import cli

    monkeypatch.setattr(cli, "interactive", lambda: True)
    result = runner.invoke(args=["erase-personal-data", "--before", "2030-01-01"], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert world["donation"].donor_name == "山田zqaname"


def test_a_path_leading_out_of_its_folder_is_left_alone(tmp_path) -> None:
    from portal.erasure.run import _file_paths

    spec = next(s for s in registry.SPECS if s.table == "receipt")
    config = {"DOCUMENT_DIR": str(tmp_path / "documents")}
    assert _file_paths(spec, config, "../outside.pdf") == []
    assert _file_paths(spec, config, "/etc/passwd") == []
    (path, _), *_ = _file_paths(spec, config, "receipts/2018/B1/sets/1.pdf")
    assert path == tmp_path / "documents" / "receipts/2018/B1/sets/1.pdf"
