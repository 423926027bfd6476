"""The WeasyPrint engine every PDF goes through: fonts, stylesheet cache, locked-down fetcher.

Why the care: a CJK page costs seconds when WeasyPrint falls back to fontTools for font
subsetting (no libharfbuzz-subset), and building the FontConfiguration plus parsing the
stylesheet is a large share of a small document. So both are built once per process and
reused; every render watches the ``weasyprint`` logger and raises if the slow path or a
missing font shows up instead of quietly printing thousands of slow or tofu pages.

This module uses WeasyPrint's public API only; the few internals the fast paths need (margin
boxes switched off, the PDF object tree, the HarfBuzz check, the wording of the log messages)
are in portal.documents.weasy_internals. `reference_pdf` renders the same HTML with nothing
but the public API and no process-wide caches: the reference the fast paths are tested against.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from portal import config
from portal.documents import weasy_internals as internals
from portal.documents.weasy_internals import FATAL_LOG_MARKERS

STATIC_DIR = (config.ROOT / "static").resolve()
TEMPLATE_DIR = (config.ROOT / "templates" / "documents").resolve()

# Debian's fonts-ipaexfont: mid-size CJK fonts (≈ 4–6 MB, 12,000 glyphs) that subset fast.
# IPAex covers JIS X 0208 and a little more; legal names also use JIS X 0213 and CJK extension
# B characters (𠮷, 𡈽, 髙 is in IPAex but 𣘺 is not). Debian's fonts-ipamj-mincho (IPAmj明朝,
# ≈ 58,000 glyphs of the 文字情報基盤 set, made for 戸籍 and 住民基本台帳 names) is every
# document's fallback: each font-family list in templates/documents/*.css ends with it, and
# Pango takes a character the first font lacks from the next one.
FONT_FILES = {
    "IPAexGothic": Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    "IPAexMincho": Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"),
    "IPAmjMincho": Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf"),
}
FALLBACK_FAMILY = "IPAmjMincho"
FONT_PACKAGES = {
    "IPAexGothic": "fonts-ipaexfont-gothic",
    "IPAexMincho": "fonts-ipaexfont-mincho",
    "IPAmjMincho": "fonts-ipamj-mincho",
}


class DocumentRenderError(RuntimeError):
    """A document could not be rendered as intended (never print it anyway)."""


class StaticOnlyFetcher(URLFetcher):
    """Fetch our own static files and the document font files, refuse everything else.

    Donor-supplied text (names, addresses, letter text) ends up in the HTML; the fetcher makes
    sure nothing in it can make the renderer read other files or reach the network.
    """

    allowed_fonts = frozenset(p.resolve() for p in FONT_FILES.values())

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise FatalURLFetchingError(f"refused to fetch {url!r}: not one of our files")
        path = Path(unquote(parts.path)).resolve()
        if not (path.is_relative_to(STATIC_DIR) or path in self.allowed_fonts):
            raise FatalURLFetchingError(f"refused to fetch {url!r}: outside static files")
        if not path.is_file():
            raise FatalURLFetchingError(f"missing document resource {path}")
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes())


def check_fonts() -> None:
    """Fail at once when a font file or HarfBuzz subsetting is missing."""
    missing = [
        f"{path} ({FONT_PACKAGES[family]})"
        for family, path in FONT_FILES.items()
        if not path.is_file()
    ]
    if missing:
        raise DocumentRenderError(f"document fonts not installed: {', '.join(missing)}")
    if not internals.harfbuzz_subset_available():
        raise DocumentRenderError(
            "libharfbuzz-subset0 is not installed: WeasyPrint would subset CJK fonts with "
            "fontTools, seconds per page"
        )


def font_face_css() -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); }}'
        for family, path in FONT_FILES.items()
    )


@dataclass(frozen=True)
class Engine:
    """One per process: the font configuration and parsed stylesheets, reused by every render."""

    font_config: FontConfiguration
    fetcher: StaticOnlyFetcher
    stylesheets: dict[str, CSS]


_engine_lock = threading.Lock()


@cache
def _engine() -> Engine:
    check_fonts()
    internals.install_margin_box_switch()
    return Engine(FontConfiguration(), StaticOnlyFetcher(), {})


def stylesheet(name: str) -> CSS:
    """templates/documents/<name>, parsed once per process with the @font-face rules in front."""
    engine = _engine()
    with _engine_lock:
        css = engine.stylesheets.get(name)
        if css is None:
            text = font_face_css() + "\n" + (TEMPLATE_DIR / name).read_text(encoding="utf-8")
            css = CSS(
                string=text,
                base_url=STATIC_DIR.as_uri() + "/",
                url_fetcher=engine.fetcher,
                font_config=engine.font_config,
            )
            engine.stylesheets[name] = css
    return css


class _LogWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(marker in message for marker in FATAL_LOG_MARKERS):
            self.problems.append(message)


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Raise the young-generation GC threshold while rendering.

    WeasyPrint allocates millions of small, short-lived objects (boxes, styles); with the
    default threshold (700) the cyclic collector runs thousands of times per batch and
    re-scans the long-lived box tree each time. Measured on a 50-set batch: 60 → 47 ms CPU
    per set. Thresholds are process-wide, so they are restored afterwards.
    """
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def watched() -> Iterator[None]:
    """Raise DocumentRenderError when WeasyPrint logs a slow fallback or a missing resource
    anywhere inside the block (layout, font subsetting, PDF generation)."""
    watch = _LogWatch()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(watch)
    try:
        with _fewer_gc_passes():
            yield
    finally:
        logger.removeHandler(watch)
    if watch.problems:
        raise DocumentRenderError("; ".join(watch.problems))


