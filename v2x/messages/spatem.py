"""SPATEM (ETSI TS 103 301 v1.3.1, ``protocolVersion`` 2, carrying the ISO TS 19091 SPAT) as
frozen SI-unit dataclasses.

Signal timing uses ISO 19091 TimeMark: tenths of a second within the current UTC hour. Here
a time mark is seconds into the hour [s] at 0.1 s resolution: 0..3599.9, 3600.0 marks a leap
second, and the wire's "unknown" (36001) is ``None``. Use :func:`time_to_change_s` for the
seconds remaining, across the hour boundary. :class:`v2x.clock.ItsClock` gives "now"
(``tenths_into_hour(t_us) / 10``) and MinuteOfTheYear/DSecond stamps.

Ranges are checked by :func:`quantise` and the encoder (MessageRangeError with the dotted
field path); nothing is clipped or wrapped. ``decode_spatem(encode_spatem(m)) == quantise(m)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

from v2x.errors import MessageRangeError

HOUR_S = 3600.0


class MovementPhaseState(IntEnum):
    """Signal state of a movement (ISO TS 19091 MovementPhaseState)."""

    UNAVAILABLE = 0
    DARK = 1
    STOP_THEN_PROCEED = 2  # flashing red
    STOP_AND_REMAIN = 3  # red
    PRE_MOVEMENT = 4  # red + yellow (not used in Korea)
    PERMISSIVE_MOVEMENT_ALLOWED = 5  # green, yield to conflicts (e.g. unprotected left)
    PROTECTED_MOVEMENT_ALLOWED = 6  # green (or green arrow)
    PERMISSIVE_CLEARANCE = 7  # yellow after a permissive green
    PROTECTED_CLEARANCE = 8  # yellow
    CAUTION_CONFLICTING_TRAFFIC = 9  # flashing yellow


class IntersectionStatus(IntFlag):
    """IntersectionStatusObject: bit k of the ASN.1 BIT STRING is ``1 << k`` (16 bits)."""

    MANUAL_CONTROL_IS_ENABLED = 1 << 0
    STOP_TIME_IS_ACTIVATED = 1 << 1
    FAILURE_FLASH = 1 << 2
    PREEMPT_IS_ACTIVE = 1 << 3
    SIGNAL_PRIORITY_IS_ACTIVE = 1 << 4
    FIXED_TIME_OPERATION = 1 << 5
    TRAFFIC_DEPENDENT_OPERATION = 1 << 6
    STANDBY_OPERATION = 1 << 7
    FAILURE_MODE = 1 << 8
    OFF = 1 << 9
    RECENT_MAP_MESSAGE_UPDATE = 1 << 10
    RECENT_CHANGE_IN_MAP_ASSIGNED_LANES_IDS_USED = 1 << 11
    NO_VALID_MAP_IS_AVAILABLE_AT_THIS_TIME = 1 << 12
    NO_VALID_SPAT_IS_AVAILABLE_AT_THIS_TIME = 1 << 13


@dataclass(frozen=True)
class IntersectionRef:
    """IntersectionReferenceID: ``id`` 0..65535, unique within the optional road regulator
    ``region`` 0..65535 (``None`` = absent). Shared by SPATEM and MAPEM."""

    id: int
    region: int | None = None


@dataclass(frozen=True)
class TimeChange:
    """TimeChangeDetails; every time is a time mark [s into the UTC hour], 0.1 s, ``None`` =
    unknown (for the optional ones: absent). ``min_end_s`` is always on the wire.
    ``confidence`` is the TimeIntervalConfidence code 0..15 of ``likely_s`` (ISO 19091
    table, 0 = 21 %, 15 = 100 %)."""

    min_end_s: float | None
    start_s: float | None = None
    max_end_s: float | None = None
    likely_s: float | None = None
    confidence: int | None = None
    next_s: float | None = None


@dataclass(frozen=True)
class MovementEvent:
    """One phase of a movement: its state and (optionally) when it ends."""

    state: MovementPhaseState
    timing: TimeChange | None = None


@dataclass(frozen=True)
class MovementState:
    """The current (and possibly next) phases of one signal group (1..255); 1..16 events."""

    signal_group: int
    events: tuple[MovementEvent, ...]


@dataclass(frozen=True)
class IntersectionState:
    """IntersectionState: ``revision`` 0..127 (MsgCount), ``status`` IntersectionStatus flags,
    ``moy`` MinuteOfTheYear 0..527039 [min], ``timestamp_ms`` DSecond 0..65534 [ms within the
    minute] (both optional), ``states`` 1..255 movement states."""

    ref: IntersectionRef
    revision: int
    states: tuple[MovementState, ...]
    status: IntersectionStatus = IntersectionStatus(0)
    moy: int | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class SPATEM:
    """A SPATEM: ItsPduHeader ``station_id`` (0..2**32-1, the sending RSU), SPAT
    ``intersections`` (1..32) and the optional SPAT ``moy`` timestamp [min of the year]."""

    station_id: int
    intersections: tuple[IntersectionState, ...]
    moy: int | None = None


def time_to_change_s(time_mark_s: float, now_s_into_hour: float) -> float:
    """Seconds from ``now_s_into_hour`` until ``time_mark_s`` (both [s into the UTC hour]).

    Time marks only say where in an hour something happens, so the answer is taken as the
    nearest such instant: in [-1800, 1800) s. Negative means the mark has passed (e.g. a
    change that was due a moment ago). ``time_mark_s`` 3600.0 is the leap second 59:60.
    """
    for name, v in (("time_mark_s", time_mark_s), ("now_s_into_hour", now_s_into_hour)):
        if v is None or not 0.0 <= v <= HOUR_S + 1.0:
            raise MessageRangeError(name, v, "0..3601 s into the hour")
    return (time_mark_s - now_s_into_hour + HOUR_S / 2) % HOUR_S - HOUR_S / 2


def quantise(msg: SPATEM) -> SPATEM:
    """What :func:`~v2x.codec.is_asn1.decode_spatem` returns after encoding ``msg``."""
    # one SI <-> wire mapping (in the codec) serves both, so they cannot disagree
    from v2x.codec.is_asn1 import spatem_from_value, spatem_to_value

    return spatem_from_value(spatem_to_value(msg))
