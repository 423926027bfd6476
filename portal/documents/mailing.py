"""The mailing set: お礼状, 寄附金受領証明書 and (when asked for) the one-stop form, as one PDF.

Rendered from plain values only (`MailingSet`), so a batch job, the CLI, a donor's download
and the benchmark all print exactly the same thing without touching the ORM. The manifest
says which pages belong to which set, and every sheet repeats its set id and `page k/n`, so
the print room can check that no sheet ends up in another donor's envelope.

Sheets, in order: letter (address in the 長3 window), receipt, and for one-stop donors the
申告特例申請書 and its filling example. Each sheet is exactly one A4 page.

Printed like a print shop's form overlay (most of every sheet is the same for every donor):
- the FIXED layer of each sheet type (mailing_set.html/.css: letter body, receipt frame and
  wording, form grid, the whole 記入例) is laid out once per process (`fixed_layer`); values
  inside its flow are `data-slot` boxes holding an invisible placeholder, measured there;
- the VARIABLE layer (mailing_set.variable.html/.css: window address, names, amounts, dates,
  numbers, QR, set id) of many sets is ONE WeasyPrint document (font subset once), values
  absolutely placed in the measured slots; a value that does not fit its slot is set in
  smaller type, and refused if it still does not fit (never printed cut off);
- each variable page draws its fixed layer first (a Form XObject), and the writer
  (portal.documents.pdfstream) stores each fixed layer once per file and streams chunks in.
A letter text that overflows its sheet raises, as the page numbers would be wrong.

Measuring slots and finding values that overflow read WeasyPrint's box tree, and the overlay
copies pages out of its PDF object tree: both through portal.documents.weasy_internals, the
one module that touches WeasyPrint internals. `render_reference` prints the same sets through
WeasyPrint's public API only (each layer by `HTML(...).write_pdf()`, the layers stacked with
pypdf): slower, and the reference the fast path is tested against.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import BinaryIO

import segno
from flask import current_app
from weasyprint.document import Document, Page

from portal.core.dates import wareki, wareki_year
from portal.core.money import format_yen
from portal.core.spreadsheet import SafeDictWriter
from portal.documents import weasy_internals as internals
from portal.documents.pdfstream import (
    Fragment,
    StreamingPdfWriter,
    layer_fragment,
    overlay_fragment,
)
from portal.documents.rendering import (
    DocumentRenderError,
    layout,
    reference_pdf,
    static_uri,
    watched,
)

TEMPLATE = "documents/mailing_set.html"  # the fixed layer of one sheet type
STYLESHEET = "mailing_set.css"
VARIABLE_TEMPLATE = "documents/mailing_set.variable.html"  # per donor, many in one document
VARIABLE_STYLESHEET = "mailing_set.variable.css"

DEFAULT_LETTER = (
    "拝啓　時下ますますご清祥のこととお喜び申し上げます。\n"
    "このたびは、{city}へのふるさと納税によるご寄附を賜り、心より厚くお礼申し上げます。\n"
    "お寄せいただいたご寄附は、ご意向に沿ってまちづくりのために大切に活用させていただきます。\n"
    "ここに寄附金受領証明書をお送りいたします。確定申告の際に必要となりますので、大切に保管してください。\n"
    "今後とも{city}への変わらぬご支援を賜りますようお願い申し上げます。\n"
    "敬具"
)


@dataclass(frozen=True)
class City:
    """Who issues the documents; from app config so another city only changes settings."""

    name: str
    prefecture: str
    mayor: str
    seal_image: str  # path under static/
    letter_text: str

    @classmethod
    def from_config(cls) -> City:
        cfg = current_app.config
        name = cfg.get("CITY_NAME", "庄原市")
        return cls(
            name=name,
            prefecture=cfg.get("CITY_PREFECTURE", ""),
            mayor=cfg.get("CITY_MAYOR", ""),
            seal_image=cfg.get("CITY_SEAL_IMAGE", "img/documents/seal-sample.png"),
            letter_text=cfg.get("THANK_YOU_LETTER") or DEFAULT_LETTER.format(city=name),
        )

    @property
    def mayor_title(self) -> str:
        """庄原市長 out of '庄原市長 木山 耕三' (the form is addressed to the office)."""
        return self.mayor.split()[0] if self.mayor else f"{self.name}長"


@dataclass(frozen=True)
class MailingSet:
    """Everything one envelope needs, as plain values."""

    set_id: str
    donor_name: str
    postal_code: str  # 7 digits, with or without hyphen
    address: str  # may contain line breaks
    donation_number: str
    amount: int  # yen
    received_on: date  # 受領日: settlement / transfer / arrival date, by payment method
    payment_method: str
    receipt_number: str  # 2026-000123
    issued_on: date
    reissued: bool = False
    reissued_on: date | None = None
    onestop_requested: bool = False
    donor_phone: str = ""
    donor_kana: str = ""
    letter_text: str | None = None  # None: the city's configured text
    # 書類送付先 when it differs from the donor's address: only the envelope window uses it;
    # the receipt and the one-stop form keep the donor's own name and address.
    mail_name: str = ""
    mail_postal_code: str = ""
    mail_address: str = ""

    @property
    def sheet_count(self) -> int:
        return 4 if self.onestop_requested else 2


@dataclass(frozen=True)
class ManifestRow:
    set_id: str
    donation_number: str
    receipt_number: str
    first_page: int  # 1-based, inclusive, in the merged PDF
    last_page: int
    pages: int
    onestop: bool


class RenderedBatch:
    """Rendered sets: their manifest and, lazily, a standalone PDF. From `render_batch` it
    carries the fragment (picklable, for a pool worker to hand to the parent's writer)."""

    def __init__(
        self,
        pdf: bytes | None = None,
        manifest: list[ManifestRow] | None = None,
        fragment: Fragment | None = None,
    ) -> None:
        self._pdf = pdf
        self.manifest = manifest or []
        self.fragment = fragment

    @property
    def pdf(self) -> bytes:
        if self._pdf is None:
            out = io.BytesIO()
            write_batches([self], out)
            self._pdf = out.getvalue()
        return self._pdf

    @property
    def page_count(self) -> int:
        return self.manifest[-1].last_page if self.manifest else 0


def postal_display(code: str) -> str:
    """〒727-0011 from 7270011, 727-0011 or full-width digits."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", code) if ch.isdigit())
    return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else f"〒{code}"


def qr_data_uri(text: str) -> str:
    """The donation number as a QR code: a 1-pixel-per-module PNG data URI, scaled up
    without smoothing in CSS. Measured: about 10 ms less per page than an inline SVG path."""
    return segno.make(text, error="m", micro=False).png_data_uri(scale=1, border=2)


def _sheet_context(s: MailingSet, city: City) -> dict[str, object]:
    letter = s.letter_text if s.letter_text is not None else city.letter_text
    return {
        "s": s,
        "postal": postal_display(s.postal_code),
        "address_lines": [line for line in s.address.splitlines() if line.strip()],
        "window_postal": postal_display(s.mail_postal_code) if s.mail_address else None,
        "window_lines": [line for line in s.mail_address.splitlines() if line.strip()],
        "window_name": s.mail_name or s.donor_name,
        "amount": format_yen(s.amount),
        "received": wareki(s.received_on),
        "issued": wareki(s.issued_on),
        "reissued": wareki(s.reissued_on) if s.reissued and s.reissued_on else "",
        "letter_paragraphs": [p for p in letter.splitlines() if p.strip()],
        "qr": qr_data_uri(s.donation_number) if s.onestop_requested else "",
        "n": s.sheet_count,
    }


# --- the fixed layer: once per process and sheet type -----------------------------------


@dataclass(frozen=True)
class Slot:
    """Where the fixed layer left room for a value: CSS px relative to the sheet's box."""

    x: float
    y: float
    w: float
    h: float


@dataclass
class FixedLayer:
    key: str  # the same in every process for the same content (fixed layers are shared
    # between the chunks of a merged file by this key)
    fragment: Fragment  # one Form XObject
    slots: dict[str, Slot]
    html: str  # what was rendered (for the public-API reference, `render_reference`)


FIXED_RENDERS = 0  # fixed-layer renders in this process (a test checks they stay few)
_layers: dict[tuple[object, ...], FixedLayer] = {}
_MAX_LAYERS = 64  # letters can differ per set (own text); the cache stays bounded


def _measure(page: Page) -> dict[str, Slot]:
    found = {name: Slot(*box) for name, box in internals.attribute_boxes(page, "data-slot").items()}
    sheet = found.pop("sheet")
    return {
        name: Slot(round(r.x - sheet.x, 3), round(r.y - sheet.y, 3), round(r.w, 3), round(r.h, 3))
        for name, r in found.items()
    }


def fixed_layer(
    kind: str, city: City, *, letter_text: str = "", onestop: bool = False, form_year: str = ""
) -> FixedLayer:
    """The sheet's fixed layer (letter, receipt, form or example), rendered once per process
    (the form once per donation year: its heading reads 「令和8年寄附分」)."""
    global FIXED_RENDERS
    cache_key = (kind, city, letter_text, onestop, form_year)
    layer = _layers.get(cache_key)
    if layer is not None:
        return layer
    html = current_app.jinja_env.get_template(TEMPLATE).render(
        kind=kind,
        city=city,
        seal_uri=static_uri(city.seal_image),
        letter_paragraphs=[p for p in letter_text.splitlines() if p.strip()],
        onestop=onestop,
        form_year=form_year,
    )
    with watched():
        document = layout(html, STYLESHEET)
        if len(document.pages) != 1:
            raise DocumentRenderError(
                f"the {kind} sheet overflowed its page ({len(document.pages)} pages; letter "
                "text too long?) — the set ids and page numbers would be wrong"
            )
        slots = _measure(document.pages[0])
        fragment = layer_fragment(internals.pdf_objects(document))
    FIXED_RENDERS += 1
    digest = hashlib.sha256(html.encode()).hexdigest()[:24]
    layer = FixedLayer(key=f"{kind}-{digest}", fragment=fragment, slots=slots, html=html)
    if len(_layers) >= _MAX_LAYERS:
        _layers.clear()
    _layers[cache_key] = layer
    return layer


def form_year_label(received_on: date) -> str:
    """「令和8年」: the year of the donation (the city's 受領日) in the era it fell in."""
    era, year = wareki_year(received_on)
    return f"{era}{'元' if year == 1 else year}年"


def clear_fixed_layers() -> None:
    """Forget this process's fixed layers (after the city's settings or templates changed)."""
    _layers.clear()


def sheet_layers(s: MailingSet, city: City) -> list[FixedLayer]:
    letter = s.letter_text if s.letter_text is not None else city.letter_text
    layers = [
        fixed_layer("letter", city, letter_text=letter, onestop=s.onestop_requested),
        fixed_layer("receipt", city),
    ]
    if s.onestop_requested:
        layers += [
            fixed_layer("form", city, form_year=form_year_label(s.received_on)),
            fixed_layer("example", city),
        ]
    return layers


def warm_fixed_layers(sets: Iterable[MailingSet], city: City) -> int:
    """Lay out, in this process, every fixed layer the sets need (and so the font
    configuration and stylesheets): a pool worker forked afterwards inherits them instead of
    laying each one out again. Returns how many distinct sheet variants there were."""
    seen: set[tuple[object, ...]] = set()
    for s in sets:
        year = form_year_label(s.received_on) if s.onestop_requested else ""
        key = (s.letter_text, s.onestop_requested, year)
        if key not in seen:
            seen.add(key)
            sheet_layers(s, city)
    return len(seen)


# --- the variable layer: per set, many sets in one document ---------------------------


def _overflowing(page: Page) -> list[str]:
    """Boxes (`data-slot`) whose text needs more room than they have: a value taller than
    the fixed layer's slot, or an address running into the window's bottom line or past
    the 長3 window (which would cut it off on the envelope)."""
    return internals.overflowing_children(page, "section", "data-slot")


def render_html(sets: Sequence[MailingSet], city: City, tight: dict[int, set[str]]) -> str:
    contexts = []
    slots: dict[str, Slot] = {}
    for i, s in enumerate(sets):
        context = _sheet_context(s, city)
        for layer in sheet_layers(s, city):
            slots.update(layer.slots)  # the same names always come from the same sheet type
        context["tight"] = tight.get(i, set())
        contexts.append(context)
    template = current_app.jinja_env.get_template(VARIABLE_TEMPLATE)
    return template.render(sets=contexts, city=city, slots=slots)


def _variable_document(
    sets: Sequence[MailingSet], city: City
) -> tuple[str, Document, list[FixedLayer]]:
    """The sets' variable layer laid out as one document (a value that does not fit its slot
    set in smaller type), its HTML, and the fixed layer under each page. Inside `watched()`."""
    page_layers: list[FixedLayer] = []
    owners: list[int] = []  # set index of each page
    for i, s in enumerate(sets):
        layers = sheet_layers(s, city)
        page_layers += layers
        owners += [i] * len(layers)
    tight: dict[int, set[str]] = {}
    for attempt in range(2):
        html = render_html(sets, city, tight)
        document = layout(html, VARIABLE_STYLESHEET, margin_boxes=False)
        if len(document.pages) != len(page_layers):
            raise DocumentRenderError(
                f"{len(document.pages)} pages rendered for {len(page_layers)} sheets: a "
                "sheet overflowed its page — the set ids and page numbers would be wrong"
            )
        overflow = {
            (owners[p], name)
            for p, page in enumerate(document.pages)
            for name in _overflowing(page)
        }
        if not overflow:
            break
        if attempt:  # even the smaller type does not fit: never print it cut off
            i = min(i for i, _ in overflow)
            names = ", ".join(sorted(name for j, name in overflow if j == i))
            raise DocumentRenderError(
                f"set {sets[i].set_id}: the value does not fit its box even in smaller "
                f"type ({names}); shorten the address or name before printing"
            )
        for i, name in overflow:
            tight.setdefault(i, set()).add(name)
    return html, document, page_layers


def render_fragment(sets: Sequence[MailingSet], city: City) -> Fragment:
    """The sets' variable pages, each over its fixed layer, as a fragment for the writer."""
    with watched():
        _html, document, page_layers = _variable_document(sets, city)
        pdf = internals.pdf_objects(document)
    fragment = overlay_fragment(
        pdf,
        [layer.key for layer in page_layers],
        {layer.key: layer.fragment for layer in page_layers},
    )
    # The box tree is full of reference cycles and `watched()` makes the collector lazy: free
    # it now, or the next chunk renders on top of this one (peak +40 MB per worker).
    del document, pdf
    gc.collect()
    return fragment


def render_reference(sets: Sequence[MailingSet], *, city: City | None = None) -> bytes:
    """The same sets printed through WeasyPrint's public API only: the variable layer's HTML
    and each fixed layer's HTML (the same HTML the fast path lays out, slots and smaller type
    decided there) each rendered by `rendering.reference_pdf`, and every variable page
    stacked over its fixed page with pypdf. Seconds per set, a PDF with every fixed layer
    copied onto every page: for checking the fast path against, not for the print room."""
    from pypdf import PdfReader, PdfWriter

    if not sets:
        raise DocumentRenderError("no mailing sets to render")
    city = city or City.from_config()
    with watched():
        html, document, page_layers = _variable_document(sets, city)
    del document
    variable = PdfReader(io.BytesIO(reference_pdf(html, VARIABLE_STYLESHEET)))
    if len(variable.pages) != len(page_layers):
        raise DocumentRenderError(
            f"{len(variable.pages)} reference pages rendered for {len(page_layers)} sheets"
        )
    fixed: dict[str, PdfReader] = {}
    writer = PdfWriter()
    for layer, page in zip(page_layers, variable.pages, strict=True):
        if layer.key not in fixed:
            fixed[layer.key] = PdfReader(io.BytesIO(reference_pdf(layer.html, STYLESHEET)))
        sheet = writer.add_page(page)
        sheet.merge_page(fixed[layer.key].pages[0], over=False)  # the form under the values
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_batch(
    sets: Sequence[MailingSet], *, city: City | None = None, first_page: int = 1
) -> RenderedBatch:
    """Many sets in one WeasyPrint document, with the manifest of their page ranges."""
    if not sets:
        raise DocumentRenderError("no mailing sets to render")
    city = city or City.from_config()
    fragment = render_fragment(sets, city)
    return RenderedBatch(manifest=build_manifest(sets, first_page=first_page), fragment=fragment)


def render_sets(sets: Sequence[MailingSet], *, city: City | None = None) -> bytes:
    """One merged PDF for the print room."""
    return render_batch(sets, city=city).pdf


def render_set(one: MailingSet, *, city: City | None = None) -> bytes:
    """One donor's set, e.g. for the donor's own download."""
    return render_batch([one], city=city).pdf


def build_manifest(sets: Iterable[MailingSet], *, first_page: int = 1) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    page = first_page
    for s in sets:
        n = s.sheet_count
        rows.append(
            ManifestRow(
                set_id=s.set_id,
                donation_number=s.donation_number,
                receipt_number=s.receipt_number,
                first_page=page,
                last_page=page + n - 1,
                pages=n,
                onestop=s.onestop_requested,
            )
        )
        page += n
    return rows


def write_batches(
    parts: Iterable[RenderedBatch], fh: BinaryIO, *, title: str = "寄附金受領証明書"
) -> list[ManifestRow]:
    """Stream rendered chunks, in order, into one PDF file; returns the shifted manifest.

    Each chunk is written as soon as it arrives and then dropped: memory does not grow with
    the number of sets. Each fixed layer is stored once in the file.
    """
    writer = StreamingPdfWriter(fh, title=title)
    manifest: list[ManifestRow] = []
    for part in parts:
        offset = writer.page_count
        first = part.manifest[0].first_page if part.manifest else 1
        if part.fragment is None:
            raise DocumentRenderError("a chunk without its fragment cannot be streamed")
        writer.append(part.fragment)
        shift = offset - (first - 1)
        manifest += [
            replace(row, first_page=row.first_page + shift, last_page=row.last_page + shift)
            for row in part.manifest
        ]
    writer.close()
    return manifest


def merge_batches(parts: Sequence[RenderedBatch]) -> RenderedBatch:
    """Concatenate separately rendered chunks (e.g. from a process pool) into one print file."""
    if all(part.fragment is not None for part in parts):
        out = io.BytesIO()
        manifest = write_batches(parts, out)
        return RenderedBatch(pdf=out.getvalue(), manifest=manifest)
    # Already merged PDFs (no fragment): copy their pages with pypdf.
    from pypdf import PdfWriter

    writer = PdfWriter()
    manifest = []
    for part in parts:
        offset = len(writer.pages)
        first = part.manifest[0].first_page if part.manifest else 1
        writer.append(io.BytesIO(part.pdf))
        shift = offset - (first - 1)
        manifest += [
            replace(row, first_page=row.first_page + shift, last_page=row.last_page + shift)
            for row in part.manifest
        ]
    out = io.BytesIO()
    writer.write(out)
    return RenderedBatch(pdf=out.getvalue(), manifest=manifest)


MANIFEST_FIELDS = [
    "set_id",
    "donation_number",
    "receipt_number",
    "first_page",
    "last_page",
    "pages",
    "onestop",
]


def manifest_csv(manifest: Iterable[ManifestRow]) -> str:
    buf = io.StringIO()
    writer = SafeDictWriter(buf, MANIFEST_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in manifest:
        writer.writerow(asdict(row))
    return buf.getvalue()


def manifest_json(manifest: Iterable[ManifestRow]) -> str:
    return json.dumps([asdict(r) for r in manifest], ensure_ascii=False, indent=1)
