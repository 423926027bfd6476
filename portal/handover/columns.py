"""What each exported column means, for the handover README (in Japanese, the city's language).

A column's own `comment=` / `doc=` wins; then this table; then the rules in `describe` for the
columns every table shares (id, created_at, updated_at, a reference to another table). A column
with none of them fails tests/unit/test_handover.py: describe a new table here when adding it.

Format: one block per table, `[table]`, then one `column: meaning` per line.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

_TEXT = """

[crowdfunding_project]
code: プロジェクトのコード（公開ページのURLに使う）
title: プロジェクト名
title_key: プロジェクト名を照合用に正規化したもの（全角半角・空白・大文字小文字をそろえる）
purpose: プロジェクトの目的・寄附の使い道
goal_amount: 目標金額（円。0 は未設定）
starts_on: 募集開始日
ends_on: 募集終了日
gift_less: 返礼品なしのプロジェクトか
state: 状態（準備中・公開中・終了・非公開）

[crowdfunding_project_listing]
portal: プロジェクトを掲載しているポータル
portal_project_id: そのポータルでのプロジェクトID
url: そのポータルでのプロジェクトページのURL

[cost_entry]
month: 費用の月（YYYY-MM）
category: 費用の種類（ポータル手数料、決済手数料、広告費、ワンストップ特例事務など。総務省の区分への対応は README の経費率の節）
portal: 費用が関わるポータル（空欄はポータルによらない費用）
amount: 金額（円・税込）
note: メモ

[gift_price_change]
old_required_amount: 変更前の必要寄附額（円）
new_required_amount: 変更後の必要寄附額（円）
old_procurement_cost: 変更前の調達費用（円）
new_procurement_cost: 変更後の調達費用（円）
changed_at: 変更日時

[oversight_setting]
fifty_margin_bp: 5割（募集費用）の警告を出す割合（1万分率。4700 = 47%）
thirty_margin_bp: 3割（返礼割合）の警告を出す割合（1万分率。2800 = 28%）
[counter]
name: 採番の種類（寄附受付番号、受領証明書番号など）
scope: 採番の範囲（例: 年 "2026"）
value: その範囲で最後に払い出した番号

[donation]
donation_no: 寄附受付番号（ポータル内で一意）
portal: 寄附を受け付けたポータル
portal_order_no: ポータル側の申込番号
state: 寄附の状態（受付・入金済・取消）
donor_name: 寄附者の氏名
donor_kana: 寄附者の氏名（フリガナ）
postal_code: 寄附者住所の郵便番号（数字7桁）
address: 寄附者の住所
phone: 寄附者の電話番号
email: 寄附者のメールアドレス
amount: 寄附金額（円）
applied_on: 寄附日（申込日）
payment_method: 決済方法
payment_state: 入金状態
paid_on: 入金日（決済日・振込日・到着日）
received_on: 受領日（受領証明書に印字する日。決済方法から決まる）
purpose: 寄附の使途
onestop_requested: ワンストップ特例の申請書を希望したか
receipt_wanted: 受領証明書を希望したか
publish_name: 氏名の公表に同意したか
message: 応援メッセージ
delivery_name: 返礼品の配送先の氏名
delivery_postal_code: 配送先の郵便番号
delivery_address: 配送先の住所
delivery_phone: 配送先の電話番号
mail_name: 書類送付先の氏名
mail_postal_code: 書類送付先の郵便番号
mail_address: 書類送付先の住所
project: クラウドファンディングのプロジェクト名
disaster_relief: 災害支援の寄附か
cancel_reason: 取消の理由
search_name: 検索用に正規化した氏名（個人情報）
search_kana: 検索用に正規化したフリガナ（個人情報）
search_phone: 検索用に正規化した電話番号（個人情報）
search_email: 検索用に正規化したメールアドレス（個人情報）
search_delivery: 検索用に正規化した返礼品の送付先氏名（個人情報）

[mail_sent]
key: 一度だけ送るメールの識別キー（例: incident-city:3）
sent_at: 送信を確定した日時

[supplier]
code: 事業者コード
name: 事業者名
name_kana: 事業者名（フリガナ）
representative: 代表者名
postal_code: 郵便番号
address: 所在地
phone: 電話番号
email: メールアドレス
bank_name: 振込先の金融機関名
bank_branch: 振込先の支店名
bank_account_type: 預金種目（普通・当座）
bank_account_number: 口座番号
bank_account_holder: 口座名義
bank_code: 金融機関コード（全銀、4桁）
branch_code: 支店コード（全銀、3桁）
bank_account_holder_kana: 口座名義（半角カナ、振込ファイルの表記）
shipping_paid_by: 送料を運送会社に支払う側（事業者・運営事業者）
status: 取引の状態（取引中・停止・退会）

