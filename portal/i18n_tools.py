"""`flask translations …`: keep the English catalogue complete.

msgids are the Japanese text (Japanese is the default locale, so it needs no catalogue);
translations/en holds English. Several people may add strings at once, so `update` and
`fill` take a lock file around the read-modify-write of the .po file.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from babel.messages.pofile import read_po, write_po

from portal.config import ROOT

PO = ROOT / "translations/en/LC_MESSAGES/messages.po"
POT = ROOT / "translations/messages.pot"
LOCK = ROOT / "translations/.lock"


@contextmanager
def _locked() -> Iterator[None]:
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


PYBABEL = str(Path(sys.executable).with_name("pybabel"))  # the venv's, whatever PATH says


def _pybabel(*args: str) -> None:
    subprocess.run([PYBABEL, "-q", *args], check=True, cwd=ROOT)


def _extract_and_update() -> None:
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        ".",
    )
    if PO.exists():
        _pybabel(
            "update",
            "-i",
            str(POT),
            "-d",
            "translations",
            "-l",
            "en",
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        )
    else:
        _pybabel("init", "-i", str(POT), "-d", "translations", "-l", "en")


@click.group("translations")
def translations() -> None:
    """Extract, list missing, fill and compile the English catalogue."""


@translations.command("update")
def update() -> None:
    """Extract every string and merge it into translations/en (new ones untranslated)."""
    with _locked():
        _extract_and_update()
    missing_cmd.callback()  # type: ignore[misc]


@translations.command("missing")
def missing_cmd() -> None:
    """Print the msgids that have no English yet, as a JSON object to fill in."""
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    todo = {
        m.id: "" for m in catalog if m.id and (not m.string or m.fuzzy) and isinstance(m.id, str)
    }
    click.echo(json.dumps(todo, ensure_ascii=False, indent=1))
    click.echo(f"# {len(todo)} missing", err=True)


@translations.command("fill")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def fill(mapping: Path) -> None:
    """Set English for msgids from a JSON file {msgid: english}, then compile."""
    values: dict[str, str] = json.loads(mapping.read_text(encoding="utf-8"))
    with _locked():
        _extract_and_update()
        with PO.open("rb") as fh:
            catalog = read_po(fh)
        unknown = 0
        for msgid, text in values.items():
            message = catalog.get(msgid)
            if message is None or not text:
                unknown += 1
                continue
            message.string = text
            message.flags.discard("fuzzy")
        with PO.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
        _pybabel("compile", "-d", "translations", "--use-fuzzy")
    left = sum(1 for m in catalog if m.id and not m.string)
    click.echo(f"filled={len(values) - unknown} skipped={unknown} still_missing={left}")


@translations.command("compile")
def compile_cmd() -> None:
    _pybabel("compile", "-d", "translations")


commands = [translations]
