"""Every use of a WeasyPrint internal, in one place.

The rest of portal.documents uses WeasyPrint's documented API only (`HTML`, `CSS`, `Document`,
`Page`, `render`, `write_pdf`, `URLFetcher`, `URLFetcherResponse`, `FatalURLFetchingError`,
`FontConfiguration`, `DEFAULT_OPTIONS`, `VERSION`, the ``weasyprint`` logger). What follows is
not part of that API: any release may rename or reshape it, which is why pyproject.toml pins
``weasyprint>=70,<71``. tests/unit/test_weasyprint_contract.py checks that each internal below
still exists with the shape used here and names the one that is gone; run it first when
raising the pin. `rendering.reference_pdf` renders through the public API only, and
tests/unit/test_weasyprint_reference.py checks that it prints the same text per page.

The internals (`INTERNALS` names them, the contract test has one check per name):

``weasyprint.text.ffi.harfbuzz_subset``
    The dlopen'ed libharfbuzz-subset, or None. Read by `harfbuzz_subset_available` so that the
    engine refuses to start when WeasyPrint would subset the CJK fonts with fontTools (seconds
    per page) instead of printing thousands of slow pages.

``weasyprint.layout.make_margin_boxes(context, page, state)``
    Replaced by a wrapper (`install_margin_box_switch`) that returns no boxes inside
    `without_margin_boxes()`: WeasyPrint builds 16 margin boxes per page even for a stylesheet
    without margin-box rules, 12 % of the CPU of a variable page of the mailing sets. It only
    works because `weasyprint.layout` looks the function up as a module global at call time.

``weasyprint.pdf.generate_pdf(document, target, zoom, **options)``
    Builds the pydyf object tree of a laid-out document without serialising it (`pdf_objects`):
    the overlay writer (portal.documents.pdfstream) copies pages and their resources out of the
    tree instead of writing a PDF and parsing it back in.

``the pydyf object tree's shape``
    What the tree from ``generate_pdf`` looks like: ``pdf.objects[n].number == n``; the page
    tree's ``Kids`` a flat ``[number, 0, "R", …]`` list; each page dictionary's ``Contents``
    one reference to a `pydyf.Stream` (with ``.stream`` a list of operator lines, ``.extra``
    its dictionary, ``.compress``), ``Resources`` a reference to a `pydyf.Dictionary`, and a
    ``MediaBox``; `pydyf._to_bytes` (private) serialises a value. Used by `pdf_pages`,
    `pdf_object`, `serialise`, `to_bytes`, `draw_first`, `make_form`.

``weasyprint.document.Page._page_box`` and the layout boxes
    The laid-out box tree of a page: ``box.element`` (the HTML element, ``.tag``, ``.get``),
    ``box.children``, ``box.descendants()``, ``box.content_box_x()``, ``box.content_box_y()``,
    ``box.width``, ``box.height``, ``box.position_y``, ``box.margin_height()`` and
    ``box.style["position"]``. Read by `attribute_boxes` (where the fixed layer left room for a
    value) and `overflowing_children` (a value that needs more room than its slot).

``the log messages' wording``
    `FATAL_LOG_MARKERS`: parts of WeasyPrint's warning texts that `rendering.watched()` turns
    into an error. If WeasyPrint rewords one, a slow or broken render would pass unnoticed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pydyf
from weasyprint import DEFAULT_OPTIONS
from weasyprint.document import Document, Page

INTERNALS = (
    "weasyprint.text.ffi.harfbuzz_subset",
    "weasyprint.layout.make_margin_boxes",
    "weasyprint.pdf.generate_pdf",
    "the pydyf object tree's shape",
    "weasyprint.document.Page._page_box",
    "the log messages' wording",
)

# What the weasyprint logger says when a render went wrong in a way that must not pass.
FATAL_LOG_MARKERS = (
    "Using fontTools instead of HarfBuzz",  # slow Python subsetting
    "with fontTools",  # "Unable to subset … with fontTools"
    "with HarfBuzz",  # "Unable to subset … with HarfBuzz"
    "cannot be loaded",  # an @font-face file we asked for is missing
    "Failed to load",  # image or stylesheet not fetched
)


# --- fonts --------------------------------------------------------------------------------


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint found libharfbuzz-subset (else it subsets fonts with fontTools)."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None


# --- margin boxes -------------------------------------------------------------------------

_without_margin_boxes: ContextVar[bool] = ContextVar("without_margin_boxes", default=False)


def install_margin_box_switch() -> None:
    """Wrap `weasyprint.layout.make_margin_boxes` so `without_margin_boxes()` can skip them.

    Idempotent; outside `without_margin_boxes()` the wrapper calls WeasyPrint's own function.
    If WeasyPrint renames the function this does nothing (slower, still correct), and the
    contract test says so.
    """
    import weasyprint.layout as weasy_layout

    original = getattr(weasy_layout, "make_margin_boxes", None)
    if original is None or getattr(original, "portal_switch", False):
        return

    def make_margin_boxes(context, page, state):
        if _without_margin_boxes.get():
            return ()
        return original(context, page, state)

    make_margin_boxes.portal_switch = True  # type: ignore[attr-defined]
    weasy_layout.make_margin_boxes = make_margin_boxes


@contextmanager
def without_margin_boxes() -> Iterator[None]:
    """Pages laid out inside the block get no margin boxes (for a stylesheet without any
    @top-…/@bottom-… rule: they would be empty)."""
    install_margin_box_switch()
    token = _without_margin_boxes.set(True)
    try:
        yield
    finally:
        _without_margin_boxes.reset(token)


# --- the PDF object tree ------------------------------------------------------------------


def pdf_objects(document: Document) -> pydyf.PDF:
    """The document's PDF as WeasyPrint's pydyf object tree, before it is serialised. Fonts
    are subset here. Call inside `rendering.watched()`."""
    from weasyprint.pdf import generate_pdf

    return generate_pdf(document, None, 1, **DEFAULT_OPTIONS)


def to_bytes(value: object) -> bytes:
    """A PDF value (number, name, reference, pydyf object) as PDF bytes."""
    return pydyf._to_bytes(value)


_REFERENCE = re.compile(rb"(\d+) 0 R")


def pdf_object(pdf: pydyf.PDF, reference: object) -> pydyf.Object:
    """The object a reference (``b"12 0 R"``, ``"12 0 R"`` or the number 12) points at."""
    if isinstance(reference, int):
        return pdf.objects[reference]
    match = _REFERENCE.fullmatch(to_bytes(reference))
    if match is None:
        raise ValueError(f"not an indirect reference: {reference!r}")
    return pdf.objects[int(match.group(1))]


@dataclass(frozen=True)
class PdfPage:
    """One page of the tree: its dictionary, its content stream and its resources."""

    dictionary: pydyf.Dictionary
    content: pydyf.Stream
    resources: pydyf.Dictionary
    media_box: object


def pdf_pages(pdf: pydyf.PDF) -> list[PdfPage]:
    pages = []
    for number in pdf.pages["Kids"][::3]:
        page = pdf.objects[int(number)]
        pages.append(
            PdfPage(
                dictionary=page,
                content=pdf_object(pdf, page["Contents"]),
                resources=pdf_object(pdf, page["Resources"]),
                media_box=page["MediaBox"],
            )
        )
    return pages


def draw_first(content: pydyf.Stream, operators: bytes) -> None:
    """Put operators at the start of a content stream (drawn under the rest of the page)."""
    content.stream.insert(0, operators)


def make_form(page: PdfPage) -> None:
    """Turn the page's content stream into a Form XObject drawing that page."""
    page.content.extra.update(
        {
            "Type": "/XObject",
            "Subtype": "/Form",
            "BBox": pydyf.Array(page.media_box),
            "Resources": page.dictionary["Resources"],
        }
    )


