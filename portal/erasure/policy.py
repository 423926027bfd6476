"""The retention policy as cut-off dates: what is older than them is erased.

Without `--before` the settings decide (portal/config.py):

- a donation, and everything that belongs to it, is kept until RETENTION_DONOR_YEARS after
  the end of its 年度 (April–March, by 寄附日): on 2026-12-02, with 7 years, donations of the
  年度 2018 and before (applied before 2019-04-01) go;
- a support conversation's text and an incident's record follow the same rule, counted from
  the conversation's last message and from when the incident was noticed;
- chat attachments go RETENTION_ATTACHMENT_DAYS after their conversation closed;
- the files an import left under UPLOAD_DIR/imports go RETENTION_IMPORT_FILE_DAYS after
  they were written, and with them what quotes them: an import job's result (its first
  rejected rows) and a supplier's shipment-file preview.

With `--before DATE` every cut-off is DATE (00:00 JST): everything older goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from portal.core.clock import JST


@dataclass(frozen=True)
class Cutoffs:
    donations: date  # donation.applied_on before this
    records: datetime  # conversations' last message, incidents, tokens, searches (UTC)
    attachments: datetime  # a closed conversation's attachments: closed before this
    import_files: datetime  # files under UPLOAD_DIR/imports written before this
    today: date  # the city's day the run happens (JST)
    before: date | None = None  # the --before date; None: the policy

    @property
    def mode(self) -> str:
        return f"before={self.before.isoformat()}" if self.before else "policy"


def fiscal_year(day: date) -> int:
    """The 年度 a day belongs to (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def jst_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JST).astimezone(UTC)


def from_policy(config: Mapping[str, object], now: datetime) -> Cutoffs:
    today = now.astimezone(JST).date()
    years = int(str(config.get("RETENTION_DONOR_YEARS", 7)))
    attachment_days = int(str(config.get("RETENTION_ATTACHMENT_DAYS", 365)))
    import_days = int(str(config.get("RETENTION_IMPORT_FILE_DAYS", 90)))
    # Kept through the end of 年度 (FY + years): erasable are the 年度 before FY(today) - years.
    first_kept = date(fiscal_year(today) - years, 4, 1)
    return Cutoffs(
        donations=first_kept,
        records=jst_midnight(first_kept),
        attachments=now - timedelta(days=attachment_days),
        import_files=now - timedelta(days=import_days),
        today=today,
    )


def before(day: date, now: datetime) -> Cutoffs:
    instant = jst_midnight(day)
    return Cutoffs(
        donations=day,
        records=instant,
        attachments=instant,
        import_files=instant,
        today=now.astimezone(JST).date(),
        before=day,
    )