[support_canned_reply]
title: 定型文の題名
body: 定型文の本文（{donor_name} などの差込み箇所を含む）

[support_faq]
question: よくある質問の質問文
answer: 回答文
keywords: 検索キーワード（空白区切り）
category: 質問の分類
active: 公開中か

[support_faq_miss]
query: FAQ検索で該当がなかった入力語
searcher: 検索した人の種別（寄附者・事業者など）
at: 検索した日時

[gift]
code: 返礼品コード
name: 返礼品名
description: 返礼品の説明文
required_amount: 必要寄附額（円、市が設定）
procurement_cost: 調達費用（円、税込）
shipping_fee: 送料（円）
size: 配送サイズ（60・80・100 など）
temperature: 配送温度帯（常温・冷蔵・冷凍）
status: 掲載状態（準備中・掲載中・一時停止・終了）
limited_quantity: 数量限定の総数（空欄は限定なし）
accept_from: 受付期間の開始日
accept_until: 受付期間の終了日
ship_from: 発送期間の開始日（季節品）
ship_until: 発送期間の終了日（季節品）
lead_days: 注文から発送期限までの日数（季節外）
stock_paused: 在庫の受付を一時停止しているか
stock_paused_reason: 一時停止の理由
low_stock_threshold: 全ポータル合計の在庫がこの数以下で職員に通知

[user_account]
email: ログインに使うメールアドレス
name: 表示名
role: 役割（運営管理者・運営職員・市職員・事業者）
active: 有効なアカウントか
session_version: パスワード変更の回数に応じて増える番号（ほかのログインを終わらせる）
last_login_at: 最後にログインした日時
totp_last_step: 最後に受け付けた二要素認証コードの時刻ステップ（同じコードの再使用を防ぐ）

[audit_entry]
at: 操作の日時
actor_kind: 操作した人の種別（user: 職員・事業者、donor: 寄附者、system: 自動処理）
actor_ref: 寄附者の操作のときの寄附受付番号など、利用者アカウント以外の操作者
action: 操作（view: 閲覧、update: 更新、export: 出力など）
subject_type: 対象の種類
subject_id: 対象の識別子
label: 対象を言葉で表したもの（例: 寄附 2026-000001）
detail: 操作の詳細
ip: 操作元のIPアドレス

[contract_rate]
valid_from: この料金が適用される最初の日（次の期間の開始まで）
base_rate_bp: 基本業務委託料率（返礼品ありの寄附、1万分率）
no_gift_rate_bp: 返礼品を発送しない寄附の委託料率（1万分率）
crowdfunding_rate_bp: クラウドファンディング型の委託料率（1万分率）
mailing_unit_price: 受領証明書等の送付1通あたりの単価（円）
mailing_in_base: 送付費用を基本業務委託料に含めるか
tax_rate_percent: 消費税率（%）。0 は金額が税込であること
tax_rounding: 消費税の端数処理（切捨て・四捨五入・切上げ）
note: 備考

[donation_line]
position: 寄附の中での明細の順番
quantity: 数量
desired_date: 配送希望日
desired_time: 配送希望時間帯
noshi: のしの指定
hold: 保留の理由（なし・在庫切れ・受付期間外・取消）
stock_taken: 在庫を引当済みか

[donor_request]
kind: 依頼の種類（受領証明書の再発行・配送先変更・送付先変更）
status: 処理状態（受付・承認・修正して承認・お断り）
reissue_reason: 再発行の理由（紛失・未着・記載誤り）
name: 依頼された氏名
postal_code: 依頼された郵便番号
address: 依頼された住所
phone: 依頼された電話番号
note: 寄附者からの連絡事項
staff_note: 職員の記録（お断りの理由や修正内容。寄附者に表示される）
decided_at: 処理した日時

[gift_allocation]
portal: ポータル
remaining: そのポータルで受け付けられる残り数量
low_threshold: この数以下で職員に通知

[gift_article]
title: 返礼品紹介記事の題名
portal: 掲載したポータル
published_on: 掲載日
url: 記事のURL

[gift_image]
filename: 画像ファイル名（UPLOAD_DIR 配下、このデータには含まない）
alt: 画像の代替テキスト
position: 表示順

