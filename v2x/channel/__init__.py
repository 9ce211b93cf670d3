"""The modelled V2X radio channel: 3GPP TR 37.885 path loss (urban / highway; LOS, NLOSv,
NLOS from map and vehicle geometry), shadowing, a per-profile delivery curve, latency and
congestion (channel busy ratio), for WAVE (IEEE 802.11p / ITS-G5) and LTE-V2X (PC5 mode 4).

The air broker builds one :class:`ChannelModel` per radio technology, owns one
:class:`CongestionTracker` per channel, and calls :meth:`ChannelModel.links` once per batch of
frames.
"""

from v2x.channel.model import (
    LOS,
    NLOS,
    NLOSV,
    OUT_OF_RANGE,
    SELF,
    Blockers,
    ChannelConfig,
    ChannelModel,
    LinkResult,
    RxSet,
    TxBatch,
)
from v2x.channel.profiles import (
    LTE_V2X,
    PROFILES,
    WAVE,
    CongestionTracker,
    RadioProfile,
    profile,
)

__all__ = [
    "LOS", "NLOS", "NLOSV", "OUT_OF_RANGE", "SELF", "Blockers", "ChannelConfig",
    "ChannelModel", "CongestionTracker", "LTE_V2X", "LinkResult", "PROFILES", "RadioProfile",
    "RxSet", "TxBatch", "WAVE", "profile",
]
