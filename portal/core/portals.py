"""The donation portals (and the city's own channels) a donation comes through.

Below every domain: gifts allocate stock per portal, donations are keyed by portal, and
neither needs the other to name one.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Portal(enum.StrEnum):
    STANDARD = "standard"  # 標準CSV (the city's other channels)
    CHOICE = "choice"  # ふるさとチョイス
    RAKUTEN = "rakuten"  # 楽天ふるさと納税
    FURUNAVI = "furunavi"  # ふるなび
    JAL = "jal"  # JALふるさと納税
    SATOFULL = "satofull"  # さとふる
    DIRECT = "direct"  # 直接受付 (窓口・振込・現金書留)


# How a portal is named on screens and in documents (web pages, the monthly report).
PORTAL_LABELS = {
    Portal.STANDARD: _l("標準CSV"),
    Portal.CHOICE: _l("ふるさとチョイス"),
    Portal.RAKUTEN: _l("楽天ふるさと納税"),
    Portal.FURUNAVI: _l("ふるなび"),
    Portal.JAL: _l("JALふるさと納税"),
    Portal.SATOFULL: _l("さとふる"),
    Portal.DIRECT: _l("直接受付"),
}


def portals_granting_points(setting: str) -> list[Portal]:
    """The portals set as granting points to donors (PORTALS_GRANTING_POINTS, comma-separated
    values of Portal). From 1 October 2025 a city may not take donations through a portal
    that grants points (総務省告示の改正), so each one is a standing warning for staff."""
    wanted = {part.strip() for part in setting.split(",") if part.strip()}
    return [p for p in Portal if p.value in wanted]
