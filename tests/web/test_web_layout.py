"""The shape of portal/web, read from the source (no app, no database).

- No import circle between portal.web modules. Every import counts: at module level, inside a
  function, relative or absolute, and `from portal.web.x import y` is an edge to the submodule
  `x.y` when there is one (to `x` otherwise). A package `__init__` importing its own route
  modules is an edge like any other, so a route module that imports its package's `__init__`
  back (instead of its `scope` / `labels` siblings) is a circle.
- URLs are registered only in the file that creates the blueprint (an audience package's
  `__init__`, or a one-file audience such as auth.py): one file per audience shows every URL.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "portal" / "web"
ROUTE_METHODS = {"route", "get", "post", "put", "patch", "delete"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(package_dir: Path, root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(package_dir.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `name` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    found.add(sub)
                elif target in known:
                    found.add(target)
    found.discard(name)
    return found


def import_graph(package_dir: Path, root: Path) -> dict[str, set[str]]:
    mods = modules_under(package_dir, root)
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), as a readable loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_loop(g, graph) for g in groups]


def _loop(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete path a → … → a inside the group, to name in the failure message."""
    members = set(group)
    start = group[0]
    path, seen = [start], {start}
    while True:
        nxt = sorted(graph[path[-1]] & members)
        if start in nxt and len(path) > 1:
            return [*path, start]
        step = next((n for n in nxt if n not in seen), None)
        if step is None:
            return [*path, start]
        path.append(step)
        seen.add(step)


def _is_blueprint(node: ast.expr) -> bool:
    """`bp` or `something.bp`: the name every audience gives its blueprint."""
    return (isinstance(node, ast.Name) and node.id == "bp") or (
        isinstance(node, ast.Attribute) and node.attr == "bp"
    )


def url_registrations(path: Path) -> tuple[bool, list[int]]:
    """(does the file create a Blueprint, lines that register a URL on a blueprint).

    App-wide URLs (`@app.get("/healthz")` in setup.py) belong to no audience and are not
    counted; neither are blueprint hooks such as the guard's `before_request`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    creates = False
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == "Blueprint") or (
                isinstance(f, ast.Attribute) and f.attr == "Blueprint"
            ):
                creates = True
            if isinstance(f, ast.Attribute) and f.attr == "add_url_rule" and _is_blueprint(f.value):
                lines.append(node.lineno)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for d in node.decorator_list:
                call = d.func if isinstance(d, ast.Call) else d
                if (
                    isinstance(call, ast.Attribute)
                    and call.attr in ROUTE_METHODS
                    and _is_blueprint(call.value)
                ):
                    lines.append(d.lineno)
    return creates, lines


# --- the checks themselves --------------------------------------------------------------


def test_no_import_circle_in_portal_web() -> None:
    found = cycles(import_graph(WEB, ROOT))
    assert not found, "import circles in portal/web:\n" + "\n".join(" → ".join(c) for c in found)


def test_urls_are_registered_only_where_the_blueprint_is_created() -> None:
    offenders = []
    for path in modules_under(WEB, ROOT).values():
        creates, lines = url_registrations(path)
        if lines and not creates:
            offenders.append(f"{path.relative_to(ROOT)}: lines {lines}")
    assert not offenders, "routes registered outside the audience's URL table:\n" + "\n".join(
        offenders
    )


def test_every_audience_package_holds_its_url_table() -> None:
    """Each audience package's __init__ creates its blueprint and lists its URLs."""
    packages = [p.parent for p in WEB.glob("*/__init__.py")]
    assert {p.name for p in packages} >= {"staff", "supplier", "donor", "desk"}
    for pkg in packages:
        creates, lines = url_registrations(pkg / "__init__.py")
        assert creates and lines, f"{pkg.relative_to(ROOT)}/__init__.py has no URL table"


# --- the checker finds what it should (a layout it must refuse) --------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root / "app" / "web"


@pytest.mark.parametrize(
    ("files", "loop"),
    [
        pytest.param(
            {
                "app/web/a.py": "def f():\n    from app.web.b import g\n",
                "app/web/b.py": "from . import a\n",
            },
            ["app.web.a", "app.web.b", "app.web.a"],
            id="lazy-import-inside-a-function-and-relative",
        ),
        pytest.param(
            {
                "app/web/shop/__init__.py": "from app.web.shop import orders\n",
                "app/web/shop/orders.py": "from app.web.shop import bp\n",
            },
            ["app.web.shop", "app.web.shop.orders", "app.web.shop"],
            id="route-module-importing-its-package-init",
        ),
        pytest.param(
            {
                "app/web/shop/__init__.py": "from .orders import index\n",
                "app/web/shop/orders.py": "import app.web.shop\n",
            },
            ["app.web.shop", "app.web.shop.orders", "app.web.shop"],
            id="plain-import-statement",
        ),
    ],
)
def test_checker_reports_a_circle(tmp_path: Path, files: dict[str, str], loop: list[str]) -> None:
    web = _write(tmp_path, {"app/__init__.py": "", "app/web/__init__.py": "", **files})
    assert cycles(import_graph(web, tmp_path)) == [loop]


def test_checker_accepts_sibling_imports(tmp_path: Path) -> None:
    web = _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/web/__init__.py": "",
            "app/web/shop/__init__.py": "from app.web.shop import orders, scope\n",
            "app/web/shop/orders.py": "from app.web.shop.scope import own\nfrom . import labels\n",
            "app/web/shop/scope.py": "",
            "app/web/shop/labels.py": "",
        },
    )
    graph = import_graph(web, tmp_path)
    assert graph["app.web.shop.orders"] == {"app.web.shop.scope", "app.web.shop.labels"}
    assert cycles(graph) == []


def test_checker_finds_a_route_registered_in_a_route_module(tmp_path: Path) -> None:
    web = _write(
        tmp_path,
        {
            "app/web/shop/__init__.py": "bp = Blueprint('shop', __name__)\n"
            "bp.add_url_rule('/', view_func=index)\n",
            "app/web/shop/orders.py": "from app.web import shop\n\n"
            "@shop.bp.post('/x')\ndef x():\n    pass\n\n"
            "@app.get('/healthz')\ndef y():\n    pass\n",
        },
    )
    assert url_registrations(web / "shop" / "__init__.py") == (True, [2])
    assert url_registrations(web / "shop" / "orders.py") == (False, [3])
