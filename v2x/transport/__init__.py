"""ZeroMQ transport: stations hand frames to the "air" broker, which applies the radio
channel per receiver and delivers each frame in simulation time (see :mod:`v2x.transport.air`)."""

from v2x.transport.air import AirBroker, ChannelFn, IdealChannel
from v2x.transport.client import Delivery, StationClient
from v2x.transport.wire import RX_DTYPE, TX_DTYPE

__all__ = ["AirBroker", "ChannelFn", "Delivery", "IdealChannel", "RX_DTYPE", "StationClient",
           "TX_DTYPE"]
