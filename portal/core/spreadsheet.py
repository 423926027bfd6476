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


def neutralise(value: Any, *, numeric: bool = False, reversible: bool = False) -> Any:
    """The cell as a CSV may carry it: text that a spreadsheet would run gets a leading `'`.

    `reversible`: a text that already starts with `'` gets one more too, so a reader gets the
    stored text back by removing one leading `'` wherever there is one (`restore`)."""
    if reversible and isinstance(value, str) and value.startswith("'"):
        return "'" + value
    if not is_dangerous(value):
        return value
    if numeric and _NUMBER.fullmatch(value):
        return value
    return "'" + value


def restore(cell: str) -> str:
    """The stored text of a cell written with `reversible=True`: one leading `'` removed."""
    return cell[1:] if cell.startswith("'") else cell


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell (same writerow/writerows)."""

    def __init__(
        self,
        out: IO[str],
        *,
        numeric: Collection[int] = (),
        bom: bool = False,
        reversible: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("lineterminator", "\r\n")
        if bom:
            out.write("\ufeff")  # Excel on a city PC opens UTF-8 only with its BOM
        self._writer = csv.writer(out, **kwargs)
        self._numeric = frozenset(numeric)
        self._reversible = reversible

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(
            [
                neutralise(v, numeric=i in self._numeric, reversible=self._reversible)
                for i, v in enumerate(row)
            ]
        )

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(
    out: IO[str],
    *,
    numeric: Collection[int] = (),
    bom: bool = False,
    reversible: bool = False,
    **kwargs: Any,
) -> SafeWriter:
    """A CSV writer (CRLF unless told otherwise) that cannot write a formula. `bom` starts the
    stream with a UTF-8 byte order mark (a file opened with encoding="utf-8"); `reversible`
    also escapes a leading `'`, so `restore` gives back every stored text exactly."""
    return SafeWriter(out, numeric=numeric, bom=bom, reversible=reversible, **kwargs)


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


# What an xlsx cell can hold: at most 32,767 characters and no control characters but tab,
# newline and carriage return (openpyxl refuses them).
XLSX_CELL_LIMIT = 32767
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def streaming_workbook() -> Any:
    """An openpyxl workbook in write-only mode: rows go to disk as they are added, so a sheet
    of a million rows keeps memory flat. Add sheets with `wb.create_sheet(title)` and rows with
    `xlsx_stream_row`; save with `wb.save(path)`."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def xlsx_stream_row(ws: Any, row: Iterable[Any], *, numeric: Collection[int] = ()) -> bool:
    """Append a row to a write-only worksheet, text as string cells (never formulas), a
    dangerous text quote-prefixed. A text an xlsx cell cannot hold (too long, control
    characters) is shortened / has those characters replaced by U+FFFD: returns True when
    a cell was altered so, for the caller to say where the full value is."""
    from openpyxl.cell import WriteOnlyCell

    cells: list[Any] = []
    altered = False
    for i, value in enumerate(row):
        if isinstance(value, str):
            if _XLSX_ILLEGAL.search(value):
                value, altered = _XLSX_ILLEGAL.sub("\ufffd", value), True
            if len(value) > XLSX_CELL_LIMIT:
                value, altered = value[:XLSX_CELL_LIMIT], True
            if is_dangerous(value) and not (i in numeric and _NUMBER.fullmatch(value)):
                # A plain str would become a formula when it starts with "=": say string.
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                cells.append(cell)
                continue
            if value.startswith("#"):  # "#N/A" as a plain str would be an error cell
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                cells.append(cell)
                continue
        # Any other text is a string cell as it is (openpyxl only reads "=…" as a formula);
        # numbers, dates and None pass as values (no cell object per value: a million rows).
        cells.append(value)
    ws.append(cells)
    return altered


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
