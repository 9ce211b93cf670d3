"""Radio profiles: link budget, delivery curve, airtime, access latency and congestion.

Two profiles ship: :data:`WAVE` (IEEE 802.11p / ETSI ITS-G5) and :data:`LTE_V2X` (3GPP PC5
sidelink, mode 4 semi-persistent scheduling). One :class:`~v2x.channel.model.ChannelModel`
models one radio technology on one channel.

Delivery of one frame on one link (all in dB / dBm):

- margin = received power - ``sensitivity_dbm``;
- success of a ``reference_bytes`` PSDU: logistic, 0.9 at margin 0 (the IEEE 802.11 §17.3.10.2
  definition of sensitivity: PER <= 10 % at that size), ``per_slope_db`` dB per e-fold:
  ``s_ref = 1 / (1 + exp(-margin / slope - ln 9))``;
- a frame of L bytes on air (payload + ``overhead_bytes``): ``s = s_ref ** (L / reference_bytes)``
  (independent bit errors: PER grows with length);
- congestion: times ``1 - collision_probability(cbr at the receiver)``.

Congestion: the channel busy ratio (CBR) is the fraction of the last ``cbr_window_us`` a
receiver heard frames at or above ``cs_threshold_dbm`` (ETSI TS 102 687 DCC measures it over
100 ms). Collision/hidden-terminal loss grows as ``collision_at_ref * (cbr / cbr_ref) **
collision_exponent`` (capped at ``collision_max``), anchored at the 5GAA field result that
C-V2X with congestion control kept PER < 10 % at CBR 0.3 (shared/design/v2x.md): 5 % at 0.3
leaves room for the link's own errors; it reaches 20 % at CBR 0.6 (where ETSI DCC holds the
channel) and 45 % at 0.9.

Latency of one frame [us] = ``latency_floor_us`` + airtime + U(0, ``access_uniform_us``) +
Exp(mean ``access_exp_mean_us / (1 - min(cbr, cbr_latency_cap))``) + propagation; the
exponential term is contention/queueing at the sender and grows like an M/M/1 wait with the
sender's CBR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

WINDOW_US = 100_000  # CBR window: ETSI TS 102 687 / 3GPP TS 36.214 both measure over 100 ms


@dataclass(frozen=True)
class RadioProfile:
    """One radio technology's parameters. Powers [dBm], gains [dBi], levels [dB], times [us].

    name: short id ("wave", "lte-v2x"); tx_power_dbm / rsu_tx_power_dbm: defaults for vehicle
    and roadside senders (a TxBatch carries the power actually used); tx_gain_dbi /
    rx_gain_dbi: antenna gain net of cable loss; bandwidth_mhz, noise_figure_db: thermal noise
    floor (diagnostic); sensitivity_dbm: level with 10 % PER at ``reference_bytes``;
    per_slope_db: logistic scale of the PER curve; data_rate_mbps, preamble_us,
    overhead_bytes: airtime of a frame; cs_threshold_dbm: level above which a frame counts
    toward the receiver's CBR; latency_floor_us, access_uniform_us, access_exp_mean_us,
    cbr_latency_cap: latency model; cbr_ref, collision_at_ref, collision_exponent,
    collision_max: congestion loss curve; cbr_window_us: CBR averaging window.
    """

    name: str
    tx_power_dbm: float
    rsu_tx_power_dbm: float
    tx_gain_dbi: float
    rx_gain_dbi: float
    bandwidth_mhz: float
    noise_figure_db: float
    sensitivity_dbm: float
    per_slope_db: float
    reference_bytes: int
    data_rate_mbps: float
    preamble_us: float
    overhead_bytes: int
    cs_threshold_dbm: float
    latency_floor_us: float
    access_uniform_us: float
    access_exp_mean_us: float
    cbr_latency_cap: float = 0.95
    cbr_ref: float = 0.3
    collision_at_ref: float = 0.05
    collision_exponent: float = 2.0
    collision_max: float = 0.95
    cbr_window_us: int = WINDOW_US

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "name" and not (isinstance(v, (int, float)) and math.isfinite(v)):
                raise ValueError(f"{f.name} must be a finite number, not {v!r}")
        if not self.name:
            raise ValueError("name must not be empty")
        for name in ("bandwidth_mhz", "per_slope_db", "data_rate_mbps", "cbr_ref",
                     "reference_bytes", "cbr_window_us"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        for name in ("noise_figure_db", "preamble_us", "overhead_bytes", "latency_floor_us",
                     "access_uniform_us", "access_exp_mean_us", "collision_exponent"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("collision_at_ref", "collision_max"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if not 0.0 <= self.cbr_latency_cap < 1.0:
            raise ValueError("cbr_latency_cap must be in [0, 1)")
        if self.sensitivity_dbm <= self.noise_floor_dbm - 20.0:
            raise ValueError("sensitivity_dbm is implausibly far below the noise floor")

    @property
    def noise_floor_dbm(self) -> float:
        """Thermal noise over the channel [dBm]: -174 + 10 log10(B [Hz]) + noise figure."""
        return -174.0 + 10.0 * math.log10(self.bandwidth_mhz * 1e6) + self.noise_figure_db

    def airtime_us(self, size_bytes):
        """Time on air [us] of frames of ``size_bytes`` (payload handed to the radio)."""
        size = np.asarray(size_bytes, dtype=np.float64)
        return self.preamble_us + 8.0 * (size + self.overhead_bytes) / self.data_rate_mbps

    def success_probability(self, rx_power_dbm, size_bytes):
        """Probability [0, 1] a frame at ``rx_power_dbm`` decodes, without congestion loss."""
        margin = np.asarray(rx_power_dbm, dtype=np.float64) - self.sensitivity_dbm
        x = -margin / self.per_slope_db - math.log(9.0)  # s_ref = 1 / (1 + e^x)
        lr = (np.asarray(size_bytes, dtype=np.float64) + self.overhead_bytes) / self.reference_bytes
        return np.exp(-lr * np.logaddexp(0.0, x))  # s_ref ** lr, without overflow

    def collision_probability(self, cbr):
        """Extra loss [0, collision_max] at a receiver whose channel busy ratio is ``cbr``."""
        c = np.clip(np.asarray(cbr, dtype=np.float64), 0.0, 1.0)
        p = self.collision_at_ref * (c / self.cbr_ref) ** self.collision_exponent
        return np.minimum(p, self.collision_max)

    def mean_access_us(self, cbr):
        """Mean sender-side access delay [us] (uniform + exponential parts) at ``cbr``."""
        c = np.minimum(np.clip(np.asarray(cbr, dtype=np.float64), 0.0, 1.0),
                       self.cbr_latency_cap)
        return 0.5 * self.access_uniform_us + self.access_exp_mean_us / (1.0 - c)


# IEEE 802.11p / ETSI ITS-G5, 10 MHz, 6 Mb/s (the ITS-G5 control channel default rate).
WAVE = RadioProfile(
    name="wave",
    tx_power_dbm=20.0,  # vehicle; CARLA's V2X sensor uses 21.5, EN 302 571 allows 33 EIRP
    rsu_tx_power_dbm=23.0,  # Korean RSUs may go to 2 W (33 dBm); 23 dBm is common practice
    tx_gain_dbi=0.0,  # ~3 dBi roof antenna minus ~3 dB cable and connector loss
    rx_gain_dbi=0.0,
    bandwidth_mhz=10.0,
    noise_figure_db=9.0,  # -95 dBm floor, as in Sepulcre et al., IEEE TVT 2021 (802.11p model)
    # -85 dBm: shared/design/v2x.md, and the sensing threshold of Sepulcre et al.; IEEE
    # 802.11-2016 Table 17-18 requires -85 dBm at 3 Mb/s and -82 at 6 Mb/s (10 MHz) as a
    # *minimum*; V2X chipsets do better, so -85 at 6 Mb/s is a middle value
    sensitivity_dbm=-85.0,
    per_slope_db=1.0,  # 90 % -> 10 % success over ~4.4 dB, as coded OFDM PER curves in fading
    reference_bytes=1000,  # IEEE sensitivity is specified for a 1000-octet PSDU
    data_rate_mbps=6.0,
    preamble_us=40.0,  # 32 us preamble + 8 us SIGNAL at 10 MHz (IEEE 802.11-2016 §17)
    overhead_bytes=38,  # QoS data MAC header 26 + LLC/SNAP 8 + FCS 4
    cs_threshold_dbm=-85.0,  # ETSI TS 102 687 CBR threshold; Sepulcre et al. Psen
    # ~1-5 ms at low load: driver/stack hand-off floor + AIFS/backoff (EN 302 663 EDCA:
    # slot 13 us, CWmin 15) + queueing that grows with CBR
    latency_floor_us=1000.0,
    access_uniform_us=200.0,
    access_exp_mean_us=500.0,
)

# 3GPP LTE-V2X PC5 mode 4 (Rel-14), 20 MHz at 5855-5875 MHz as in Korea (shared/design/v2x.md).
# PHY numbers follow Gonzalez-Martin et al., "Analytical Models of the Performance of C-V2X
# Mode 4 Vehicular Communications", IEEE TVT 68(2), 2019 (190-byte packets, QPSK r~0.5 in 12
# resource blocks + 2 for the SCI, noise figure 9 dB, sensing threshold -90.5 dBm).
LTE_V2X = RadioProfile(
    name="lte-v2x",
    tx_power_dbm=23.0,  # UE power class 3 (3GPP TS 36.101)
    rsu_tx_power_dbm=23.0,
    tx_gain_dbi=0.0,
    rx_gain_dbi=0.0,
    bandwidth_mhz=20.0,
    noise_figure_db=9.0,
    # a message only uses its own sub-channels, so the noise in its ~2.5 MHz is ~9 dB below
    # the 20 MHz floor; -90.5 dBm is the published sensing threshold below which a packet is
    # lost, i.e. the effective sensitivity (5-6 dB better than 802.11p, as 5GAA reports)
    sensitivity_dbm=-90.5,
    per_slope_db=0.7,  # turbo code + HARQ retransmission: steeper BLER curve than 802.11p
    reference_bytes=190,  # the reference packet of the cited BLER curves
    # airtime as the share of the channel a packet occupies: 12 of 100 RBs carry 1520 bits in
    # a 1 ms subframe -> 12.7 Mb/s equivalent; the 2 SCI RBs -> 20 us equivalent
    data_rate_mbps=12.7,
    preamble_us=20.0,
    overhead_bytes=8,  # PDCP + RLC + MAC headers, approximately
    cs_threshold_dbm=-90.5,  # S-RSSI threshold for CBR (configurable in 3GPP TS 36.331)
    # SPS: a packet waits for its reserved subframe inside the selection window [T1, T2]
    # (3GPP TS 36.213 §14.1.1.6: T1 <= 4 ms, 20 <= T2 <= 100 ms). T1 = 4 ms, T2 = 50 ms gives
    # 4-50 ms, mean 27 ms, inside the 10-50 ms typically reported and the 100 ms BSM budget.
    latency_floor_us=4000.0,
    access_uniform_us=46_000.0,
    access_exp_mean_us=0.0,  # no contention: congestion shows up as collisions, not delay
)

PROFILES = {p.name: p for p in (WAVE, LTE_V2X)}


def profile(name: str) -> RadioProfile:
    """The shipped profile called ``name`` ("wave" or "lte-v2x")."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, not {name!r}") from None


