"""The modelled radio as the air broker's channel: :class:`v2x.channel.ChannelModel` behind
the broker's :class:`~v2x.transport.air.ChannelFn` interface, with the congestion tracker
the broker owns for the whole run."""

from __future__ import annotations

import numpy as np

from v2x.channel.model import Blockers, ChannelModel, RxSet, TxBatch
from v2x.channel.profiles import CongestionTracker


class ModelledChannel:
    """``model``: the channel model (profile, environment, map structures); ``degraded``:
    the same with the scenario's link degradation, used from ``window[0]`` to ``window[1]``
    [us] (None: to the end). One congestion tracker serves both: it is the same air."""

    def __init__(self, model: ChannelModel, degraded: ChannelModel | None = None,
                 window: tuple[int, int | None] = (0, None)):
        self.model, self.degraded, self.window = model, degraded, window
        self.congestion = CongestionTracker()
        self.last_cbr = np.zeros(0)

    def __call__(self, time_us, tx, rx, boxes, rng):
        ids = rx["id"].astype(np.int64)
        pos = {int(s): i for i, s in enumerate(ids.tolist())}
        sender = np.array([pos.get(int(s), -1) for s in tx["sender"].tolist()], np.int64)
        batch = TxBatch(sender=sender, x=tx["x"].astype(np.float64),
                        y=tx["y"].astype(np.float64), antenna_h=tx["z"].astype(np.float64),
                        tx_power_dbm=tx["power_dbm"].astype(np.float64),
                        size_bytes=tx["size"].astype(np.int64))
        rxs = RxSet(ids=ids, x=rx["x"].astype(np.float64), y=rx["y"].astype(np.float64),
                    antenna_h=rx["z"].astype(np.float64))
        blockers = None
        if len(boxes):
            blockers = Blockers(x=boxes["x"].astype(np.float64), y=boxes["y"].astype(np.float64),
                                yaw=boxes["yaw"].astype(np.float64),
                                length=boxes["length"].astype(np.float64),
                                width=boxes["width"].astype(np.float64),
                                height=boxes["height"].astype(np.float64),
                                valid=np.ones(len(boxes), bool))
        t = int(time_us)
        start, end = self.window
        model = self.model
        if self.degraded is not None and t >= start and (end is None or t < end):
            model = self.degraded
        res = model.links(t, batch, rxs, blockers, rng, self.congestion)
        self.last_cbr = res.cbr
        return res.delivered, res.latency_us, res.rx_power_dbm.astype(np.float32)
