"""The README.md of a handover: how to read the files, what was left out and why, and every
table and column with its type, whether it may be empty, and what it means."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from portal.handover.columns import describe
from portal.handover.schema import (
    EXCLUDED_TABLES,
    excluded_columns,
    export_tables,
    type_name,
)


def table_meaning(table: sa.Table) -> str:
    """The model's docstring, first paragraph (what a row is), when it has one."""
    from portal.extensions import Model

    for mapper in Model.registry.mappers:
        if mapper.local_table is table and mapper.class_.__doc__:
            first = mapper.class_.__doc__.strip().split("\n\n")[0]
            return " ".join(first.split())
    return ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_text(metadata: sa.MetaData, manifest: dict[str, Any]) -> str:
    tables = manifest["tables"]
    out = [
        "# ふるさと納税ポータル 引継ぎデータ",
        "",
        f"- 出力日時: {manifest['exported_at']}",
        f"- データベースの版（Alembic revision）: {manifest['schema_revision'] or '不明'}",
        f"- 表の数: {len(tables)}",
        "",
        "## ファイル",
        "",
        "- `<表名>.csv`: 表ごとに1ファイル。UTF-8（BOM付き）、改行 CRLF、1行目は列名。",
        f"- `{manifest['workbook']}`: 同じ内容の Excel ブック。表ごとに1シート（シート名は表名、"
        "31文字まで）。1シートは見出しを含め 1,048,576 行までなので、それを超える表は"
        "「表名 (2)」「表名 (3)」… のシートに続きます（manifest.json の sheets）。",
        "- `manifest.json`: 表ごとの行数（rows）、CSVファイルの SHA-256（sha256_file）、"
        "行の内容の SHA-256（sha256_rows）。",
        "- `README.md`: このファイル。",
        "",
        "## 値の書き方",
        "",
        "- 空欄は「値なし」（NULL）です。空欄を許す文字列の列では、空の文字列も空欄になります。",
        "- 日時は ISO 8601 の日本時間（例: 2026-12-01T09:30:00+09:00）、日付は YYYY-MM-DD。",
        "- 真偽は true / false、選択肢は保存されている値（英字）、JSON は UTF-8 の JSON 文字列、"
        "バイナリは Base64。",
        "- 金額は円の整数です。",
        "- **先頭の `'`**: 表計算ソフトが数式として実行しないよう、`=` `+` `-` `@`・タブ・CR で"
        "始まる文字列と、`'` で始まる文字列には、CSV で先頭に `'` を1つ付けています。"
        "保存されていた値は、`'` で始まるセルから先頭の"
        "`'` を1つ取り除いたものです（数値の列のマイナスの数には付けません）。xlsx では"
        "文字列はすべて文字列セル（数式にしない）で、`'` は付けていません。",
        "- xlsx の1セルは 32,767 文字まで、制御文字は入りません。それを超える値は xlsx では"
        "切り詰め、制御文字は U+FFFD に置き換えています（該当した行数は manifest.json の"
        "xlsx_cells_shortened_rows）。完全な値は CSV にあります。",
        "",
        "## 確かめ方",
        "",
        "- sha256_file: CSV ファイルそのものの SHA-256。",
        "- sha256_rows: 主キーの順に並べた各行について、保存されていた値（上の `'` を取り除いた"
        "もの）の配列を JSON（UTF-8、空白なし）にして改行を付け、全行つなげたものの SHA-256。"
        "読み込んだ先のデータベースから同じ計算をすれば、欠けがないことを確かめられます。",
        "",
        "## 出力していないもの",
        "",
        "市が業務を続けるのに不要なもの、渡してはならない秘密情報は出力していません。",
        "",
        "| 表・列 | 理由 |",
        "| --- | --- |",
    ]
    for name, reason in EXCLUDED_TABLES.items():
        out.append(f"| {name}（表全体） | {_cell(reason)} |")
    for key, reason in excluded_columns(metadata):
        out.append(f"| {key} | {_cell(reason)} |")
    out += [
        "| alembic_version（表全体） | データベースの版の記録。版は上の「データベースの版」に記載 |",
        "",
        "ほかに、ログイン試行の回数制限の記録（Redis、データベースの外）と、アップロードされた"
        "ファイル・作成した PDF（UPLOAD_DIR・DOCUMENT_DIR のファイル。表にはそのファイル名が"
        "あります）は含みません。",
        "",
        "## 表と列",
        "",
    ]
    for spec in export_tables(metadata):
        entry = tables.get(spec.name, {})
        out.append(f"### {spec.name}（{entry.get('rows', 0)}行）")
        out.append("")
        if meaning := table_meaning(spec.table):
            out += [_cell(meaning), ""]
        out += ["| 列 | 型 | 空欄 | 意味 |", "| --- | --- | --- | --- |"]
        for column in spec.columns:
            nullable = "可" if column.nullable else "不可"
            out.append(
                f"| {column.name} | {_cell(type_name(column))} | {nullable} | "
                f"{_cell(describe(column))} |"
            )
        out.append("")
    return "\n".join(out)