MARGIN_BOX_RULE = re.compile(r"@(top|bottom|left|right)-")


@cache
def _has_margin_box_rules(css_name: str) -> bool:
    return bool(MARGIN_BOX_RULE.search((TEMPLATE_DIR / css_name).read_text(encoding="utf-8")))


def layout(html: str, css_name: str, *, margin_boxes: bool = True) -> Document:
    """Lay out one HTML document with the process's font configuration and stylesheet.
    `margin_boxes=False` for a stylesheet without @top-…/@bottom-… rules: faster pages
    (12 % of the CPU of a mailing set's variable page goes to 16 empty margin boxes).
    Call inside `watched()`."""
    engine = _engine()
    if not margin_boxes and _has_margin_box_rules(css_name):
        raise DocumentRenderError(f"{css_name} has margin-box rules: lay it out with them")
    with nullcontext() if margin_boxes else internals.without_margin_boxes():
        return HTML(
            string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=engine.fetcher
        ).render(stylesheets=[stylesheet(css_name)], font_config=engine.font_config)


def html_to_pdf(html: str, css_name: str) -> tuple[bytes, int]:
    """Render one HTML document to PDF bytes; returns (pdf, page count). Raises on fallbacks."""
    with watched():
        document = layout(html, css_name)
        pdf = document.write_pdf()
    return pdf, len(document.pages)


def reference_pdf(html: str, css_name: str) -> bytes:
    """The same HTML and stylesheet rendered the plain way: `HTML(...).write_pdf()` with a
    fresh font configuration, stylesheet and fetcher, margin boxes kept, nothing from the
    process's engine but the font check. Slower; the reference the fast paths must match
    (tests/unit/test_weasyprint_reference.py). Raises on fallbacks like every render."""
    check_fonts()
    font_config = FontConfiguration()
    fetcher = StaticOnlyFetcher()
    base_url = STATIC_DIR.as_uri() + "/"
    css = CSS(
        string=font_face_css() + "\n" + (TEMPLATE_DIR / css_name).read_text(encoding="utf-8"),
        base_url=base_url,
        url_fetcher=fetcher,
        font_config=font_config,
    )
    with watched():
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
            stylesheets=[css], font_config=font_config
        )


def static_uri(relative: str) -> str:
    """A file URL for a file under static/ (the only place documents load images from)."""
    path = (STATIC_DIR / relative).resolve()
    if not path.is_relative_to(STATIC_DIR):
        raise DocumentRenderError(f"{relative!r} is not under static/")
    return path.as_uri()
