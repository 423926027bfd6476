"""Migrations match the models; the demo seed is idempotent; the English catalogue is complete."""

import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.accounts.models import Supplier, User
from portal.core.models import schema_object_filter
from portal.demo import DEMO_ACCOUNTS
from portal.extensions import db
from portal.gifts.models import Gift
from portal.i18n_tools import PYBABEL

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.usefixtures("app")
def test_models_and_migrations_agree() -> None:
    conn = db.session.connection()  # the test's own connection (SQLite holds one writer)
    ctx = MigrationContext.configure(
        conn,
        opts={"compare_type": True, "include_object": schema_object_filter(conn.dialect.name)},
    )
    diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_seed_demo_is_idempotent(seeded_demo) -> None:
    tables = [m.__table__.name for m in (Supplier, User, Gift)]
    counts, again = ([c[t] for t in tables] for c in seeded_demo.counts)
    assert counts == again
    assert counts[0] >= 10 and counts[2] >= 40
    with seeded_demo.app.app_context():
        hiba = db.session.scalar(sa.select(User).where(User.email == "supplier@demo.example"))
        assert "比婆牛" in db.session.scalar(
            sa.select(Gift.name).where(Gift.supplier_id == hiba.supplier_id).limit(1)
        )
    # Each run ends by printing the logins, and where a visitor looks a donation up.
    for output in seeded_demo.outputs:
        for email, role, _, _ in DEMO_ACCOUNTS:
            assert f"{role.value:<15} {email}  /  demo-password" in output
        assert "/donor/  寄附受付番号 " in output


def test_seed_demo_refuses_a_password_the_sign_in_rules_refuse(runner, session) -> None:
    result = runner.invoke(args=["seed-demo"], env={"DEMO_PASSWORD": "short"})
    assert result.exit_code != 0
    assert "パスワードは12文字以上" in result.output and "Log in with" not in result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_english_catalogue_complete(tmp_path) -> None:
    po = ROOT / "translations/en/LC_MESSAGES/messages.po"
    out = subprocess.run(
        ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "untranslated" not in out and "fuzzy" not in out, out
    # And every translatable string in the code is in the catalogue.
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            PYBABEL,
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            str(ROOT),
        ],
        check=True,
        cwd=ROOT,
    )
    from babel.messages.pofile import read_po

    with pot.open(encoding="utf-8") as fh:
        template = read_po(fh)
    assert len(template) > 100  # the extraction really found the code's strings
    with po.open(encoding="utf-8") as fh:
        catalogue = read_po(fh)
    missing = [
        m.id
        for m in template
        if m.id and (catalogue.get(m.id) is None or not catalogue.get(m.id).string)
    ]
    assert missing == []


_PLACEHOLDER = re.compile(r"%%|%\([a-z_0-9]+\)[sdif]|%[sdif]")


def test_english_catalogue_percent_signs_survive_formatting() -> None:
    """A literal % must be written the way its msgid writes it.

    Jinja's newstyle `_()` %-formats every string, with or without variables, so a bare `%`
    in a msgstr whose msgid has none is a 500 ("30% limit") or mangled text ("30{}ule").
    Where the msgid has placeholders or `%%`, the msgstr must format with the same names.
    """
    from babel.messages.pofile import read_po

    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open(encoding="utf-8") as fh:
        catalogue = read_po(fh)
    bare, unformattable = [], []
    for m in catalogue:
        if not m.id or not m.string:
            continue
        msgid = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        id_has_bare = "%" in _PLACEHOLDER.sub("", msgid)
        names = {n: 1 for n in re.findall(r"%\(([a-z_0-9]+)\)", msgid)}
        for s in strings:
            if not id_has_bare and "%" in _PLACEHOLDER.sub("", s):
                bare.append((msgid, s))
            elif not id_has_bare and ("%(" in msgid or "%%" in msgid):
                try:
                    s % names
                except (ValueError, TypeError, KeyError) as e:
                    unformattable.append((msgid, s, str(e)))
    assert bare == [], "write a literal percent sign as %% (or reword):\n" + "\n".join(
        f"{i!r} -> {s!r}" for i, s in bare
    )
    assert unformattable == []


def test_create_user_command_reads_password_from_stdin(runner, make_supplier, session) -> None:
    supplier = make_supplier(code="S999")
    result = runner.invoke(
        args=["create-user", "new@test.example", "--role", "supplier", "--supplier", "S999"],
        input="a good long password\n",
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(sa.select(User).where(User.email == "new@test.example"))
    assert user.supplier_id == supplier.id and user.password_hash.startswith("$argon2id$")
    bad = runner.invoke(
        args=["create-user", "x@test.example", "--role", "supplier"], input="a good long password\n"
    )
    assert bad.exit_code != 0


def test_migrations_form_one_line(app) -> None:
    """`flask db upgrade` (to "head") needs exactly one head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


def test_a_test_app_writes_nothing_into_instance(tmp_path, monkeypatch) -> None:
    """A test configuration builds no secret key, database or job broker file in instance/
    (the broker is built from app.config in init_app, in memory for tests)."""
    from portal import config, create_app

    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE", instance)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "DOCUMENT_DIR": str(tmp_path / "documents"),
        }
    )
    assert app.extensions["huey"].immediate
    assert not instance.exists()
