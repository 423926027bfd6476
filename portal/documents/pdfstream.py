"""Form overlay, written as a stream: fixed layers stored once, variable pages appended.

A print shop prints the form once and only the names per donor. Here: the fixed layer of each
sheet type (letter body, receipt frame and wording, one-stop form grid, 記入例) is rendered
once per process and becomes a Form XObject; every page of a set is a small variable page
(names, amounts, dates, numbers, QR, set id) whose content stream first draws its form
(`q /PF0 Do Q`). The form is written once per output file, however many pages draw it.

Pages come out of WeasyPrint's pydyf object tree (`weasy_internals.pdf_objects`) as a
`Fragment`: serialised objects with their own (local) numbers, picklable, so a pool worker
builds it and the parent only renumbers references and appends bytes to the file (no PDF
parsing, no page objects held in memory: the writer keeps one offset per object and one number
per page). Everything that depends on how that tree is shaped is in
portal.documents.weasy_internals.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import pydyf
from weasyprint import VERSION

from portal.documents import weasy_internals as internals

REF = re.compile(rb"(?<![\d.])(\d+) 0 R(?![A-Za-z])")  # object references in dictionaries
# Local numbers at or above this stand for objects outside the fragment.
EXTERNAL = 1_000_000_000
PAGES_ROOT = EXTERNAL  # the output file's page tree (each page's /Parent)


@dataclass
class Fragment:
    """Serialised PDF objects: (local number, dictionary part, stream payload or None)."""

    objects: list[tuple[int, bytes, bytes | None]]
    pages: list[int]  # local numbers of the page dictionaries (or of the form, for a layer)
    externals: dict[int, str] = field(default_factory=dict)  # local → fixed-layer key
    layers: dict[str, Fragment] = field(default_factory=dict)  # the fixed layers drawn


def _ref(number: int) -> bytes:
    return b"%d 0 R" % number


def _objects(pdf: pydyf.PDF, roots: list[int]) -> list[tuple[int, bytes, bytes | None]]:
    """The objects reachable from `roots` (not the catalog, outlines or page tree)."""
    seen: dict[int, tuple[bytes, bytes | None]] = {}
    todo = list(roots)
    while todo:
        number = todo.pop()
        if number in seen or number >= EXTERNAL:
            continue
        head, payload = internals.serialise(internals.pdf_object(pdf, number))
        seen[number] = (head, payload)
        todo += [int(n) for n in REF.findall(head)]
    return _retag_subsets([(number, *seen[number]) for number in sorted(seen)])


FONT_NAME = re.compile(rb"/FontName /([A-Z]{6})\+.*?/FontFile2 (\d+) 0 R", re.S)


def _retag_subsets(
    objects: list[tuple[int, bytes, bytes | None]],
) -> list[tuple[int, bytes, bytes | None]]:
    """Give each font subset a tag derived from its glyph data.

    WeasyPrint tags a subset by the font, not by the glyphs it holds, so two documents'
    different subsets of IPAexMincho share a name; in one merged file a viewer or RIP that
    caches fonts by name could then draw one donor's page with another subset's glyphs.
    """
    payloads = {number: payload for number, _, payload in objects}
    tags: dict[bytes, bytes] = {}
    for _, head, _ in objects:
        if b"/FontDescriptor" in head and (m := FONT_NAME.search(head)):
            digest = hashlib.sha256(payloads[int(m.group(2))] or b"").digest()
            tags[m.group(1)] = bytes(65 + b % 26 for b in digest[:6])
    if not tags:
        return objects
    pattern = re.compile(rb"/(" + b"|".join(tags) + rb")\+")
    return [
        (number, pattern.sub(lambda m: b"/" + tags[m.group(1)] + b"+", head), payload)
        for number, head, payload in objects
    ]


def layer_fragment(pdf: pydyf.PDF) -> Fragment:
    """A one-page document as a Form XObject (the page's content drawn with its resources)."""
    (page,) = internals.pdf_pages(pdf)
    internals.make_form(page)
    return Fragment(objects=_objects(pdf, [page.content.number]), pages=[page.content.number])


def overlay_fragment(
    pdf: pydyf.PDF, page_layers: list[str], layers: dict[str, Fragment]
) -> Fragment:
    """Variable pages, page i drawing the fixed layer `page_layers[i]` underneath."""
    pages = internals.pdf_pages(pdf)
    if len(pages) != len(page_layers):
        raise ValueError(f"{len(pages)} variable pages for {len(page_layers)} sheets")
    names: dict[str, bytes] = {}
    externals: dict[int, str] = {}
    for key in dict.fromkeys(page_layers):
        local = EXTERNAL + 1 + len(names)
        names[key] = b"PF%d" % len(names)
        externals[local] = key
    for page, key in zip(pages, page_layers, strict=True):
        xobjects = page.resources.setdefault("XObject", pydyf.Dictionary())
        local = next(n for n, k in externals.items() if k == key)
        xobjects[names[key].decode()] = _ref(local)
        internals.draw_first(page.content, b"q /" + names[key] + b" Do Q")
        page.dictionary["Parent"] = _ref(PAGES_ROOT)
    numbers = [page.dictionary.number for page in pages]
    return Fragment(
        objects=_objects(pdf, numbers),
        pages=numbers,
        externals=externals,
        layers={key: layers[key] for key in names},
    )


class StreamingPdfWriter:
    """Append fragments to an open binary file; `close()` writes page tree, xref, trailer.

    Memory stays flat in the number of pages: what is kept is one offset per object written,
    one number per page and the numbers of the fixed layers already in the file.
    """

    def __init__(self, fh: BinaryIO, *, title: str = "") -> None:
        self.fh = fh
        self.title = title
        self.offsets: list[int] = [0, 0, 0, 0]  # 0: free; 1: page tree; 2: catalog; 3: info
        self.kids: list[int] = []
        self.layers: dict[str, int] = {}  # fixed-layer key → its form's number in this file
        self.position = 0
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.fh.write(data)
        self.position += len(data)

    def _write_objects(self, fragment: Fragment, resolve: Callable[[int], int]) -> dict[int, int]:
        first = len(self.offsets)
        numbers = {local: first + i for i, (local, _, _) in enumerate(fragment.objects)}

        def renumber(match: re.Match[bytes]) -> bytes:
            local = int(match.group(1))
            return _ref(numbers[local] if local < EXTERNAL else resolve(local))

        for local, head, payload in fragment.objects:
            self.offsets.append(self.position)
            parts = [b"%d 0 obj\n" % numbers[local], REF.sub(renumber, head)]
            if payload is not None:
                parts += [b"\nstream\n", payload, b"\nendstream"]
            parts.append(b"\nendobj\n")
            self._write(b"".join(parts))
        return numbers

    def _layer(self, key: str, fragment: Fragment) -> int:
        if key not in self.layers:
            numbers = self._write_objects(fragment, lambda local: local)
            self.layers[key] = numbers[fragment.pages[0]]
        return self.layers[key]

    def append(self, fragment: Fragment) -> int:
        """Write the fragment's pages (and any fixed layer not yet in the file); page count."""
        forms = {
            local: self._layer(key, fragment.layers[key])
            for local, key in fragment.externals.items()
        }

        def resolve(local: int) -> int:
            return 1 if local == PAGES_ROOT else forms[local]

        numbers = self._write_objects(fragment, resolve)
        self.kids.extend(numbers[local] for local in fragment.pages)
        return len(fragment.pages)

    @property
    def page_count(self) -> int:
        return len(self.kids)

    def close(self) -> None:
        kids = b" ".join(_ref(n) for n in self.kids)
        tree = b"<</Type /Pages /Count %d /Kids [%s]>>" % (len(self.kids), kids)
        catalog = b"<</Type /Catalog /Pages 1 0 R /Lang (ja)>>"
        info = pydyf.Dictionary(
            {"Producer": pydyf.String(f"Furusato Portal, WeasyPrint {VERSION}")}
        )
        if self.title:
            info["Title"] = pydyf.String(self.title)
        for number, body in ((1, tree), (2, catalog), (3, info.data)):
            self.offsets[number] = self.position
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        xref = self.position
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets)]
        lines += [b"%010d 00000 n \n" % offset for offset in self.offsets[1:]]
        self._write(b"".join(lines))
        self._write(
            b"trailer\n<</Size %d /Root 2 0 R /Info 3 0 R>>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), xref)
        )