def serialise(obj: pydyf.Object) -> tuple[bytes, bytes | None]:
    """An object as (dictionary part, stream payload or None), compressed as pydyf would."""
    if isinstance(obj, pydyf.Stream):
        payload = b"\n".join(to_bytes(item) for item in obj.stream)
        extra = pydyf.Dictionary(obj.extra.copy())
        if obj.compress:
            extra["Filter"] = "/FlateDecode"
            payload = zlib.compress(payload, 6)
        extra["Length"] = len(payload)
        return extra.data, payload
    return obj.data, None


# --- the layout box tree ------------------------------------------------------------------


def attribute_boxes(page: Page, attribute: str) -> dict[str, tuple[float, float, float, float]]:
    """The content box (x, y, width, height; CSS px from the page's top left) of the first
    box of each element carrying `attribute`, keyed by the attribute's value."""
    found: dict[str, tuple[float, float, float, float]] = {}
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        name = element.get(attribute) if element is not None else None
        if name and name not in found:  # the element's own box comes before anonymous ones
            found[name] = (box.content_box_x(), box.content_box_y(), box.width, box.height)
    return found


def overflowing_children(page: Page, container_tag: str, attribute: str) -> list[str]:
    """Values of `attribute` on direct children of `container_tag` boxes whose in-flow
    content runs below their content box, or into the top of one of their absolutely placed
    children (more than half a CSS px)."""
    problems: list[str] = []
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        element = getattr(box, "element", None)
        if element is not None and element.tag == container_tag:
            for child in box.children:
                name = child.element.get(attribute) if child.element is not None else None
                if not name:
                    continue
                flow = [c for c in child.children if c.style["position"] != "absolute"]
                placed = [c.position_y for c in child.children if c not in flow]
                limit = min([child.content_box_y() + child.height, *placed])
                if flow and max(c.position_y + c.margin_height() for c in flow) > limit + 0.5:
                    problems.append(name)
            continue
        stack.extend(getattr(box, "children", ()))
    return problems
