"""The programme itself: twelve Shobara suppliers, their gifts, and the demo logins.

The first step of `flask seed-demo` (see portal/demo/__init__.py); every later step gets the
`Context` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.accounts import accounts
from portal.accounts.models import Supplier, User
from portal.accounts.passwords import verify_password
from portal.accounts.suppliers import SupplierData, save_supplier
from portal.core.dates import today_jst
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.gifts.catalogue import GiftData, create_gift
from portal.gifts.listings import ListingData, listings_of, set_listing
from portal.gifts.models import Gift, GiftStatus, TemperatureBand

A, C, F = TemperatureBand.AMBIENT, TemperatureBand.CHILLED, TemperatureBand.FROZEN

# code, name, 代表者, address, phone
SUPPLIERS = [
    (
        "S001",
        "比婆牛ファーム庄原",
        "田中 一郎",
        "727-0013",
        "広島県庄原市西本町1-2-3",
        "0824-72-0001",
    ),
    (
        "S002",
        "比和ジャージー牧場",
        "佐藤 花子",
        "727-0301",
        "広島県庄原市比和町比和1234",
        "0824-85-0002",
    ),
    ("S003", "高野りんご園", "山本 健", "727-0402", "広島県庄原市高野町新市567", "0824-86-0003"),
    ("S004", "庄原ぶどう農園", "中村 恵", "727-0005", "広島県庄原市上原町890", "0824-72-0004"),
    ("S005", "庄原米穀店", "小林 誠", "727-0011", "広島県庄原市東本町2-4-6", "0824-72-0005"),
    (
        "S006",
        "西城やさい直売所組合",
        "加藤 由美",
        "729-5731",
        "広島県庄原市西城町大佐321",
        "0824-82-0006",
    ),
    ("S007", "東城和菓子本舗", "吉田 修", "729-5121", "広島県庄原市東城町東城111", "08477-2-0007"),
    ("S008", "口和そば工房", "山田 正", "728-0501", "広島県庄原市口和町向泉222", "0824-87-0008"),
    ("S009", "総領酒造", "松本 茂", "729-3702", "広島県庄原市総領町稲草333", "0824-88-0009"),
    ("S010", "庄原ジビエ工房", "井上 大輔", "727-0021", "広島県庄原市三日市町444", "0824-72-0010"),
    ("S011", "庄原トマト農園", "木村 彩", "727-0004", "広島県庄原市新庄町555", "0824-72-0011"),
    ("S012", "道後山木工房", "林 和夫", "729-5501", "広島県庄原市西城町八鳥666", "0824-82-0012"),
]


def _season(year: int, m1: int, d1: int, m2: int, d2: int) -> tuple[date, date]:
    return date(year, m1, d1), date(year, m2, d2)


def _gifts(year: int) -> list[dict[str, Any]]:
    grape = _season(year + 1, 8, 20, 10, 15)
    apple = _season(year, 10, 1, 12, 20)
    rice = _season(year, 10, 1, 12, 28)
    veg = _season(year + 1, 6, 1, 10, 31)
    tomato = _season(year + 1, 7, 1, 9, 30)
    rows = [
        # supplier, code, name, amount, cost, shipping, size, temp, season, limited
        (
            "S001",
            "HB-001",
            "比婆牛 サーロインステーキ 200g×2枚",
            30000,
            9000,
            1800,
            60,
            F,
            None,
            None,
        ),
        ("S001", "HB-002", "比婆牛 すき焼き用 ロース 500g", 40000, 12000, 1800, 60, F, None, None),
        ("S001", "HB-003", "比婆牛 焼肉セット 600g", 35000, 10500, 1800, 80, F, None, None),
        ("S001", "HB-004", "比婆牛 ハンバーグ 150g×6個", 15000, 4500, 1500, 60, F, None, None),
        ("S001", "HB-005", "比婆牛 切り落とし 1kg", 25000, 7600, 1800, 80, F, None, 200),
        ("S002", "HJ-001", "比和ジャージー牛乳 900ml×3本", 10000, 3000, 1300, 60, C, None, None),
        ("S002", "HJ-002", "ジャージー牛乳のプリン 6個入り", 10000, 3000, 1300, 60, C, None, None),
        (
            "S002",
            "HJ-003",
            "ジャージーアイスクリーム 12個セット",
            15000,
            4500,
            1500,
            80,
            F,
            None,
            None,
        ),
        (
            "S002",
            "HJ-004",
            "牧場のチーズ詰合せ（モッツァレラ・カチョカヴァロ）",
            12000,
            3600,
            1300,
            60,
            C,
            None,
            None,
        ),
        ("S002", "HJ-005", "のむヨーグルト 500ml×4本", 10000, 3100, 1300, 60, C, None, None),
        ("S003", "KR-001", "高野りんご 秀品 5kg", 15000, 4500, 1400, 100, A, apple, 300),
        ("S003", "KR-002", "高野りんご 家庭用 10kg", 20000, 6000, 1600, 120, A, apple, 150),
        ("S003", "KR-003", "高野りんごジュース 1L×6本", 12000, 3600, 1400, 80, A, None, None),
        ("S003", "KR-004", "りんごジャム 3種セット", 8000, 2400, 1100, 60, A, None, None),
        ("S004", "BD-001", "ナガノパープル 2房（約1.2kg）", 20000, 6000, 1400, 60, C, grape, 120),
        (
            "S004",
            "BD-002",
            "シャインマスカット 2房（約1.4kg）",
            25000,
            7500,
            1400,
            60,
            C,
            grape,
            120,
        ),
        ("S004", "BD-003", "ピオーネ 2kg", 18000, 5400, 1400, 60, C, grape, 100),
        ("S004", "BD-004", "ぶどう食べ比べ 3種セット", 30000, 9000, 1600, 80, C, grape, 60),
        ("S005", "KM-001", "庄原産コシヒカリ 5kg", 12000, 3600, 1300, 80, A, None, None),
        ("S005", "KM-002", "庄原産コシヒカリ 10kg", 22000, 6600, 1600, 100, A, None, None),
        ("S005", "KM-003", "新米 あきろまん 5kg", 11000, 3300, 1300, 80, A, rice, 400),
        ("S005", "KM-004", "お米 定期便 5kg×6回", 70000, 21000, 7800, 80, A, None, None),
        (
            "S005",
            "KM-005",
            "特別栽培米 こしひかり 2kg（精米）",
            8000,
            2400,
            1100,
            60,
            A,
            None,
            None,
        ),
        ("S006", "YS-001", "庄原の旬の野菜の詰合せ 8〜10品", 10000, 3000, 1400, 100, C, veg, None),
        ("S006", "YS-002", "西城の高原野菜セット 大", 15000, 4500, 1600, 120, C, veg, None),
        (
            "S006",
            "YS-003",
            "朝採れアスパラガス 1kg",
            12000,
            3600,
            1400,
            80,
            C,
            _season(year + 1, 4, 20, 6, 15),
            80,
        ),
        ("S006", "YS-004", "手作り味噌 1kg×2", 9000, 2700, 1100, 60, A, None, None),
        ("S007", "WG-001", "どら焼き 10個入り", 8000, 2400, 1100, 60, A, None, None),
        (
            "S007",
            "WG-002",
            "栗きんとん 8個入り",
            12000,
            3900,
            1100,
            60,
            C,
            _season(year, 9, 15, 11, 30),
            100,
        ),
        ("S007", "WG-003", "和菓子 詰合せ 15個", 15000, 4500, 1300, 80, A, None, None),
        (
            "S008",
            "SB-001",
            "口和の手打ちそば 4人前（つゆ付）",
            10000,
            3000,
            1300,
            60,
            C,
            None,
            None,
        ),
        ("S008", "SB-002", "そば粉 1kg×2袋", 9000, 2700, 1100, 60, A, None, None),
        ("S009", "SK-001", "純米吟醸 比婆の山 720ml×2本", 15000, 4500, 1400, 80, A, None, None),
        ("S009", "SK-002", "地酒 飲み比べ 300ml×5本", 18000, 5400, 1400, 80, A, None, None),
        ("S009", "SK-003", "甘酒 500ml×6本", 10000, 3000, 1300, 80, A, None, None),
        (
            "S010",
            "GB-001",
            "ぼたん鍋セット（猪肉 500g・味噌付）",
            20000,
            6000,
            1600,
            60,
            F,
            None,
            None,
        ),
        ("S010", "GB-002", "鹿肉ロースト 300g", 15000, 4800, 1500, 60, F, None, None),
        ("S011", "TM-001", "完熟トマト 4kg", 12000, 3600, 1400, 100, C, tomato, 200),
        ("S011", "TM-002", "トマトジュース 720ml×6本", 15000, 4500, 1400, 80, A, None, None),
        ("S011", "TM-003", "ミニトマト 食べ比べ 2kg", 10000, 3400, 1400, 80, C, tomato, 150),
        ("S012", "MK-001", "ひのきのまな板（大）", 20000, 6000, 1400, 80, A, None, 50),
        ("S012", "MK-002", "木のおもちゃ 積み木セット", 25000, 7500, 1400, 80, A, None, 40),
        ("S012", "MK-003", "ひのき箸 5膳セット", 8000, 2600, 900, 60, A, None, None),
        ("S001", "HB-006", "比婆牛 ローストビーフ 400g", 30000, 9900, 1800, 60, F, None, None),
    ]
    result = []
    for supplier, code, name, amount, cost, ship, size, temp, season, limited in rows:
        result.append(
            {
                "supplier": supplier,
                "code": code,
                "name": name,
                "required_amount": amount,
                "procurement_cost": cost,
                "shipping_fee": ship,
                "size": size,
                "temperature": temp,
                "ship_from": season[0] if season else None,
                "ship_until": season[1] if season else None,
                "accept_until": season[1] if season else None,
                "limited_quantity": limited,
                "description": f"庄原市の{name}をお届けします。",
                "status": GiftStatus.LISTED,
            }
        )
    return result


DEMO_ACCOUNTS = [
    ("admin@demo.example", Role.OPERATOR_ADMIN, "運用 管理者", None),
    ("operator@demo.example", Role.OPERATOR, "受託 太郎", None),
    ("city@demo.example", Role.CITY, "庄原 市子", None),
    ("supplier@demo.example", Role.SUPPLIER, "田中 一郎", "S001"),
]


@dataclass(frozen=True)
class Context:
    """What the later steps act with: the suppliers by code, the demo users by role."""

    suppliers: dict[str, Supplier]
    users: dict[str, User]


def _listings(session: Session, by_user: User, codes: set[str]) -> None:
    """Each gift's listing on the portals, numbered the way each portal numbers (さとふる's
    お礼品ID is a number, チョイス has an ID and a 管理コード, 楽天 a 商品管理番号), so demo
    portal files name their gifts by the portal's ID as the real ones do. Only the catalogue's
    own gifts: a gift a later step adds (an approved proposal) is not yet listed anywhere."""
    for gift in session.scalars(sa.select(Gift).where(Gift.code.in_(codes)).order_by(Gift.id)):
        if listings_of(session, gift):
            continue
        i = gift.id - 1
        slug = gift.code.lower().replace("-", "")
        for portal, data in (
            (Portal.SATOFULL, ListingData(f"{4809357 + i}", url=f"{SATOFULL_URL}{4809357 + i}")),
            (
                Portal.CHOICE,
                ListingData(
                    f"{5612030 + i}", url=f"{CHOICE_URL}{5612030 + i}", manage_code=gift.code
                ),
            ),
            (Portal.RAKUTEN, ListingData(f"shobara-{slug}", url=f"{RAKUTEN_URL}shobara-{slug}/")),
            (Portal.FURUNAVI, ListingData(f"{1730400 + i}")),
        ):
            set_listing(session, gift, portal, data, by_user=by_user)


SATOFULL_URL = "https://www.satofull.jp/products/detail.php?product_id="
CHOICE_URL = "https://www.furusato-tax.jp/product/detail/34210/"
RAKUTEN_URL = "https://item.rakuten.co.jp/f342106-shobara/"


def seed(session: Session, *, password: str) -> Context:
    users: dict[str, User] = {}

    def login(email: str, role: Role, name: str, supplier: Supplier | None) -> None:
        u = accounts.find_user(session, email)
        if u is None:
            u = accounts.create_user(
                session, email, role, name=name, password=password, supplier=supplier, demo=True
            )
        elif not u.password_hash or not verify_password(u.password_hash, password):
            accounts.set_password(u, password, demo=True)  # DEMO_PASSWORD changed
        users[role.value] = u

    for email, role, name, supplier_code in DEMO_ACCOUNTS:
        if supplier_code is None:  # staff first: an operator registers the suppliers
            login(email, role, name, None)
    suppliers: dict[str, Supplier] = {}
    for code, name, rep, postal, address, phone in SUPPLIERS:
        s = session.scalar(sa.select(Supplier).where(Supplier.code == code))
        if s is None:
            data = SupplierData(
                code=code,
                name=name,
                representative=rep,
                postal_code=postal,
                address=address,
                phone=phone,
                email=f"{code.lower()}@supplier.demo.example",
                bank_name="広島みどり信用金庫",
                bank_branch="庄原支店",
                bank_account_number=f"{int(code[1:]):07d}",
                bank_account_holder=name,
            )
            s = save_supplier(session, data, by_user=users[Role.OPERATOR_ADMIN.value])
        suppliers[code] = s
    for email, role, name, supplier_code in DEMO_ACCOUNTS:
        if supplier_code is not None:
            login(email, role, name, suppliers[supplier_code])
    session.flush()

    year = today_jst().year
    for row in _gifts(year):
        if session.scalar(sa.select(Gift.id).where(Gift.code == row["code"])) is not None:
            continue
        values = dict(row)
        values["supplier_id"] = suppliers[values.pop("supplier")].id
        create_gift(session, GiftData(**values), by_user=users["city"])  # the city sets 必要寄附額
    session.flush()
    _listings(session, users["operator"], {row["code"] for row in _gifts(year)})

    return Context(suppliers=suppliers, users=users)