[gift_listing]
portal: ポータル
item_id: ポータル側の掲載ID
manage_code: ポータル側の管理コード（チョイスの管理コードなど）
url: ポータルの掲載ページのURL

[gift_proposal]
state: 提案の状態（下書き・提出・審査中・修正依頼・再提出・推薦・承認・却下）
lock_version: 状態を変えるたびに増える番号（同時の判断を防ぐ）
name: 提案された返礼品名
description: 説明文
contents: 内容量
allergens: アレルゲン
best_before: 賞味期限
temperature: 配送温度帯
size: 配送サイズ
required_amount: 提案する必要寄附額（円）
procurement_cost: 調達費用（円、税込）
shipping_fee: 送料（円、3割の外）
capacity_per_month: 月あたりの供給可能数
season_from: 発送期間の開始日（季節品）
season_until: 発送期間の終了日（季節品）
criterion: 地場産品基準の号（criteria.json のコード）
materials: 原材料と産地・割合（JSON）
steps: 製造工程と場所・割合（JSON）
service_place: 役務の提供場所
origin_details: 号ごとの根拠事項（JSON）
decided_at: 市が判断した日時

[import_mapping]
portal: ポータル
version: 取込形式の対応表の版番号
data: 対応表の内容（JSON）
changes: 前の版からの変更点（JSON）
kind: 保存の種類（編集・復元など）
restored_from: 復元元の版番号
note: 変更の理由
at: 保存した日時

[incident]
what: 何が起きたか
noticed_at: 最初に認識した日時
data_involved: 誰の情報が関わるか
people: 関わる可能性のある人数
unauthorised_access: 不正アクセスの疑いがあるか
city_told_at: 市へ連絡した日時
ppc_preliminary_at: 個人情報保護委員会への速報の日時
ppc_final_at: 個人情報保護委員会への確報の日時
closed_at: 対応を終えた日時

[monthly_report]
month: 対象月（YYYY-MM、日本時間）
state: 状態（作成中・提出済・差戻し・受理）
submitted_at: 提出した日時
decided_at: 市が受理・差戻しした日時
decision_comment: 市のコメント

[onestop_return]
received_on: 申告特例申請書が最初に届いた日
last_received_on: 最後に届いた日（訂正や不足書類）
state: 書類がそろっているか（完備・不備）
missing: 不足している項目（JSON）
note: 備考
late: 期限後に届いたか
change_received_on: 申請事項変更届出書が最後に届いた日
change_count: 変更届出書の受付回数
change_late: 変更届出書が期限（寄附翌年1月10日）後に届いたか

[payment_run]
month: 支払対象の明細の月（YYYY-MM）
state: 状態（作成中・支払済）
transfer_on: 振込指定日
paid_on: 支払った日
paid_at: 支払済にした日時

[promotion_activity]
what: 実施したPR活動
done_on: 実施日
medium: 媒体
cost: 費用（円）
reach: 表示回数・送付数（分かる場合）
donations_count: この活動によるとみられる寄附の件数
donations_amount: その寄附の金額（円）
effect: 効果の所見

[required_amount_change]
old_amount: 変更前の必要寄附額（円）
new_amount: 変更後の必要寄附額（円）
reason: 変更の理由
changed_at: 変更した日時

[shipment_upload]
token: 発送ファイルのプレビューの鍵（ランダム。事業者のログインと組でのみ使う）
filename: 取り込んだファイル名
rows: 照合できた行（JSON）
problems: 照合できなかった行と理由（JSON）
applied_at: 反映した日時
applied_count: 反映した件数

[stock_ledger]
portal: ポータル
before: 変更前の残数
after: 変更後の残数
reason: 理由（take: 引当、restore: 戻し、set: 設定、move: 移動）
note: 備考
donation_line_id: 引当・戻しの対象となった寄附明細の行番号
at: 変更した日時

[supplier_statement]
month: 対象月（YYYY-MM、日本時間）
state: 状態（確認待ち・異議あり・確定）
generated_at: 作成した日時
confirmed_at: 確定した日時

[support_conversation]
customer_kind: 問合せた人の種別（事業者・寄附者）
donation_ref: 関係する寄附受付番号
customer_name: 問合せた人の名前
customer_email: 問合せた人のメールアドレス
subject: 件名
channel: 受付経路（チャット・電話・メール）
category: 問合せの分類
status: 状態（対応中・返答待ち・完了）
is_complaint: 苦情か
resolution: 対応結果
first_response_at: 最初に返答した日時
resolved_at: 完了した日時
last_message_at: 最後のメッセージの日時
last_customer_message_id: 問合せた人の最後のメッセージの行番号
last_public_message_id: 問合せた人に見える最後のメッセージの行番号
staff_read_upto: 職員が読んだ最後のメッセージの行番号
customer_read_upto: 問合せた人が読んだ最後のメッセージの行番号
satisfaction: 満足度（1〜5、任意のアンケート）

