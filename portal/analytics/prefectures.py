"""The 47 prefectures (JIS X 0401 order), in Japanese and English, and reading one off an address.

A donor's prefecture is the start of the address they gave (every portal export writes the
address from the prefecture on; the direct entry form does too). An address that does not start
with a prefecture's name (a blank one, or one written from the city) counts as 不明.
"""

from __future__ import annotations

PREFECTURES: tuple[tuple[str, str], ...] = (
    ("北海道", "Hokkaido"), ("青森県", "Aomori"), ("岩手県", "Iwate"), ("宮城県", "Miyagi"),
    ("秋田県", "Akita"), ("山形県", "Yamagata"), ("福島県", "Fukushima"), ("茨城県", "Ibaraki"),
    ("栃木県", "Tochigi"), ("群馬県", "Gunma"), ("埼玉県", "Saitama"), ("千葉県", "Chiba"),
    ("東京都", "Tokyo"), ("神奈川県", "Kanagawa"), ("新潟県", "Niigata"), ("富山県", "Toyama"),
    ("石川県", "Ishikawa"), ("福井県", "Fukui"), ("山梨県", "Yamanashi"), ("長野県", "Nagano"),
    ("岐阜県", "Gifu"), ("静岡県", "Shizuoka"), ("愛知県", "Aichi"), ("三重県", "Mie"),
    ("滋賀県", "Shiga"), ("京都府", "Kyoto"), ("大阪府", "Osaka"), ("兵庫県", "Hyogo"),
    ("奈良県", "Nara"), ("和歌山県", "Wakayama"), ("鳥取県", "Tottori"), ("島根県", "Shimane"),
    ("岡山県", "Okayama"), ("広島県", "Hiroshima"), ("山口県", "Yamaguchi"),
    ("徳島県", "Tokushima"), ("香川県", "Kagawa"), ("愛媛県", "Ehime"), ("高知県", "Kochi"),
    ("福岡県", "Fukuoka"), ("佐賀県", "Saga"), ("長崎県", "Nagasaki"), ("熊本県", "Kumamoto"),
    ("大分県", "Oita"), ("宮崎県", "Miyazaki"), ("鹿児島県", "Kagoshima"), ("沖縄県", "Okinawa"),
)  # fmt: skip
UNKNOWN = ""  # the key of addresses without a prefecture (shown as 不明 / Unknown)

_NAMES = {ja for ja, _en in PREFECTURES}
ENGLISH = dict(PREFECTURES)
PREFIX_LENGTH = 4  # the longest name (神奈川県, 和歌山県, 鹿児島県); the rest are 3


def prefecture_of(prefix: str) -> str:
    """The prefecture an address (or its first PREFIX_LENGTH characters) starts with."""
    text = prefix.strip().replace("\u3000", "")
    for length in (4, 3):
        if text[:length] in _NAMES:
            return text[:length]
    return UNKNOWN
