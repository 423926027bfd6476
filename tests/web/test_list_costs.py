"""What bench/load.py found on the busiest lists, kept fixed: the support inbox pages through a
keyset cursor (every conversation reachable, none twice) and loads its suppliers and assignees
in a fixed number of SELECTs whatever the page holds; the staff dashboard costs the same number
of statements with one donation or with many."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from portal.core import clock
from portal.core.roles import Role
from portal.donations import snapshot
from portal.extensions import db
from portal.support import conversations as uc
from portal.support.models import Conversation, CustomerKind
from portal.web.desk import inbox


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _conversations(session, make_supplier, n: int) -> list[Conversation]:
    convs = []
    for k in range(n):
        supplier = make_supplier(name=f"問い合わせ事業者{k:02d}")
        conv = uc.start_conversation(
            session,
            customer_kind=CustomerKind.SUPPLIER,
            supplier_id=supplier.id,
            subject=f"件名{k:02d}",
            body="発送日を教えてください",
            by_user=None,
        )
        convs.append(conv)
    # Two share one instant: the cursor's id breaks the tie.
    base = clock.now()
    for k, conv in enumerate(convs):
        conv.last_message_at = base - timedelta(minutes=(k + 1) // 2)
    session.flush()
    return convs


def test_inbox_pages_reach_every_conversation_once(
    client, session, make_user, make_supplier, login, monkeypatch
) -> None:
    monkeypatch.setattr(inbox, "PAGE", 2)
    convs = _conversations(session, make_supplier, 5)
    login(make_user(Role.OPERATOR))
    seen: list[int] = []
    url = "/support/"
    for _ in range(5):
        page = client.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'href="/support/(\d+)"', page)]
        more = re.search(r'rel="next" href="(/support/\?[^"]*before=[^"]+)"', page)
        if not more:
            break
        url = more.group(1).replace("&amp;", "&")
    assert seen == [
        c.id for c in sorted(convs, key=lambda c: (c.last_message_at, c.id), reverse=True)
    ]


def test_inbox_cursor_keeps_the_filters(
    client, session, make_user, make_supplier, login, monkeypatch
) -> None:
    monkeypatch.setattr(inbox, "PAGE", 1)
    _conversations(session, make_supplier, 3)
    login(make_user(Role.OPERATOR))
    page = client.get("/support/?unread=1").get_data(as_text=True)
    more = re.search(r'rel="next" href="(/support/\?[^"]+)"', page)
    assert more and "unread=1" in more.group(1) and "before=" in more.group(1)
    # A cursor that is not one is ignored: the first page, not an error.
    assert client.get("/support/?before=yesterday_x").status_code == 200


def test_inbox_cost_does_not_grow_with_its_rows(
    client, session, make_user, make_supplier, login
) -> None:
    login(make_user(Role.OPERATOR))
    _conversations(session, make_supplier, 2)
    with statements() as few:
        assert client.get("/support/").status_code == 200
    _conversations(session, make_supplier, 12)
    with statements() as many:
        assert client.get("/support/").status_code == 200
    assert len(many) == len(few)


def test_staff_dashboard_cost_does_not_grow_with_the_data(
    client, session, make_user, make_supplier, login
) -> None:
    login(make_user(Role.OPERATOR))
    _conversations(session, make_supplier, 1)
    with statements() as few:
        assert client.get("/staff/").status_code == 200
    _conversations(session, make_supplier, 8)
    with statements() as many:
        assert client.get("/staff/").status_code == 200
    assert len(many) == len(few)


def _overdue(html: str) -> int:
    m = re.search(r'data-count="receipts_overdue"><span class="stat__value">(\d+)</span>', html)
    assert m
    return int(m.group(1))


def _total(html: str) -> str:
    m = re.search(r'data-figure="total"><span class="stat__value">([^<]+)</span>', html)
    assert m
    return m.group(1)


def test_dashboard_shows_the_workers_figures_while_fresh(
    client, session, make_user, login, frozen_clock
) -> None:
    login(make_user(Role.OPERATOR))
    live = client.get("/staff/").get_data(as_text=True)
    assert 'data-testid="figures-counted-at"' not in live  # no worker yet: counted live
    snapshot.refresh(session)
    row = session.get(snapshot.FigureSnapshot, snapshot.NAME)
    # What the worker counted is what the page shows (a figure no live count gives here).
    row.data = {**row.data, "counts": {"receipts_unissued": 9, "receipts_overdue": 7},
                "figures": {**row.data["figures"], "total": {"count": 4321, "amount": 1}}}  # fmt: skip
    session.flush()
    page = client.get("/staff/").get_data(as_text=True)
    assert _overdue(page) == 7 and _total(page) == "4321件"
    assert 'data-testid="figures-counted-at"' in page
    frozen_clock.advance(snapshot.MAX_AGE + timedelta(seconds=1))
    stale = client.get("/staff/").get_data(as_text=True)  # the worker stopped: live again
    assert _overdue(stale) == _overdue(live) and _total(stale) == _total(live)
    assert 'data-testid="figures-counted-at"' not in stale


def test_snapshot_counts_what_the_live_page_counts(
    client, session, make_user, login, make_order
) -> None:
    make_order()
    login(make_user(Role.OPERATOR))
    live = client.get("/staff/").get_data(as_text=True)
    snapshot.refresh(session)
    page = client.get("/staff/").get_data(as_text=True)
    assert 'data-testid="figures-counted-at"' in page
    assert _overdue(page) == _overdue(live) and _total(page) == _total(live)
    assert re.findall(r'data-count="receipts_due"><span class="stat__value">(\d+)', page) == (
        re.findall(r'data-count="receipts_due"><span class="stat__value">(\d+)', live)
    )
