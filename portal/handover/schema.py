"""What the handover export carries: every table of the metadata, less an explicit list of what
a city must not or need not receive, and one canonical text per value.

Generic over `Model.metadata` (portal/models.py imports every model), so a table another
domain adds later is exported without a change here; its columns then need a description
(portal/handover/columns.py or a `comment=`/`doc=` on the column) or the test fails.
"""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from portal.core.dates import JST
from portal.core.secrets_at_rest import EncryptedText

# Whole tables left out, with the reason the README gives. alembic_version is not in the
# metadata at all: its value is the manifest's `schema_revision`.
EXCLUDED_TABLES: dict[str, str] = {
    "user_session": "ログイン中のセッション（Cookie のダイジェスト）。秘密情報で、引継ぎ先は自前のログインで始める",
    "password_reset": "パスワード再設定の一回限りリンク（トークンのダイジェスト）。秘密情報で、数時間で失効する",
    "invitation": "アカウント招待・TOTP再登録の一回限りリンク（トークンのダイジェスト）。秘密情報",
    "recovery_code": "職員の二要素認証の回復コード（ダイジェスト）。秘密情報",
    "donor_token": "寄附者の一回限りアクセスリンク（トークンのダイジェスト）。秘密情報",
    "job_run": "バックグラウンド処理の進行記録（ジョブキューの内部情報）。業務の記録ではない",
    "figure_snapshot": "ダッシュボード・経費率・分析ページ用の集計の控え（毎分・5分ごとに作り直す。寄附の表から再計算できる）",
}

# Single columns left out, "table.column": reason.
EXCLUDED_COLUMNS: dict[str, str] = {
    "user_account.password_hash": "パスワードのハッシュ。秘密情報（引継ぎ先では各自が再設定する）",
    "support_conversation.survey_token": "満足度アンケートの一回限りリンクのダイジェスト。秘密情報",
}

ENCRYPTED_REASON = "保存時に暗号化された秘密情報（EncryptedText。例: TOTP の秘密鍵）"
EXCLUDED_REFERENCE_REASON = "出力しない表（{table}）の行番号で、引継ぎ先では意味を持たない"


@dataclass(frozen=True)
class ExportTable:
    table: sa.Table
    columns: tuple[sa.Column[Any], ...]

    @property
    def name(self) -> str:
        return self.table.name


def column_exclusion(column: sa.Column[Any]) -> str | None:
    """Why a column of an exported table is left out, or None when it is exported."""
    key = f"{column.table.name}.{column.name}"
    if key in EXCLUDED_COLUMNS:
        return EXCLUDED_COLUMNS[key]
    if isinstance(column.type, EncryptedText):
        return ENCRYPTED_REASON
    for fk in column.foreign_keys:
        if fk.column.table.name in EXCLUDED_TABLES:
            return EXCLUDED_REFERENCE_REASON.format(table=fk.column.table.name)
    return None


def export_tables(metadata: sa.MetaData) -> list[ExportTable]:
    """The exported tables in dependency order (a table after those it refers to)."""
    out = []
    for table in metadata.sorted_tables:
        if table.name in EXCLUDED_TABLES:
            continue
        cols = tuple(c for c in table.columns if column_exclusion(c) is None)
        out.append(ExportTable(table, cols))
    return out


def excluded_columns(metadata: sa.MetaData) -> list[tuple[str, str]]:
    """("table.column", reason) for every column left out of an exported table."""
    out = []
    for table in metadata.sorted_tables:
        if table.name in EXCLUDED_TABLES:
            continue
        for column in table.columns:
            reason = column_exclusion(column)
            if reason is not None:
                out.append((f"{table.name}.{column.name}", reason))
    return out


# --- one canonical text per value ----------------------------------------------------------


def is_numeric(column: sa.Column[Any]) -> bool:
    kind = _base(column)
    return isinstance(kind, sa.Integer | sa.Numeric) and not isinstance(kind, sa.Boolean)


def to_text(value: Any) -> str:
    """The text a CSV cell and the row digest carry for a value; NULL is the empty text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return (value.astimezone(JST) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


def _base(column: sa.Column[Any]) -> Any:
    """The column's type, or for a TypeDecorator (UTCDateTime) the type it stores as."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.types.TypeDecorator) else kind


def _python_type(column: sa.Column[Any]) -> type | None:
    try:
        return _base(column).python_type
    except NotImplementedError:
        return None


def from_text(column: sa.Column[Any], text: str) -> Any:
    """The value `to_text` wrote, as the column takes it (the loader's half)."""
    kind = _base(column)
    if isinstance(kind, sa.JSON):
        return json.loads(text) if text else None
    if text == "":
        return None if column.nullable else ""
    if isinstance(kind, sa.Boolean):
        return text == "true"
    if isinstance(kind, sa.Enum):
        enum_class = kind.enum_class
        return enum_class(text) if enum_class is not None else text
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(text)
    py = _python_type(column)
    if py is bool:
        return text == "true"
    if py is int:
        return int(text)
    if py is Decimal:
        return Decimal(text)
    if py is float:
        return float(text)
    if py is datetime:
        return datetime.fromisoformat(text)
    if py is date:
        return date.fromisoformat(text)
    if py is time:
        return time.fromisoformat(text)
    return text


def row_texts(columns: Iterable[sa.Column[Any]], row: sa.Row[Any]) -> list[str]:
    return [to_text(row._mapping[c]) for c in columns]


def digest_line(texts: list[str]) -> bytes:
    """One row's contribution to the canonical digest (a JSON array and a newline)."""
    return (json.dumps(texts, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def ordered_select(table: sa.Table, columns: Iterable[sa.Column[Any]]) -> sa.Select[Any]:
    """The rows in primary-key order (every exported table has a primary key)."""
    return sa.select(*columns).order_by(*table.primary_key.columns)


def type_name(column: sa.Column[Any]) -> str:
    kind = _base(column)
    if isinstance(kind, sa.Enum):
        return "選択肢（" + " / ".join(str(v) for v in kind.enums) + "）"
    if isinstance(kind, sa.Boolean):
        return "真偽（true / false）"
    py = _python_type(column)
    if py is datetime:
        return "日時（ISO 8601、日本時間 +09:00）"
    if py is date:
        return "日付（YYYY-MM-DD）"
    if py is time:
        return "時刻（HH:MM:SS）"
    if isinstance(kind, sa.JSON):
        return "JSON"
    if isinstance(kind, sa.LargeBinary):
        return "バイナリ（Base64）"
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return "十進数"
    if isinstance(kind, sa.Float):
        return "小数"
    if py is int:
        return "整数"
    length = getattr(kind, "length", None)
    return f"文字列（最大{length}文字）" if length else "文字列"
