"""FAQ and the matching offered while a customer types.

Japanese has no spaces, so matching is by character bigrams (after NFKC and lower-casing):
a question scores the share of its keywords found in the text, plus bigram overlap with the
question. Good enough for a few dozen entries; no search engine to run.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.core.models import utcnow
from portal.support.models import Category, FaqEntry, FaqSearchMiss

MIN_QUERY = 2
MIN_MISS_LOG = 4
MISS_MAX = 60  # at most this long: the rest of a drafted message is not kept
MISS_KEEP_DAYS = 400  # the monthly analysis looks back a year; older misses are deleted

# What a customer types while the FAQ box searches is often the start of a real message.
# A miss keeps only what says what was looked for: addresses, numbers and the usual ways a
# name is written (〜様, 〜と申します, 〜です at the start) are masked.
_PERSONAL = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "［メール］"),
    (re.compile(r"https?://\S+"), "［URL］"),
    (re.compile(r"\d[\d\-()]{3,}\d|\d{2,}"), "［番号］"),
    (re.compile(r"[^\s。、,.!?！？]{1,12}(?=様|さま|と申します)"), "［氏名］"),
    (re.compile(r"^[^\s。、,.!?！？]{1,10}(?=です[。、\s])"), "［氏名］"),
)


def miss_terms(text: str) -> str:
    """The part of a missed search that is kept: first sentence, personal parts masked."""
    kept = []
    for sentence in re.split(r"(?<=[。!?！？\n])", unicodedata.normalize("NFKC", text or "")):
        t = sentence.strip()
        for pattern, mask in _PERSONAL:
            t = pattern.sub(mask, t)
        if t.startswith("［氏名］") and len(t) <= 12:
            continue  # a self-introduction says nothing about what was looked for
        if t:
            kept.append(t)
    return "".join(kept)[:MISS_MAX]


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower().replace(" ", "").replace("\u3000", "")


def bigrams(text: str) -> set[str]:
    t = normalise(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} if len(t) > 1 else {t} if t else set()


def score(entry: FaqEntry, query: str) -> float:
    q = normalise(query)
    kw_hits = sum(1 for k in entry.keywords.split() if k and normalise(k) in q)
    qb = bigrams(query)
    overlap = len(qb & bigrams(entry.question)) / len(qb) if qb else 0.0
    return kw_hits * 1.0 + overlap


def match(session: Session, query: str, limit: int = 3) -> list[FaqEntry]:
    if len(normalise(query)) < MIN_QUERY:
        return []
    entries = session.scalars(sa.select(FaqEntry).where(FaqEntry.active.is_(True))).all()
    scored = [(score(e, query), e.id, e) for e in entries]
    scored = [s for s in scored if s[0] >= 0.5]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [e for _, _, e in scored[:limit]]


def log_miss(session: Session, query: str, searcher: str) -> None:
    """Record a search that found nothing; while typing, the longer text replaces its prefix."""
    q = miss_terms(query)
    if len(normalise(q)) < MIN_MISS_LOG:
        return
    session.execute(
        sa.delete(FaqSearchMiss).where(FaqSearchMiss.at < utcnow() - timedelta(days=MISS_KEEP_DAYS))
    )
    last = session.scalar(
        sa.select(FaqSearchMiss)
        .where(
            FaqSearchMiss.searcher == searcher, FaqSearchMiss.at > utcnow() - timedelta(minutes=5)
        )
        .order_by(FaqSearchMiss.id.desc())
        .limit(1)
    )
    if last is not None and (q.startswith(last.query) or last.query.startswith(q)):
        last.query = max(q, last.query, key=len)
        last.at = utcnow()
    else:
        session.add(FaqSearchMiss(query=q, searcher=searcher))
    session.flush()


def save_entry(
    session: Session,
    entry_id: int | None,
    *,
    question: str,
    answer: str,
    keywords: str,
    category: Category | None,
    active: bool = True,
) -> FaqEntry:
    question, answer = question.strip(), answer.strip()
    if not question:
        raise DomainError(_l("質問を入力してください。"), field="question")
    if not answer:
        raise DomainError(_l("回答を入力してください。"), field="answer")
    dup = session.scalar(
        sa.select(FaqEntry.id).where(FaqEntry.question == question, FaqEntry.id != (entry_id or 0))
    )
    if dup is not None:
        raise DomainError(_l("同じ質問がすでにあります。"), field="question")
    entry = session.get(FaqEntry, entry_id) if entry_id else None
    if entry is None:
        entry = FaqEntry(question=question, answer=answer)
        session.add(entry)
    entry.question, entry.answer = question, answer
    entry.keywords = " ".join(normalise(k) for k in keywords.replace("、", " ").split())
    entry.category, entry.active = category, active
    session.flush()
    return entry


C = Category
# Seed: real questions a furusato-nozei desk gets (deadlines per 地方税法附則第7条 / 総務省 Q&A).
SEED: list[tuple[str, str, str, Category]] = [
    (
        "ワンストップ特例の申請書はいつまでに届けばよいですか？",
        "寄附した翌年の1月10日（必着）までに、申請書と本人確認書類の写しを庄原市へお送りください。"
        "期限を過ぎた場合は確定申告で寄附金控除を受けてください。",
        "ワンストップ 期限 締切 1月10日 申請書 いつまで",
        C.ONE_STOP,
    ),
    (
        "ワンストップ特例を使える条件は何ですか？",
        "確定申告の必要がない給与所得者等で、1年間の寄附先が5自治体以内の場合に使えます。"
        "医療費控除などで確定申告をする場合は、寄附金控除も確定申告に含めてください。",
        "ワンストップ 条件 5自治体 確定申告",
        C.ONE_STOP,
    ),
    (
        "ワンストップ特例の申請後に住所や氏名が変わりました。",
        "翌年1月10日までに「申告特例申請事項変更届出書」を庄原市へお送りください。",
        "住所変更 引っ越し 氏名変更 変更届 ワンストップ",
        C.ONE_STOP,
    ),
    (
        "寄附金受領証明書はいつ届きますか？",
        "ご入金を確認してから1か月ほどで郵送します。年末の寄附は1月中旬から下旬のお届けになります。",
        "受領証明書 いつ 届かない 証明書 届く",
        C.RECEIPT,
    ),
    (
        "寄附金受領証明書をなくしました。再発行できますか？",
        "再発行できます。寄附番号とお名前をお知らせください。確定申告は受領証明書がなくても"
        "寄附の記録で手続きできる場合があります。",
        "再発行 紛失 なくした 受領証明書",
        C.RECEIPT,
    ),
    (
        "返礼品の届け先の住所を変更したいです。",
        "発送前であれば変更できます。寄附番号と新しい住所をお知らせください。"
        "発送後の変更は配送業者への転送依頼をお願いします。",
        "住所変更 届け先 送り先 引っ越し 転送",
        C.DELIVERY,
    ),
    (
        "季節の返礼品（ぶどう・りんご・新米）はいつ届きますか？",
        "旬の返礼品は収穫に合わせて発送します。ぶどうは8月下旬〜10月、りんごは10月〜12月、"
        "新米は10月以降が目安です。天候により前後します。",
        "季節 旬 いつ届く ぶどう りんご 新米 発送時期",
        C.DELIVERY,
    ),
    (
        "返礼品が届きません。",
        "発送時期は返礼品ごとに異なります。お申込みから1か月を過ぎても届かない場合は、"
        "寄附番号をお知らせください。配送状況をお調べします。",
        "届かない 届いていない 配送状況 追跡",
        C.DELIVERY,
    ),
    (
        "不在で返礼品を受け取れませんでした。",
        "不在票に記載の配送業者へ再配達をご依頼ください。冷蔵・冷凍品は保管期限が短いのでお早めにお願いします。",
        "不在 再配達 受け取れない 不在票",
        C.DELIVERY,
    ),
    (
        "届いた返礼品が傷んでいました。",
        "申し訳ありません。到着日と状態が分かる写真を添えてお知らせください。事業者と確認して対応します。",
        "傷んで 破損 腐って 写真 交換",
        C.GIFT,
    ),
    (
        "寄附を取り消す（キャンセルする）ことはできますか？",
        "寄附は地方自治体への贈与のため、入金後の取消しは原則できません。入金前の申込みの取消しはご相談ください。",
        "キャンセル 取消 取り消し 返金",
        C.CANCEL,
    ),
    (
        "支払い方法は何が使えますか？",
        "各ポータルサイトのクレジットカード決済のほか、郵便振替、銀行振込、現金書留が使えます。",
        "支払い方法 クレジット 振込 郵便振替 払込",
        C.DONATION_METHOD,
    ),
    (
        "控除を受けられる寄附額の上限を知りたいです。",
        "収入や家族構成で変わります。総務省のふるさと納税ポータルサイトの目安表をご覧ください。"
        "自己負担2,000円を超える部分が控除の対象です。",
        "上限 控除額 限度額 いくらまで 2000円",
        C.DONATION_METHOD,
    ),
    (
        "のし（熨斗）を付けてもらえますか？",
        "返礼品ごとに対応が異なります。事業者に確認しますので、寄附番号とご希望をお知らせください。",
        "のし 熨斗 ギフト 贈答",
        C.GIFT,
    ),
    (
        "返礼品の提供事業者として登録したいです。",
        "庄原市内に事業所があり、地場産品基準を満たす品物が対象です。"
        "事業者登録の申請書をお送りしますので、会社名と連絡先をお知らせください。",
        "事業者登録 出品 登録したい 提供事業者 地場産品",
        C.SUPPLIER_REGISTRATION,
    ),
    (
        "事業者の振込口座を変更したいです。",
        "口座変更届に新しい口座の通帳の写しを添えてお送りください。翌月の精算分から反映します。",
        "口座変更 振込先 精算 支払",
        C.SUPPLIER_REGISTRATION,
    ),
    (
        "発送予定日までに出荷できそうにありません（事業者）。",
        "分かった時点でこの窓口にお知らせください。寄附者へのご連絡は窓口から行います。",
        "出荷遅れ 遅延 発送できない 在庫切れ 欠品",
        C.DELIVERY,
    ),
]


def seed(session: Session) -> int:
    """Add the seed entries that are missing (by question); returns how many were added."""
    added = 0
    for question, answer, keywords, category in SEED:
        exists = session.scalar(sa.select(FaqEntry.id).where(FaqEntry.question == question))
        if exists is None:
            save_entry(
                session,
                None,
                question=question,
                answer=answer,
                keywords=keywords,
                category=category,
            )
            added += 1
    return added


def delete_entry(session: Session, entry_id: int) -> None:
    """Delete an FAQ entry; a second click on the same button finds nothing and does nothing."""
    entry = session.get(FaqEntry, entry_id)
    if entry is not None:
        session.delete(entry)
        session.flush()
