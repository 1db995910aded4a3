"""The business-day calendar: a daily cut-off at a local time in the zone (Asia/Almaty).

Business day D is [cut-off ending D-1, cut-off ending D). The cut-off ending D is at local
time `cutoff` on calendar day D; a cut-off of 00:00 (or 24:00) means midnight at the end of D,
so with the default the business day is the local calendar day. With a cut-off of 18:00, a
sale at 19:00 on 10 June belongs to business day 11 June.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from settlement.batches.errors import InvalidCalendar

DAY = timedelta(days=1)
DEFAULT_ZONE = "Asia/Almaty"


@dataclass(frozen=True, slots=True)
class CutoffCalendar:
    """`zone` and `cutoff`, the local time of day (as an offset in (0, 24h]) closing each day."""

    zone: ZoneInfo
    cutoff: timedelta

    def __post_init__(self) -> None:
        if not timedelta(0) < self.cutoff <= DAY:
            raise InvalidCalendar(f"cut-off must be in (00:00, 24:00], got {self.cutoff}")

    @classmethod
    def create(cls, zone: str = DEFAULT_ZONE, cutoff: time | timedelta = time(0)) -> CutoffCalendar:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidCalendar(f"unknown time zone {zone!r}") from exc
        if isinstance(cutoff, time):
            cutoff = timedelta(hours=cutoff.hour, minutes=cutoff.minute,
                               seconds=cutoff.second, microseconds=cutoff.microsecond)
        return cls(tz, cutoff or DAY)

    def period_end(self, day: date) -> datetime:
        local_midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        return (local_midnight + self.cutoff).astimezone(UTC)

    def period(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) of business day `day`, in UTC."""
        return self.period_end(day - DAY), self.period_end(day)

    def business_day_of(self, instant: datetime) -> date:
        if instant.tzinfo is None:
            raise InvalidCalendar("instants must be timezone-aware")
        local = instant.astimezone(self.zone).replace(tzinfo=None)
        return (local - self.cutoff).date() + DAY

    def last_closed_day(self, now: datetime) -> date:
        """The latest business day whose cut-off is at or before `now`."""
        return self.business_day_of(now) - DAY

    @property
    def cutoff_interval(self) -> timedelta:
        """For SQL: business day = ((t AT TIME ZONE zone) - cutoff)::date + 1."""
        return self.cutoff