[support_desk_day]
day: 日付
is_open: 窓口を開けるか
opens_at: 開始時刻
closes_at: 終了時刻
note: 備考（臨時休業の理由など）

[timeline_event]
subject_type: 対象の種類（寄附・注文など）
subject_id: 対象の行番号
kind: 出来事の種類
at: 出来事の日時
data: 出来事の詳細（JSON）
public: 寄附者の状況ページに表示するか

[city_invoice]
month: 請求対象月（YYYY-MM）
kind: 種類（請求書・赤伝）
number: 請求書番号
issued_on: 発行日
issued_at: 発行した日時
reason: 赤伝の理由
taxable: 課税対象額（円）
tax: 消費税額（円）
total: 請求額（円）
tax_note: 消費税の注記

[donor_notice]
kind: 寄附者に知らせた出来事の種類
key: 一度だけ送るための識別キー（mail_sent.key）
status: 結果（送信・宛先なし・ポータルが連絡・過去分）
recipient: 送信先のメールアドレス
at: 処理した日時

[gift_order]
status: 状態（発注・発送済・配達済・取消）
ordered_on: 発注日
ship_by: 発送期限
shipped_at: 発送を登録した日時

[gift_origin]
criterion: 地場産品基準の号
materials: 原材料と産地・割合（JSON）
steps: 製造工程と場所・割合（JSON）
service_place: 役務の提供場所
origin_details: 号ごとの根拠事項（JSON）
approved_at: 市が承認した日時

[gift_proposal_file]
kind: 種類（写真・根拠資料）
stored_name: 保存ファイル名（UPLOAD_DIR/proposals 配下、このデータには含まない）
original_name: 提出時のファイル名
content_type: ファイルの形式（MIMEタイプ）
size_bytes: ファイルの大きさ（バイト）
uploaded_at: 提出した日時

[gift_proposal_version]
number: 提出の回数
data: その提出の内容（JSON）

[incident_note]
action: 記録の種類（空欄: 経過メモ、city-told: 市へ連絡、ppc-preliminary: 速報、ppc-final: 確報、closed: 終了、mail-sent / mail-failed: 通知メール）
body: 本文

[line_substitution]
held_as: 差し替え前の保留の理由
consent_via: 寄附者の同意の方法（電話・メール・Web）
consent_on: 同意を得た日
note: 備考
at: 差し替えた日時

[monthly_report_comment]
section: 報告書の項目（ア〜カ）
body: 運営事業者のコメント

[payment_line]
payee_kind: 支払先の種別（事業者・運送会社）
payee_code: 支払先のコード（事業者コード・運送会社）
payee_name: 支払先の名称
carrier: 運送会社
cost_amount: 調達費用（円）
shipping_amount: 送料（円）
deduction_amount: 差し引く額（円、運営事業者が負担した再送の送料）
amount: 支払額（円、調達費用＋送料−差引）
bank_code: 振込先の金融機関コード（支払時点の写し）
bank_name: 振込先の金融機関名
branch_code: 振込先の支店コード
branch_name: 振込先の支店名
account_type: 預金種目
account_number: 口座番号
account_holder_kana: 口座名義（半角カナ）

[receipt_batch]
label: 印刷バッチの番号（例: B2026-0003）
until: この日までに発行期限が来る受領証明書を対象にした
status: 状態（作成中・保留・印刷可・発送済・失敗）
count: 通数
pages: ページ数
pdf_path: 印刷用PDFのパス（DOCUMENT_DIR 配下、このデータには含まない）
manifest: 封入の一覧（JSON）
error: 失敗したときの理由
unprintable: 印刷できない文字がある組の一覧（JSON）
mailed_on: 発送日

[supplier_consultation]
held_on: 実施日
kind: 形式（面談・電話・訪問・メール）
topic: 議題
outcome: 結果
next_step: 次の対応