class CongestionTracker:
    """Channel busy ratio per station over a sliding window, one tracker per channel.

    The air broker owns it and passes it to every
    :meth:`~v2x.channel.model.ChannelModel.links` call, which records the airtime each
    receiver heard (at or above the profile's ``cs_threshold_dbm``) and reads the CBR back.
    Airtime is summed into ``bucket_us`` buckets; the CBR at ``time_us`` is the airtime of the
    ``window_us / bucket_us`` buckets up to and including the one holding ``time_us``, over
    ``window_us``, capped at 1 (overlapping frames can add up to more than the window).
    Deterministic: the state is a function of the sequence of :meth:`record` calls, whose
    times must not decrease.
    """

    def __init__(self, window_us: int = WINDOW_US, bucket_us: int = 1000):
        if bucket_us <= 0 or window_us <= 0 or window_us % bucket_us:
            raise ValueError("window_us must be a positive multiple of bucket_us")
        self.window_us = int(window_us)
        self.bucket_us = int(bucket_us)
        self._nb = self.window_us // self.bucket_us
        self._col: dict[int, int] = {}
        self._busy = np.zeros((self._nb, 16))  # [us] per bucket row, per station column
        self._held = np.full(self._nb, -1, np.int64)  # absolute bucket each row holds
        self._last_us = -1

    def _columns(self, ids: np.ndarray, add: bool) -> np.ndarray:
        cols = np.empty(len(ids), np.int64)
        for k, sid in enumerate(ids.tolist()):
            c = self._col.get(sid, -1)
            if c < 0 and add:
                c = self._col[sid] = len(self._col)
                if c >= self._busy.shape[1]:
                    self._busy = np.concatenate([self._busy, np.zeros_like(self._busy)], 1)
            cols[k] = c
        return cols

    def record(self, time_us: int, ids, airtime_us) -> None:
        """Add ``airtime_us`` (m,) float64 [us] heard by stations ``ids`` (m,) at ``time_us``."""
        time_us = int(time_us)
        if time_us < self._last_us:
            raise ValueError(f"time_us went back from {self._last_us} to {time_us}")
        self._last_us = time_us
        b = time_us // self.bucket_us
        row = b % self._nb
        if self._held[row] != b:
            self._busy[row] = 0.0
            self._held[row] = b
        cols = self._columns(np.asarray(ids, np.int64), add=True)
        np.add.at(self._busy[row], cols, np.asarray(airtime_us, np.float64))

    def cbr(self, time_us: int, ids) -> np.ndarray:
        """CBR [0, 1] of stations ``ids`` (m,) at ``time_us``: (m,) float64, 0 if unknown."""
        b = int(time_us) // self.bucket_us
        rows = (self._held > b - self._nb) & (self._held <= b)
        cols = self._columns(np.asarray(ids, np.int64), add=False)
        busy = self._busy[rows].sum(axis=0)
        out = np.where(cols >= 0, busy[np.maximum(cols, 0)], 0.0) / self.window_us
        return np.minimum(out, 1.0)
