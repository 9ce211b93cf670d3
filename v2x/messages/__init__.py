"""ETSI ITS messages as frozen dataclasses in SI units (CAM, DENM, CPM, SPATEM, MAPEM)."""

from v2x.messages.cam import CAM
from v2x.messages.common import BTP_PORT, ITS_AID, MessageId, StationType
from v2x.messages.cpm import CPM
from v2x.messages.denm import DENM
from v2x.messages.mapem import MAPEM
from v2x.messages.spatem import SPATEM

__all__ = ["BTP_PORT", "CAM", "CPM", "DENM", "ITS_AID", "MAPEM", "MessageId", "SPATEM",
           "StationType"]