[supplier_statement_line]
gift_code: 返礼品コード（作成時点の写し）
gift_name: 返礼品名（作成時点の写し）
count: その月に発送した数量
unit_cost: 1個あたりの調達費用（円、作成時点の写し）
unit_shipping: 1個あたりの送料（円、作成時点の写し）
disputed: 事業者が異議を出したか
dispute_comment: 異議の内容
disputed_at: 異議を出した日時
correction_note: 修正の内容
corrected_at: 修正した日時
kind: 明細の種類（発送・再送・調整）
carrier: 運送会社（なしは空欄）
resend_cause: 再送の原因
cost_amount: 調達費用の計（円）
shipping_amount: 送料の計（円）
billable: 市へ請求するか
payable: 事業者へ支払うか

[support_message]
author_kind: 書いた人の種別（問合せた人・職員・自動）
body: 本文
internal: 職員だけのメモか（問合せた人には見せない）

[city_advertisement]
paid_on: 市が支払った日
amount: 金額（円）
description: 内容
portal: ポータル
evidence_ref: 証憑の番号（請求書番号など）
evidence_name: 証憑のファイル名
evidence_type: 証憑のファイル形式（MIMEタイプ）
evidence_data: 証憑ファイルの中身（Base64）

[city_invoice_line]
position: 請求書の中での行の順番
section: 区分（base: 基本、gifts: 返礼品、mailing: 送付、ads: 広告、tax: 消費税）
label: 項目名
detail: 内訳
quantity: 数量
basis: 料率をかける元の金額（円）
unit_price: 単価（円）
cost: 返礼品代（円）
shipping: 送料（円）
amount: 金額（円）
ref_type: 元になった記録の種類
ref_id: 元になった記録の識別子

[delivery_problem]
kind: 種類（遅延・破損・再配達・返送・欠品）
expected_on: 新しいお届け予定日（遅延）
note: 内容
reported_at: 報告した日時
resolved_at: 解決した日時
resolution: 解決の内容

[receipt]
year: 受領日の年（番号の範囲）
seq: その年の通し番号
number: 受領証明書番号（例: 2026-000123）
received_on: 受領日（受領証明書に印字）
due_on: 発行期限（入金から14日、再発行は承認から）
issued_on: 発行日
status: 状態（発行待ち・発行済・発送済・返送）
needs_print: 次の印刷バッチに入れるか
print_kind: 印刷の理由（初回・再発行・再送付）
mailed_on: 発送日
reissued_on: 再発行した日
reissue_reason: 再発行の理由
reissue_count: 再発行の回数
pdf_path: 寄附者ごとのPDFのパス（DOCUMENT_DIR 配下、このデータには含まない）

[shipment]
carrier: 運送会社
tracking_no: 送り状番号
shipped_on: 発送日
confirmed_at: 発送を確定した日時
corrected_at: 職員が修正した日時
shipping_fee: この荷物の送料（円）
fee_note: 送料を修正した理由
fee_corrected_at: 送料を修正した日時

[support_attachment]
filename: 添付ファイル名
content_type: ファイルの形式（MIMEタイプ）
size: ファイルの大きさ（バイト）
stored_name: 保存ファイル名（UPLOAD_DIR 配下、このデータには含まない）

[address_check]
status: 状態（調査中・解決）
returned_on: 返送されてきた日
resolved_at: 正しい送付先が分かった日時
note: 備考

[receipt_batch_item]
position: バッチの中での順番
set_id: 封入する組の識別子
kind: 印刷の理由（初回・再発行・再送付）
first_page: 印刷用PDFの最初のページ
last_page: 印刷用PDFの最後のページ

[resend_shipment]
cause: 再送の原因（事業者・運営事業者・運送会社・寄附者・災害）
carrier: 運送会社
tracking_no: 送り状番号
shipped_on: 発送日
quantity: 数量
shipping_fee: 送料（円）
note: 備考
"""


def _parse(text: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    table = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            table = line[1:-1]
            out[table] = {}
            continue
        name, _, meaning = line.partition(":")
        out[table][name.strip()] = meaning.strip()
    return out


COLUMNS: dict[str, dict[str, str]] = _parse(_TEXT)

SHARED = {
    "id": "行番号（主キー）。ほかの表の *_id 列がこの番号で参照する",
    "created_at": "行を作った日時",
    "updated_at": "行を最後に更新した日時",
}


def describe(column: sa.Column[Any]) -> str:
    """The column's meaning for the README ("" when nobody wrote one yet)."""
    own = column.comment or column.doc
    if own:
        return str(own)
    table = COLUMNS.get(column.table.name, {})
    if column.name in table:
        return table[column.name]
    if column.name in SHARED:
        return SHARED[column.name]
    refs = [f"{fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys]
    if refs:
        return "、".join(refs) + " の行（参照）"
    return ""
