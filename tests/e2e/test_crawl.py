"""Every page each role can reach, in Japanese and English, on a phone and a desk.

For each role, from its landing page, every same-site GET link is followed to depth 3 (logout
and the language switch are forms, not links; downloads are only checked for status and
Content-Type). Each page is visited three times: in Japanese at 1280 px (the crawl finds the
links there), in Japanese at 375 px (what a supplier's phone shows) and in English at 375 px (the
longer words, the narrow screen). axe-core (serious and critical violations) and `<html lang>`
are checked in both languages; Japanese text left outside data in English; horizontal overflow
at 375 px in both languages. Everywhere: no 5xx, no 4xx on
a link the page itself offered, and no console error (CSP violations are console errors).

Data is what people typed or imported (names, addresses, gift names, the city's name): it stays
Japanese on an English page. Text inside an element marked `lang="ja"` is data; so is any
string stored in the database, which the check takes out of the page's text before it looks
for Japanese left over.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from portal.extensions import db
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules/axe-core/axe.min.js"
DEPTH = 3
# Pages that differ only by an id or a filter value render the same template: a few of each.
PER_PATTERN = 2
DISCOVER = ("ja", 1280)  # then every page found once more as each of:
REVISITS = (("ja", 375), ("en", 375))
DOWNLOAD = re.compile(r"\.(csv|xlsx|pdf|zip|txt)$")
DOWNLOAD_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "txt": "text/plain",
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")

ROLES = {
    "anonymous": (None, "/login"),
    "donor": ("donor", "/donor/"),
    "supplier": ("supplier@demo.example", "/supplier/"),
    "operator": ("operator@demo.example", "/staff/"),
    "admin": ("admin@demo.example", "/staff/"),
    "city": ("city@demo.example", "/staff/"),
}

# Known findings that would take long to fix: (role or "*", path regex, check, why). Keep short.
ALLOWED: list[tuple[str, str, str, str]] = []

# Text nodes on an English page, with the element they sit in; data marked lang="ja" and what is
# not rendered (script, style, hidden) is left out. Attributes people read count too.
TEXT_JS = r"""
() => {
  const out = [];
  const re = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]/;
  const skip = 'script, style, template, noscript, [lang="ja"], [hidden], textarea';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !re.test(text) || !el || el.closest(skip)) continue;
    out.push([el.tagName.toLowerCase(), text]);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], img[alt]')) {
    if (el.closest('[lang="ja"], [hidden]')) continue;
    for (const a of ['aria-label', 'placeholder', 'title', 'alt']) {
      const v = el.getAttribute(a);
      if (v && re.test(v)) out.push([el.tagName.toLowerCase() + '@' + a, v]);
    }
  }
  if (re.test(document.title)) out.push(['title', document.title]);
  return out;
}
"""

OVERFLOW_JS = r"""
() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  let worst = null;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && (!worst || r.right > worst[1])) {
      worst = [el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
               (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''),
               Math.round(r.right)];
    }
  }
  return [document.documentElement.scrollWidth, worst];
}
"""

# A value squeezed into a sliver: a label column that leaves its value one character per line
# (a .facts list with a 12em label inside a 260 px card did this at desktop width).
SQUEEZED_JS = r"""
() => {
  const out = [];
  for (const dd of document.querySelectorAll('dd')) {
    const text = dd.innerText.trim();
    const w = dd.getBoundingClientRect().width;
    if (text.length >= 6 && w > 0 && w < 6 * parseFloat(getComputedStyle(dd).fontSize)) {
      out.push(text.slice(0, 20) + ' (' + Math.round(w) + 'px)');
    }
  }
  return out;
}
"""

AXE_RUN_JS = """
async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => [v.id, v.impact, v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')]);
}
"""


@dataclass
class Crawl:
    base: str
    role: str
    findings: list[str] = field(default_factory=list)
    pages: int = 0

    def fail(self, url: str, check: str, detail: str) -> None:
        path = urlsplit(url).path
        for role, pattern, allowed_check, _why in ALLOWED:
            if role in ("*", self.role) and allowed_check == check and re.search(pattern, path):
                return
        self.findings.append(f"[{self.role}] {check}: {url.removeprefix(self.base)} — {detail}")


def _pattern(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", parts.path)
    path = re.sub(r"/[A-Za-z0-9_-]{20,}(?=/|$)", "/{token}", path)
    keys = ",".join(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return f"{path}?{keys}"


def _normalise(base: str, href: str) -> str | None:
    parts = urlsplit(href)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return None
    if parts.path in ("/logout", "/lang") or parts.path.startswith("/static/"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _data_strings(app) -> dict[str, list[str]]:
    """Every Japanese string stored in the database, indexed by its first two characters."""
    found: set[str] = {app.config["CITY_NAME"]}

    def walk(value: object) -> None:
        if isinstance(value, str):
            if JAPANESE.search(value):
                found.add(value.strip())
                found.update(part.strip() for part in value.splitlines() if part.strip())
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, sa.String | sa.Text | sa.JSON | sa.Enum)
            ]
            if not columns:
                continue
            for row in db.session.execute(sa.select(*columns)):
                for value in row:
                    if isinstance(value, str) and value[:1] in "[{":
                        with contextlib.suppress(ValueError):
                            value = json.loads(value)
                    walk(value)
        db.session.remove()
    index: dict[str, list[str]] = {}
    for s in found:
        if len(s) >= 1:
            index.setdefault(s[:2], []).append(s)
    for v in index.values():
        v.sort(key=len, reverse=True)
    return index


def _strip_data(text: str, data: dict[str, list[str]]) -> str:
    out, i = [], 0
    while i < len(text):
        for s in data.get(text[i : i + 2], ()):
            if text.startswith(s, i):
                i += len(s)
                out.append(" ")
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _sign_in(page, base: str, who: str | None, app) -> None:
    if who is None:
        return
    if who == "donor":
        from portal.demo import showcase
        from portal.demo.donors import second_factor

        with app.app_context():
            d = showcase(db.session)
            number, postal, second = d.donation_no, d.postal_code, second_factor(d)
            db.session.remove()
        page.goto(f"{base}/donor/")
        page.fill("#donation_no", number)
        page.fill("#postal_code", postal)
        page.fill("#second", second)
        page.click("form[action$='/donor/lookup'] button[type=submit]")
        page.wait_for_url("**/donor/donations/*")
        return
    log_in(page, base, who)


def _visit(crawl: Crawl, page, context, url: str, lang: str, width: int, state: dict) -> list:
    """One page at one language and width; returns the links it offers (at 1280 px)."""
    if DOWNLOAD.search(urlsplit(url).path):
        if (lang, width) == DISCOVER:
            _download(crawl, context, url)
        return []
    console: list[str] = state["console"]
    console.clear()
    try:
        response = page.goto(url, wait_until="load")
    except Exception as e:  # a download without an extension starts instead of a page
        if "Download is starting" in str(e) or "ERR_ABORTED" in str(e):
            if (lang, width) == DISCOVER:
                _download(crawl, context, url)
            return []
        raise
    crawl.pages += 1
    status = response.status if response else 0
    where = f"{lang}/{width}"
    if status >= 400:
        crawl.fail(url, "status", f"{status} ({where})")
        return []
    ctype = response.headers.get("content-type", "")
    if not ctype.startswith("text/html"):
        return []
    html_lang = page.evaluate("document.documentElement.lang")
    if html_lang != lang:
        crawl.fail(url, "html-lang", f'<html lang="{html_lang}"> on a {lang} page')
    if (lang, width) != ("ja", 375):  # axe once per language; this visit is for the layout
        page.evaluate(state["axe"])
        for rule, impact, nodes in page.evaluate(AXE_RUN_JS):
            crawl.fail(url, "axe", f"{rule} ({impact}, {where}): {nodes}")
    if lang == "en":
        left = []
        for tag, text in page.evaluate(TEXT_JS):
            if JAPANESE.search(_strip_data(text, state["data"])):
                left.append(f"{tag}: {text[:60]!r}")
        if left:
            crawl.fail(url, "japanese", "; ".join(sorted(set(left))[:6]))
    squeezed = page.evaluate(SQUEEZED_JS)
    if squeezed:
        crawl.fail(url, "squeezed", f"({where}) " + "; ".join(squeezed[:4]))
    if width < 400:
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow:
            crawl.fail(url, "overflow", f"{overflow[0]}px wide ({lang}); widest: {overflow[1]}")
    if console:
        crawl.fail(url, "console", f"({where}) " + " | ".join(sorted(set(console))[:4]))
    if (lang, width) != DISCOVER:
        return []
    return page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")


def _download(crawl: Crawl, context, url: str) -> None:
    response = context.request.get(url)
    ext = DOWNLOAD.search(urlsplit(url).path)
    ctype = response.headers.get("content-type", "")
    if response.status >= 400:
        crawl.fail(url, "status", f"{response.status} (download)")
    elif ext and not ctype.startswith(DOWNLOAD_TYPES[ext.group(1)]):
        crawl.fail(url, "content-type", f"{ctype!r} for a .{ext.group(1)}")
    elif ctype.startswith("text/html"):
        crawl.fail(url, "content-type", "HTML where a download was linked")
    elif ctype.lower().count("charset") > 1:
        crawl.fail(url, "content-type", f"charset given twice: {ctype!r}")


@pytest.mark.parametrize("role", list(ROLES))
def test_crawl(role, browser, live_app, live_server) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets` (npm ci installs axe-core)")
    who, landing = ROLES[role]
    crawl = Crawl(live_server, role)
    state = {"console": [], "axe": AXE.read_text(encoding="utf-8"), "data": _data_strings(live_app)}
    context = browser.new_context(viewport={"width": DISCOVER[1], "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.on(
        "console",
        lambda m: state["console"].append(m.text[:200]) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: state["console"].append(f"uncaught: {e}"[:200]))
    try:
        _sign_in(page, live_server, who, live_app)
        # Discover the pages in Japanese at the desk width, checking each as it comes.
        seen: dict[str, int] = {}
        per_pattern: dict[str, int] = {}
        queue = deque([(f"{live_server}{landing}", 0)])
        order: list[str] = []
        while queue:
            url, depth = queue.popleft()
            if url in seen:
                continue
            pattern = _pattern(url)
            if per_pattern.get(pattern, 0) >= PER_PATTERN:
                continue
            per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
            seen[url] = depth
            order.append(url)
            for href in _visit(crawl, page, context, url, *DISCOVER, state):
                link = _normalise(live_server, href)
                if link and link not in seen and depth < DEPTH:
                    queue.append((link, depth + 1))
        # The same pages on a phone, in Japanese and then in English.
        for lang, width in REVISITS:
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
            page.set_viewport_size({"width": width, "height": 812})
            for url in order:
                _visit(crawl, page, context, url, lang, width, state)
    finally:
        context.close()
    assert crawl.pages > (1 if who is None else 5), f"{role}: only {crawl.pages} pages reached"
    assert crawl.findings == [], (
        f"{role}: {len(crawl.findings)} findings on {len(order)} pages\n"
        + "\n".join(crawl.findings)
    )
