"""ITS time: simulation time [us since run start] -> the timestamps ETSI messages carry.

ETSI TimestampIts counts milliseconds since 2004-01-01T00:00:00 in TAI (TS 102 894-2
v1.3.1 onwards); IEEE 1609.2 Time64 counts microseconds from the same epoch. A run is
anchored at a UTC instant (``start_unix_us``), so every station in one run agrees on time and
a replay reproduces the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

ITS_EPOCH_UNIX_S = 1_072_915_200  # 2004-01-01T00:00:00Z
TAI_MINUS_UTC_SINCE_2004_S = 5  # leap seconds inserted between 2004 and 2017 (none since)


@dataclass(frozen=True)
class ItsClock:
    """Maps simulation time ``t_us`` (int, microseconds since run start) to ETSI times.

    ``start_unix_us``: UTC instant of ``t_us == 0`` [us since 1970].
    """

    start_unix_us: int

    def __post_init__(self):
        if self.start_unix_us < ITS_EPOCH_UNIX_S * 1_000_000:
            raise ValueError("a run cannot start before the ITS epoch (2004-01-01)")

    def its_us(self, t_us: int) -> int:
        """IEEE 1609.2 Time64: TAI microseconds since 2004-01-01."""
        return (self.start_unix_us + int(t_us) - ITS_EPOCH_UNIX_S * 1_000_000
                + TAI_MINUS_UTC_SINCE_2004_S * 1_000_000)

    def its_ms(self, t_us: int) -> int:
        """TimestampIts: TAI milliseconds since 2004-01-01."""
        return self.its_us(t_us) // 1000

    def sim_us(self, its_ms: int) -> int:
        """Inverse of :meth:`its_ms` (to the millisecond)."""
        return (int(its_ms) * 1000 - TAI_MINUS_UTC_SINCE_2004_S * 1_000_000
                + ITS_EPOCH_UNIX_S * 1_000_000 - self.start_unix_us)

    def generation_delta_time(self, t_us: int) -> int:
        """CAM/CPM generationDeltaTime: TimestampIts mod 65536 [ms]."""
        return self.its_ms(t_us) % 65536

    def utc_us(self, t_us: int) -> int:
        """UTC microseconds since 1970 (what SPaT/MAP MinuteOfTheYear and TimeMark use)."""
        return self.start_unix_us + int(t_us)

    def minute_of_year(self, t_us: int) -> tuple[int, int]:
        """(MinuteOfTheYear, DSecond [ms within the minute]) in UTC, as SPATEM/MAPEM carry."""
        import datetime as _dt

        utc = self.utc_us(t_us)
        now = _dt.datetime.fromtimestamp(utc / 1e6, tz=_dt.timezone.utc)
        year0 = _dt.datetime(now.year, 1, 1, tzinfo=_dt.timezone.utc)
        us_into_year = utc - int(year0.timestamp()) * 1_000_000
        return us_into_year // 60_000_000, (us_into_year % 60_000_000) // 1000

    def time_mark(self, t_us: int) -> int:
        """ISO 19091 TimeMark: tenths of a second within the current UTC hour (0..35999)."""
        return (self.utc_us(t_us) % 3_600_000_000) // 100_000

    def tenths_into_hour(self, t_us: int) -> float:
        """Exact tenths of a second into the UTC hour (for time-to-change arithmetic)."""
        return (self.utc_us(t_us) % 3_600_000_000) / 100_000.0
