"""Where personal data lives, what it becomes, how old a row is, and what protects it.

One `TableSpec` per table that holds a donor's (or a customer's) personal data. A new column
or table with a name, an address, a phone, an e-mail or free text about a person gets its line
here: tests/unit/test_erasure.py fills every such column with marker strings and reads every
text column of every table afterwards.

Not listed, on purpose: suppliers and staff accounts (the contractor's and the city's own
people, handed over or closed with the contract, not donors), gift and proposal data, the
audit log (append-only; it names subjects by number, never by content), mail_sent (keys
only) and import mappings (column names only).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

import portal.models  # noqa: F401  (every table in the metadata)
from portal.erasure.policy import Cutoffs
from portal.extensions import Model

PLACEHOLDER = "消去済み"

# fmt: off
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都",
    "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府",
    "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県",
    "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)
# fmt: on


class Becomes(enum.Enum):
    BLANK = "blank"  # ""
    PLACEHOLDER = "placeholder"  # 「消去済み」 where there was text, "" where there was none
    NULL = "null"
    PREFECTURE = "prefecture"  # an address keeps its prefecture only (広島県), else ""
    EMPTY_LIST = "empty_list"  # a JSON list becomes []
    FILE = "file"  # a path under a configured folder: the file is deleted, the column ""
    SCRUBBED = "scrubbed"  # a JSON value rewritten in Python by the spec's `scrub`


class Age(enum.Enum):
    DONATION = "donation"  # the donation's 寄附日 (its 年度) and its open cases
    CONVERSATION = "conversation"  # the conversation's last message; open ones are kept
    ATTACHMENT = "attachment"  # the conversation's closing (or its text's erasure)
    INCIDENT = "incident"  # when it was noticed; open incidents are kept
    RECORDED = "recorded"  # the row's own timestamp
    RECEIPT_BATCH = "receipt_batch"  # every receipt in it belongs to an erasable donation


def table(name: str) -> sa.Table:
    return Model.metadata.tables[name]


# How a row reaches the thing whose age decides: that thing's id (or, for Age.RECORDED, the
# row's timestamp) and the join conditions through any table in between. The conditions go
# into the same EXISTS as the parent (never a scalar subquery, which would not correlate).
Link = Callable[[sa.FromClause], tuple[sa.ColumnElement[Any], list[sa.ColumnElement[bool]]]]


def column(name: str) -> Link:
    return lambda t: (t.c[name], [])


def _order_donation(t: sa.FromClause) -> tuple[sa.ColumnElement[Any], list[sa.ColumnElement[bool]]]:
    o, line = table("gift_order").alias(), table("donation_line").alias()
    return line.c.donation_id, [o.c.id == t.c.order_id, line.c.id == o.c.line_id]


def _message_conversation(
    t: sa.FromClause,
) -> tuple[sa.ColumnElement[Any], list[sa.ColumnElement[bool]]]:
    m = table("support_message").alias()
    return m.c.conversation_id, [m.c.id == t.c.message_id]


@dataclass(frozen=True)
class TableSpec:
    table: str
    columns: Mapping[str, Becomes]
    age: Age
    link: Link | None = None  # Age.DONATION: the donation id; CONVERSATION…: the parent id
    where: Callable[[sa.FromClause], sa.ColumnElement[bool]] | None = None  # which rows at all
    file_root: str = ""  # config key of the folder FILE columns are relative to
    file_sub: str = ""  # …and the sub-folder under it
    file_folder: bool = False  # the file's folder goes too (a batch's manifest and set PDFs)
    delete: bool = False  # the row goes (attachments: the row is the file)
    scrub: Callable[[Any], Any] | None = None  # for the SCRUBBED column
    # Age.RECORDED: which cut-off the row's timestamp is compared with (a Cutoffs field)
    cutoff: str = "records"
    note: str = field(default="", compare=False)


# --- JSON values rewritten in Python ---------------------------------------------------------

_CODE = re.compile(r"[0-9A-Za-z_.:+\-/ ]{0,40}")


def _looks_personal(value: str) -> bool:
    """A timeline value is a code, a number, a date or an id ("paid", "2026-11-01", "C-12");
    anything else (kana, kanji, an e-mail, a long phone number, free text) is treated as
    possibly personal."""
    return not _CODE.fullmatch(value) or "@" in value or sum(ch.isdigit() for ch in value) >= 10


# Keys of timeline data that hold free text written by a person (a correction's reason):
# always erased. Other values are kept when they look like codes, dates or ids.
FREE_TEXT_KEYS = frozenset(
    {"reason", "comment", "note", "body", "message", "text", "name", "address", "email", "phone"}
)


def scrub_values(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        free = key in FREE_TEXT_KEYS or _looks_personal(value)
        return PLACEHOLDER if value and free else value
    if isinstance(value, list):
        return [scrub_values(v, key) for v in value]
    if isinstance(value, dict):
        return {k: scrub_values(v, k) for k, v in value.items()}
    return value


def counts_only(value: Any) -> Any:
    """A job's result keeps its figures (numbers, at the top level) and nothing else: the
    first rejected rows and conflicts of an import quote the file."""
    if not isinstance(value, dict):
        return {}
    return {
        k: v for k, v in value.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


B, P, N = Becomes.BLANK, Becomes.PLACEHOLDER, Becomes.NULL
DONATION_ID = column("donation_id")

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "donation",
        {
            "donor_name": P,
            "donor_kana": B,
            "postal_code": B,
            "address": Becomes.PREFECTURE,
            "phone": B,
            "email": B,
            "message": P,
            "delivery_name": B,
            "delivery_postal_code": B,
            "delivery_address": B,
            "delivery_phone": B,
            "mail_name": B,
            "mail_postal_code": B,
            "mail_address": B,
            "cancel_reason": P,
            # the normalised copies the search box reads (portal.donations.search.SEARCH_COLUMNS)
            "search_name": B,
            "search_kana": B,
            "search_phone": B,
            "search_email": B,
            "search_delivery": B,
        },
        Age.DONATION,
        column("id"),
    ),
    TableSpec("donation_line", {"noshi": P}, Age.DONATION, DONATION_ID),  # のし名入れ
    TableSpec("line_substitution", {"note": P}, Age.DONATION, DONATION_ID),
    TableSpec(
        "donor_request",
        {"name": P, "postal_code": B, "address": B, "phone": B, "note": P, "staff_note": P},
        Age.DONATION,
        DONATION_ID,
    ),
    TableSpec("donor_notice", {"recipient": B}, Age.DONATION, DONATION_ID),
    TableSpec(
        "receipt",
        {"reissue_reason": P, "pdf_path": Becomes.FILE},
        Age.DONATION,
        DONATION_ID,
        file_root="DOCUMENT_DIR",
    ),
    TableSpec("address_check", {"note": P}, Age.DONATION, DONATION_ID),
    TableSpec("onestop_return", {"note": P}, Age.DONATION, DONATION_ID),
    TableSpec("shipment", {"fee_note": P}, Age.DONATION, _order_donation),
    TableSpec("resend_shipment", {"note": P}, Age.DONATION, _order_donation),
    TableSpec("delivery_problem", {"note": P, "resolution": P}, Age.DONATION, _order_donation),
    TableSpec(
        "timeline_event",
        {"data": Becomes.SCRUBBED},
        Age.DONATION,
        column("subject_id"),
        where=lambda t: t.c.subject_type == "donation",
        scrub=scrub_values,
    ),
    TableSpec(
        "receipt_batch",
        {"pdf_path": Becomes.FILE, "unprintable": Becomes.EMPTY_LIST, "error": P},
        Age.RECEIPT_BATCH,
        file_root="DOCUMENT_DIR",
        file_folder=True,
        note="the merged PDF, its manifest and the donors' set PDFs beside it",
    ),
    TableSpec(
        "support_conversation",
        {
            "customer_name": P,
            "customer_email": B,
            "subject": P,
            "resolution": P,
            "survey_token": N,
        },
        Age.CONVERSATION,
        column("id"),
    ),
    TableSpec("support_message", {"body": P}, Age.CONVERSATION, column("conversation_id")),
    TableSpec(
        "support_attachment",
        {"stored_name": Becomes.FILE},
        Age.ATTACHMENT,
        _message_conversation,
        file_root="UPLOAD_DIR",
        file_sub="support",  # portal.support.attachments.path_of
        delete=True,
    ),
    TableSpec(
        "timeline_event",
        {"data": Becomes.SCRUBBED},
        Age.CONVERSATION,
        column("subject_id"),
        where=lambda t: t.c.subject_type == "support_conversation",
        scrub=scrub_values,
    ),
    TableSpec("incident", {"what": P, "data_involved": P}, Age.INCIDENT, column("id")),
    TableSpec("incident_note", {"body": P}, Age.INCIDENT, column("incident_id")),
    TableSpec("donor_token", {"email": B}, Age.RECORDED, column("created_at")),
    TableSpec("support_faq_miss", {"query": P}, Age.RECORDED, column("at")),
    TableSpec(
        "shipment_upload",
        {"filename": B, "rows": Becomes.EMPTY_LIST, "problems": Becomes.EMPTY_LIST},
        Age.RECORDED,
        column("created_at"),
        cutoff="import_files",  # a preview between upload and apply: as an import's files
    ),
    TableSpec(
        "job_run",
        {"result": Becomes.SCRUBBED, "error": P},
        Age.RECORDED,
        column("created_at"),
        cutoff="import_files",  # quotes the uploaded file: goes with it
        scrub=counts_only,
        note="an import's or a batch's result: figures only",
    ),
)


# --- open cases: a donation that something still needs is not erased --------------------


def _exists(name: str, cond: Callable[[sa.FromClause], sa.ColumnElement[bool]]) -> sa.Exists:
    t = table(name).alias()
    return sa.exists().where(cond(t))


def _open_orders(d: sa.FromClause) -> sa.ColumnElement[bool]:
    line, o = table("donation_line").alias(), table("gift_order").alias()
    return sa.exists().where(
        line.c.donation_id == d.c.id,
        o.c.line_id == line.c.id,
        o.c.status.in_(["ordered", "shipped"]),
    )


def _open_problems(d: sa.FromClause) -> sa.ColumnElement[bool]:
    line, o = table("donation_line").alias(), table("gift_order").alias()
    p = table("delivery_problem").alias()
    return sa.exists().where(
        line.c.donation_id == d.c.id,
        o.c.line_id == line.c.id,
        p.c.order_id == o.c.id,
        p.c.resolved_at.is_(None),
    )


def onestop_open_from(today: date) -> date:
    """One-stop forms of donations from this day on may still arrive or be completed (the
    deadline is 10 January of the year after the donation)."""
    year = today.year - 1 if (today.month, today.day) <= (1, 10) else today.year
    return date(year, 1, 1)


Joins = Sequence[sa.ColumnElement[bool]]
OpenCase = Callable[[sa.FromClause, Cutoffs], sa.ColumnElement[bool]]

# name → the clause saying a donation row `d` has that open case.
OPEN_CASES: dict[str, OpenCase] = {
    # a request from the donor (reissue, address change) not yet decided
    "donor_request": lambda d, _c: _exists(
        "donor_request", lambda r: (r.c.donation_id == d.c.id) & (r.c.status == "open")
    ),
    # a gift ordered or shipped but not delivered
    "undelivered_order": lambda d, _c: _open_orders(d),
    # a delivery problem (delay, damage, return) not resolved
    "delivery_problem": lambda d, _c: _open_problems(d),
    # a receipt numbered or printed but not yet mailed
    "unsent_receipt": lambda d, _c: _exists(
        "receipt", lambda r: (r.c.donation_id == d.c.id) & r.c.status.in_(["due", "issued"])
    ),
    # a receipt came back (宛所不明) and the right address is still being found
    "address_check": lambda d, _c: _exists(
        "address_check", lambda a: (a.c.donation_id == d.c.id) & (a.c.status == "open")
    ),
    # an incomplete one-stop form of a year whose forms may still arrive
    "onestop_incomplete": lambda d, c: sa.and_(
        d.c.applied_on >= onestop_open_from(c.today),
        _exists(
            "onestop_return",
            lambda x: (x.c.donation_id == d.c.id) & (x.c.state == "incomplete"),
        ),
    ),
    # a support conversation about it that is not closed
    "open_conversation": lambda d, _c: _exists(
        "support_conversation",
        lambda s: (s.c.donation_ref == d.c.donation_no) & (s.c.status != "closed"),
    ),
}


def donation_protected(d: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    return sa.or_(*(case(d, c) for case in OPEN_CASES.values()))


def donation_old(d: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    return d.c.applied_on < c.donations


def donation_erasable_row(d: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    return sa.and_(donation_old(d, c), sa.not_(donation_protected(d, c)))


def donation_erasable(
    donation_id: sa.ColumnElement[Any], c: Cutoffs, joins: Joins = ()
) -> sa.ColumnElement[bool]:
    d = table("donation").alias()
    return sa.exists().where(*joins, d.c.id == donation_id, donation_erasable_row(d, c))


def conversation_old(s: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    return s.c.last_message_at < c.records


def conversation_closed(s: sa.FromClause) -> sa.ColumnElement[bool]:
    return s.c.status == "closed"


def conversation_erasable(
    conv_id: sa.ColumnElement[Any], c: Cutoffs, joins: Joins = ()
) -> sa.ColumnElement[bool]:
    s = table("support_conversation").alias()
    return sa.exists().where(
        *joins, s.c.id == conv_id, conversation_closed(s), conversation_old(s, c)
    )


def attachments_erasable(
    conv_id: sa.ColumnElement[Any], c: Cutoffs, joins: Joins = ()
) -> sa.ColumnElement[bool]:
    s = table("support_conversation").alias()
    closed_at = sa.func.coalesce(s.c.resolved_at, s.c.last_message_at)
    return sa.exists().where(
        *joins,
        s.c.id == conv_id,
        conversation_closed(s),
        sa.or_(closed_at < c.attachments, conversation_old(s, c)),
    )


def incident_old(i: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    return i.c.noticed_at < c.records


def incident_erasable(
    incident_id: sa.ColumnElement[Any], c: Cutoffs, joins: Joins = ()
) -> sa.ColumnElement[bool]:
    i = table("incident").alias()
    return sa.exists().where(
        *joins, i.c.id == incident_id, i.c.closed_at.is_not(None), incident_old(i, c)
    )


def batch_erasable(b: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    """Every receipt printed in the batch belongs to an erasable donation (a batch holds many
    donors: its merged PDF goes when the last of them may go)."""
    item, r = table("receipt_batch_item").alias(), table("receipt").alias()
    kept = sa.exists().where(
        item.c.batch_id == b.c.id,
        r.c.id == item.c.receipt_id,
        sa.not_(donation_erasable(r.c.donation_id, c)),
    )
    return sa.and_(b.c.created_at < c.records, sa.not_(kept))


def erasable(spec: TableSpec, t: sa.FromClause, c: Cutoffs) -> sa.ColumnElement[bool]:
    """The rows of `t` old enough and not protected by an open case."""
    conds: list[sa.ColumnElement[bool]] = []
    if spec.where is not None:
        conds.append(spec.where(t))
    link, joins = spec.link(t) if spec.link is not None else (None, [])
    if spec.age is Age.DONATION and spec.table == "donation":
        conds.append(donation_erasable_row(t, c))
    elif spec.age is Age.DONATION:
        assert link is not None
        conds.append(donation_erasable(link, c, joins))
    elif spec.age is Age.CONVERSATION and spec.table == "support_conversation":
        conds += [conversation_closed(t), conversation_old(t, c)]
    elif spec.age is Age.CONVERSATION:
        assert link is not None
        conds.append(conversation_erasable(link, c, joins))
    elif spec.age is Age.ATTACHMENT:
        assert link is not None
        conds.append(attachments_erasable(link, c, joins))
    elif spec.age is Age.INCIDENT and spec.table == "incident":
        conds += [t.c.closed_at.is_not(None), incident_old(t, c)]
    elif spec.age is Age.INCIDENT:
        assert link is not None
        conds.append(incident_erasable(link, c, joins))
    elif spec.age is Age.RECORDED:
        assert link is not None and not joins
        limit: datetime = getattr(c, spec.cutoff)
        conds.append(link < limit)
    elif spec.age is Age.RECEIPT_BATCH:
        conds.append(batch_erasable(t, c))
    return sa.and_(*conds)


# --- what a column becomes --------------------------------------------------------------


def prefecture_of(col: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.case(*((col.like(f"{p}%"), p) for p in PREFECTURES), else_="")


def target(becomes: Becomes, col: sa.ColumnElement[Any]) -> Any:
    """The value a column is set to (SQL expression or literal)."""
    if becomes in (Becomes.BLANK, Becomes.FILE):
        return ""
    if becomes is Becomes.PLACEHOLDER:
        return sa.case((col.in_(["", PLACEHOLDER]), col), else_=PLACEHOLDER)
    if becomes is Becomes.NULL:
        return None
    if becomes is Becomes.PREFECTURE:
        return prefecture_of(col)
    if becomes is Becomes.EMPTY_LIST:
        return []
    raise ValueError(becomes)


def still_there(becomes: Becomes, col: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The column still holds what it would be erased of (so a second run counts nothing)."""
    if becomes in (Becomes.BLANK, Becomes.FILE):
        return sa.and_(col.is_not(None), col != "")
    if becomes is Becomes.PLACEHOLDER:
        return sa.and_(col.is_not(None), col.not_in(["", PLACEHOLDER]))
    if becomes is Becomes.NULL:
        return col.is_not(None)
    if becomes is Becomes.PREFECTURE:
        return sa.and_(col.is_not(None), col != prefecture_of(col))
    if becomes is Becomes.EMPTY_LIST:
        return sa.cast(col, sa.Text).not_in(["[]", "null"])
    raise ValueError(becomes)


def pending(spec: TableSpec, t: sa.FromClause) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            still_there(b, t.c[name])
            for name, b in spec.columns.items()
            if b is not Becomes.SCRUBBED
        )
    )
