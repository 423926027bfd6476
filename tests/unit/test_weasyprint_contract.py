"""The WeasyPrint internals portal/documents/weasy_internals.py depends on are still there.

One check per entry of `weasy_internals.INTERNALS`, each failing with the internal's name and
the installed WeasyPrint version. Run this first when raising the weasyprint pin in
pyproject.toml: a failure says which function of weasy_internals.py to rework (or to replace
with the public-API path, `rendering.reference_pdf`).
"""

from __future__ import annotations

import importlib
import inspect
import io
import types
import zlib
from collections.abc import Callable
from pathlib import Path

import pydyf
import pytest
import weasyprint
from pypdf import PdfReader
from weasyprint import HTML

from portal.documents import weasy_internals

WHERE = "see portal/documents/weasy_internals.py"


def gone(what: str) -> str:
    return (
        f"WeasyPrint {weasyprint.__version__} (pydyf {pydyf.__version__}) no longer has "
        f"{what}; {WHERE}"
    )


def require(condition: object, what: str) -> None:
    if not condition:
        pytest.fail(gone(what), pytrace=False)


def module(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.fail(gone(f"the module {name}"), pytrace=False)


def parameters(function: Callable[..., object]) -> list[str]:
    return list(inspect.signature(function).parameters)


def code_names(mod: types.ModuleType) -> set[str]:
    """Global names looked up by the functions defined in a module (nested code included)."""
    names: set[str] = set()
    todo = [
        f.__code__
        for f in vars(mod).values()
        if inspect.isfunction(f) and f.__module__ == mod.__name__
    ]
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def laid_out(html: str) -> weasyprint.Document:
    return HTML(string=html).render()


CHECKS: dict[str, Callable[[], None]] = {}


def check(internal: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(function: Callable[[], None]) -> Callable[[], None]:
        CHECKS[internal] = function
        return function

    return register


@check("weasyprint.text.ffi.harfbuzz_subset")
def _harfbuzz_subset() -> None:
    ffi = module("weasyprint.text.ffi")
    require(
        hasattr(ffi, "harfbuzz_subset"),
        "weasyprint.text.ffi.harfbuzz_subset (libharfbuzz-subset, or None without it)",
    )


@check("weasyprint.layout.make_margin_boxes")
def _make_margin_boxes() -> None:
    layout = module("weasyprint.layout")
    what = "weasyprint.layout.make_margin_boxes(context, page, state)"
    function = getattr(layout, "make_margin_boxes", None)
    require(callable(function), what)
    original = getattr(module("weasyprint.layout.page"), "make_margin_boxes", function)
    require(parameters(original) == ["context", "page", "state"], what)
    require(
        "make_margin_boxes" in code_names(layout),
        f"{what} looked up as a global of weasyprint.layout (replacing it would change nothing)",
    )
    # And the switch works: a margin box prints, except inside without_margin_boxes().
    html = (
        "<style>@page { @top-center { content: 'MARGINBOX' } }</style><p>BODY</p>"
        "<p style='break-before: page'>BODY</p>"
    )

    def text() -> str:
        pdf = HTML(string=html).write_pdf()
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)

    with weasy_internals.without_margin_boxes():
        without = text()
    require(
        text().count("MARGINBOX") == 2 and "MARGINBOX" not in without and "BODY" in without,
        f"{what} as the place margin boxes are made (without_margin_boxes() no longer works)",
    )


@check("weasyprint.pdf.generate_pdf")
def _generate_pdf() -> None:
    what = "weasyprint.pdf.generate_pdf(document, target, zoom, **options)"
    function = getattr(module("weasyprint.pdf"), "generate_pdf", None)
    require(callable(function), what)
    signature = inspect.signature(function)
    require(parameters(function)[:3] == ["document", "target", "zoom"], what)
    require(
        any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        or set(weasyprint.DEFAULT_OPTIONS) <= set(signature.parameters),
        f"{what} taking every key of DEFAULT_OPTIONS",
    )
    pdf = weasy_internals.pdf_objects(laid_out("<p>x</p>"))
    require(isinstance(pdf, pydyf.PDF), f"{what} returning a pydyf.PDF object tree")


@check("the pydyf object tree's shape")
def _pydyf_tree() -> None:
    require(callable(getattr(pydyf, "_to_bytes", None)), "pydyf._to_bytes(value)")
    pdf = weasy_internals.pdf_objects(laid_out("<p>one</p><p style='break-before:page'>two</p>"))
    require(
        isinstance(getattr(pdf, "objects", None), list)
        and all(getattr(o, "number", None) == n for n, o in enumerate(pdf.objects)),
        "pdf.objects, a list where pdf.objects[n].number == n",
    )
    kids = pdf.pages.get("Kids") if isinstance(getattr(pdf, "pages", None), dict) else None
    require(
        isinstance(kids, list)
        and len(kids) == 6
        and kids[1::3] == [0, 0]
        and kids[2::3] == ["R", "R"],
        'the page tree\'s Kids as a flat [number, 0, "R", …] list',
    )
    for number in kids[::3]:
        page = pdf.objects[number]
        require(
            isinstance(page, pydyf.Dictionary)
            and {"Contents", "Resources", "MediaBox"} <= set(page),
            "page dictionaries with Contents, Resources and MediaBox",
        )
        content = weasy_internals.pdf_object(pdf, page["Contents"])
        require(
            isinstance(content, pydyf.Stream)
            and isinstance(getattr(content, "stream", None), list)
            and isinstance(getattr(content, "extra", None), dict)
            and isinstance(getattr(content, "compress", None), bool),
            "a page's Contents as one reference to a pydyf.Stream (.stream list, .extra dict, "
            ".compress)",
        )
        require(
            isinstance(weasy_internals.pdf_object(pdf, page["Resources"]), pydyf.Dictionary),
            "a page's Resources as a reference to a pydyf.Dictionary",
        )
        head, payload = weasy_internals.serialise(content)
        lines = b"\n".join(weasy_internals.to_bytes(item) for item in content.stream)
        require(
            payload is not None
            and (zlib.decompress(payload) if content.compress else payload) == lines
            and b"/Length %d" % len(payload) in head,
            "content streams that pydyf._to_bytes serialises line by line",
        )


@check("weasyprint.document.Page._page_box")
def _page_box() -> None:
    document = laid_out(
        "<section>"
        "<div data-slot='a' style='height: 20px; width: 50px'>x</div>"
        "<div data-slot='b' style='position: relative; height: 10px'>"
        "<p style='margin: 0'>flow</p><p style='position: absolute; top: 0'>placed</p></div>"
        "</section>"
    )
    page = document.pages[0]
    require(hasattr(page, "_page_box"), "Page._page_box (the page's laid-out box tree)")
    root = page._page_box
    require(callable(getattr(root, "descendants", None)), "layout boxes' descendants()")
    boxes = [b for b in root.descendants() if getattr(b, "element", None) is not None]
    require(boxes, "layout boxes' .element (the HTML element they were made for)")
    slot = next((b for b in boxes if b.element.get("data-slot") == "b"), None)
    require(slot is not None and slot.element.tag == "div", "elements' .tag and .get(attribute)")
    for method in ("content_box_x", "content_box_y", "margin_height"):
        require(
            callable(getattr(slot, method, None)) and isinstance(getattr(slot, method)(), float),
            f"layout boxes' {method}()",
        )
    for attribute in ("width", "height", "position_y"):
        require(isinstance(getattr(slot, attribute, None), float), f"layout boxes' .{attribute}")
    children = getattr(slot, "children", None)
    require(
        isinstance(children, list | tuple)
        and [c.style["position"] for c in children] == ["static", "absolute"],
        'layout boxes\' .children and .style["position"]',
    )
    # What mailing reads through these: slot a's box, and slot b's flow running into its
    # absolutely placed child.
    found = weasy_internals.attribute_boxes(page, "data-slot")
    require(
        set(found) == {"a", "b"} and found["a"][2:] == (50.0, 20.0),
        "content boxes where attribute_boxes() finds them",
    )
    require(
        weasy_internals.overflowing_children(page, "section", "data-slot") == ["b"],
        "boxes where overflowing_children() finds them",
    )


@check("the log messages' wording")
def _log_wording() -> None:
    package = Path(weasyprint.__file__).parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    for marker in weasy_internals.FATAL_LOG_MARKERS:
        require(
            marker in source,
            f"a log message containing {marker!r} (rendering.watched() turns it into an error)",
        )


def test_every_internal_in_use_has_a_check() -> None:
    assert set(CHECKS) == set(weasy_internals.INTERNALS)


@pytest.mark.parametrize("internal", weasy_internals.INTERNALS)
def test_weasyprint_still_has(internal: str) -> None:
    try:
        CHECKS[internal]()
    except pytest.fail.Exception:
        raise
    except Exception as error:  # a shape the checks above did not foresee
        pytest.fail(
            gone(f"{internal} as used there ({type(error).__name__}: {error})"),
            pytrace=False,
        )


@pytest.mark.parametrize(
    ("target", "name", "internal"),
    [
        ("weasyprint.pdf", "generate_pdf", "weasyprint.pdf.generate_pdf"),
        ("weasyprint.layout", "make_margin_boxes", "weasyprint.layout.make_margin_boxes"),
        ("pydyf", "_to_bytes", "the pydyf object tree's shape"),
    ],
)
def test_a_missing_internal_is_named_with_the_weasyprint_version(
    monkeypatch: pytest.MonkeyPatch, target: str, name: str, internal: str
) -> None:
    monkeypatch.delattr(importlib.import_module(target), name)
    with pytest.raises(pytest.fail.Exception) as failed:
        test_weasyprint_still_has(internal)
    message = str(failed.value)
    assert f"WeasyPrint {weasyprint.__version__} " in message
    assert name in message and message.endswith(WHERE)
