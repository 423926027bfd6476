"""The one writer for every CSV and xlsx the portal produces: no cell can carry a formula.

Spreadsheet software runs a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula (CSV injection, ASVS V5.3): a donor who types
`=HYPERLINK("http://evil","x")` as a name or a message would otherwise put a live link, or
worse, in a city PC's Excel. So:

- CSV: such a text cell gets a leading `'` (Excel and LibreOffice show it as text);
- xlsx: every text cell is written as a string cell (never a formula) with Excel's quote
  prefix, so editing it does not turn it into a formula either; the text is kept as typed.

Numbers (int, float, Decimal) are numbers. A column where a carrier's or city's layout needs a
signed number written as text (a negative amount "-500") is declared by index in `numeric`;
only a value there that *is* a plain number passes untouched, anything else is neutralised.

    w = csv_writer(out, numeric={7})          # csv.writer(out, lineterminator="\\r\\n")
    w.writerow(header); w.writerows(rows)
    data = xlsx_bytes([("2026-12", header, rows)])
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Sequence
from typing import IO, Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def is_dangerous(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def neutralise(value: Any, *, numeric: bool = False) -> Any:
    """The cell as a CSV may carry it: text that a spreadsheet would run gets a leading `'`."""
    if not is_dangerous(value):
        return value
    if numeric and _NUMBER.fullmatch(value):
        return value
    return "'" + value


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell (same writerow/writerows)."""

    def __init__(self, out: IO[str], *, numeric: Collection[int] = (), **kwargs: Any) -> None:
        kwargs.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(out, **kwargs)
        self._numeric = frozenset(numeric)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(
            [neutralise(v, numeric=i in self._numeric) for i, v in enumerate(row)]
        )

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], *, numeric: Collection[int] = (), **kwargs: Any) -> SafeWriter:
    """A CSV writer (CRLF unless told otherwise) that cannot write a formula."""
    return SafeWriter(out, numeric=numeric, **kwargs)


class SafeDictWriter:
    """`csv.DictWriter` counterpart; `numeric` names fields."""

    def __init__(
        self, out: IO[str], fieldnames: Sequence[str], *, numeric: Collection[str] = (), **kw: Any
    ) -> None:
        kw.setdefault("lineterminator", "\r\n")
        self._writer = csv.DictWriter(out, fieldnames=fieldnames, **kw)
        self._numeric = frozenset(numeric)

    def writeheader(self) -> Any:
        return self._writer.writeheader()

    def writerow(self, row: dict[str, Any]) -> Any:
        return self._writer.writerow(
            {k: neutralise(v, numeric=k in self._numeric) for k, v in row.items()}
        )


def csv_text(
    header: Sequence[Any] | None, rows: Iterable[Iterable[Any]], *, numeric: Collection[int] = ()
) -> str:
    out = io.StringIO(newline="")
    writer = csv_writer(out, numeric=numeric)
    if header is not None:
        writer.writerow([str(h) for h in header])
    writer.writerows(rows)
    return out.getvalue()


def csv_bytes(
    header: Sequence[Any] | None,
    rows: Iterable[Iterable[Any]],
    *,
    encoding: str = "utf-8-sig",
    numeric: Collection[int] = (),
) -> bytes:
    """The whole file; UTF-8 with BOM by default so Excel on a city PC opens it as UTF-8."""
    return csv_text(header, rows, numeric=numeric).encode(encoding)


def xlsx_append(ws: Any, row: Iterable[Any], *, numeric: Collection[int] = ()) -> None:
    """Append a row to an openpyxl worksheet: text cells are string cells, never formulas."""
    ws.append(list(row))
    for i, cell in enumerate(ws[ws.max_row]):
        value = cell.value
        if isinstance(value, str):
            if i in numeric and _NUMBER.fullmatch(value):
                continue
            cell.data_type = "s"
            if is_dangerous(value):
                cell.quotePrefix = True


def new_workbook(title: str) -> tuple[Any, Any]:
    """An empty openpyxl workbook and its first sheet, named `title`, for exports laid out by
    hand (the invoice, the monthly report); write their rows with `xlsx_append`."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook opens on one empty worksheet
    ws.title = title
    return wb, ws


def workbook_bytes(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_bytes(
    sheets: Iterable[tuple[str, Sequence[Any], Iterable[Iterable[Any]]]],
    *,
    numeric: Collection[int] = (),
    freeze_header: bool = True,
) -> bytes:
    """A workbook with one sheet per (title, header, rows)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=title)
        xlsx_append(ws, [str(h) for h in header])
        for row in rows:
            xlsx_append(ws, row, numeric=numeric)
        if freeze_header:
            ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
