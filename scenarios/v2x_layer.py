"""Every V2X station of a run, the air between them, and the ego's verified inbox.

Per simulation step (:meth:`V2XLayer.step`):

1. vehicle OBUs decide who sends a CAM (EN 302 637-2 rules) and which DENMs are due;
   roadside units send SPATEM (10 Hz), MAPEM (1 Hz) and CPM from their detector (10 Hz);
2. every message is UPER-encoded, signed (IEEE 1609.2, a pseudonym per station from the
   run's testbed CA), framed (GeoNetworking SHB + BTP-B) and sent to the ZeroMQ air broker,
   and logged for ``kav v2x pcap``;
3. the broker applies the radio channel (TR 37.885 path loss, blockage by buildings and
   vehicles, shadowing, the profile's latency and loss, congestion, scenario degradation)
   and returns what reached the ego's OBU by now;
4. the ego's OBU parses, verifies (signature, certificate, freshness, replay), decodes and
   hands the messages to :class:`planners.v2x_inbox.V2XInbox`; rejects are counted by
   reason and never reach the planner.

Everything random is seeded from the run's RngTree, and signing is deterministic
(RFC 6979), so a replayed run sends the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import zmq

from planners.v2x_inbox import Hazard, SpatView, V2XInbox
from scenarios.spec import ScenarioSpec
from scenarios.v2x_map import intersections, spat_state
from sim.actors import ActorKind, is_vehicle
from sim.sensors.objects import ObjectSensorConfig, roadside_objects
from sim.traffic.signals import SignalPlan
from v2x.channel.model import ChannelConfig, ChannelModel
from v2x.clock import ItsClock
from v2x.codec import decode, encode
from v2x.codec.cam_fast import encode_many
from v2x.errors import DecodeError
from v2x.framelog import FrameLogWriter
from v2x.framing import GnPacket, PositionVector, build_gn, gn_address_for, parse_gn
from v2x.geo import LocalFrame, yaw_to_heading
from v2x.messages.cam import CAM, ExteriorLights, LowFrequencyContainer, VehicleRole
from v2x.messages.common import BTP_PORT, ITS_AID, MESSAGE_FOR_PORT, MessageId, StationType
from v2x.messages.cpm import ObjectClassKind, PersonSubclass, VehicleSubclass
from v2x.messages.denm import (
    DENM,
    ActionId,
    Cause,
    ManagementContainer,
    SituationContainer,
    Termination,
)
from v2x.messages.mapem import MAPEM
from v2x.messages.spatem import SPATEM
from v2x.security import Signer, TestbedCA, Verifier
from v2x.stations.cam_rules import CamTimers, cam_due
from v2x.stations.cpm_build import build_cpm
from v2x.stations.denm_rules import DenmTriggers
from v2x.transport import AirBroker, StationClient
from v2x.transport.radio import ModelledChannel
from v2x.transport.wire import BOX_DTYPE, POS_DTYPE, TX_DTYPE

RSU_ID_BASE = 0x7F00_0000
OBU_ANTENNA_M, RSU_ANTENNA_M = 1.5, 5.0
KST = dt.timezone(dt.timedelta(hours=9))
RUN_DATE = dt.date(2026, 3, 2)  # every run happens on this (Monday) date: replays agree
SPAT_PERIOD_US, MAP_PERIOD_US, CPM_PERIOD_US = 100_000, 1_000_000, 100_000
RSU_CAM_PERIOD_US = 500_000  # RSU CAMs at a fixed 2 Hz (as CARLA's V2X sensor sends them)
DENM_REPEAT_US = 1_000_000
RSU_MESSAGES = frozenset({"CAM", "DENM", "CPM", "SPATEM", "MAPEM"})
RSU_JUNCTION_RANGE_M = 80.0  # an RSU serves the signalised junctions this close
BLOCKER_HEIGHT = {ActorKind.CAR: 1.6, ActorKind.BUS: 3.0, ActorKind.TRUCK: 3.0,
                  ActorKind.MOTORCYCLE: 1.4, ActorKind.CYCLIST: 1.7, ActorKind.PEDESTRIAN: 1.7}
STATION_TYPE = {ActorKind.CAR: StationType.PASSENGER_CAR, ActorKind.BUS: StationType.BUS,
                ActorKind.TRUCK: StationType.HEAVY_TRUCK,
                ActorKind.MOTORCYCLE: StationType.MOTORCYCLE,
                ActorKind.CYCLIST: StationType.CYCLIST,
                ActorKind.PEDESTRIAN: StationType.PEDESTRIAN}
CPM_CLASS = {ActorKind.CAR: (ObjectClassKind.VEHICLE, VehicleSubclass.PASSENGER_CAR),
             ActorKind.BUS: (ObjectClassKind.VEHICLE, VehicleSubclass.BUS),
             ActorKind.TRUCK: (ObjectClassKind.VEHICLE, VehicleSubclass.HEAVY_TRUCK),
             ActorKind.MOTORCYCLE: (ObjectClassKind.VEHICLE, VehicleSubclass.MOTORCYCLE),
             ActorKind.CYCLIST: (ObjectClassKind.PERSON, PersonSubclass.CYCLIST),
             ActorKind.PEDESTRIAN: (ObjectClassKind.PERSON, PersonSubclass.PEDESTRIAN)}
VEHICLE_PSIDS = [ITS_AID[m] for m in (MessageId.CAM, MessageId.DENM, MessageId.CPM)]
RSU_PSIDS = [ITS_AID[m] for m in (MessageId.CAM, MessageId.DENM, MessageId.CPM,
                                  MessageId.SPATEM, MessageId.MAPEM)]
PSID_FOR_PORT = {BTP_PORT[m]: ITS_AID[m] for m in BTP_PORT}


def run_start_unix_us(clock_s: float) -> int:
    """UTC [us since 1970] of simulation time 0: :data:`RUN_DATE` at the scenario's local
    (KST) clock time."""
    t0 = dt.datetime.combine(RUN_DATE, dt.time(0, 0), tzinfo=KST)
    return int(round(t0.timestamp() * 1e6 + clock_s * 1e6))


def _low_frequency(kind: ActorKind) -> LowFrequencyContainer:
    """The CAM low-frequency container: the vehicle's role (buses are public transport)."""
    role = VehicleRole.PUBLIC_TRANSPORT if kind == ActorKind.BUS else VehicleRole.DEFAULT
    return LowFrequencyContainer(vehicle_role=role, exterior_lights=ExteriorLights(0))


def map_anchor(spec: ScenarioSpec, net) -> LocalFrame:
    """The map frame's WGS-84 anchor: the scenario's ``geo`` or the map's geoReference."""
    if spec.geo is not None:
        return LocalFrame(spec.geo.lat, spec.geo.lon)
    m = {k: float(v) for k, v in re.findall(r"\+(lat_0|lon_0)=([-0-9.eE+]+)",
                                            net.geo_reference or "")}
    if "lat_0" in m and "lon_0" in m:
        return LocalFrame(m["lat_0"], m["lon_0"])
    return LocalFrame(37.5665, 126.9780)  # Seoul City Hall: maps without a geoReference


def environment(net) -> str:
    """TR 37.885 scenario of the map: "highway" for motorway maps (every driving lane 80 km/h
    or faster), else "urban"."""
    limits = net.points.speed_limit[np.isfinite(net.points.speed_limit)]
    return "highway" if len(limits) and float(np.min(limits)) >= 80 / 3.6 - 1e-6 else "urban"


@dataclass
class _Rsu:
    station_id: int
    name: str
    x: float
    y: float
    messages: tuple[str, ...]
    range_m: float
    junctions: list
    signer: Signer
    revision: int = 0
    mapem: bytes | None = None
    hazard_since: dict = field(default_factory=dict)  # hazard row -> first warned [us]


@dataclass
class V2XStats:
    """What happened on the air in a run (counts)."""

    sent: Counter = field(default_factory=Counter)  # by message type
    bytes_sent: int = 0
    delivered_to_ego: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)  # by reason
    spat_steps: int = 0
    stale_spat_used: int = 0
    max_spat_age_s: float = 0.0
    first_hazard_us: int | None = None  # [us] when the ego first held a DENM hazard

    def to_json(self) -> dict:
        return {"sent": dict(self.sent), "bytes_sent": self.bytes_sent,
                "delivered_to_ego": self.delivered_to_ego, "accepted": self.accepted,
                "rejected": dict(self.rejected), "spat_steps": self.spat_steps,
                "stale_spat_used": self.stale_spat_used,
                "max_spat_age_s": round(self.max_spat_age_s, 3),
                "first_hazard_s": (None if self.first_hazard_us is None
                                   else self.first_hazard_us / 1e6)}


class V2XLayer:
    """The run's V2X: see the module docstring. ``state0``: the initial world state (which
    rows are vehicles, their ids); ``hazard_rows``: rows that are stationary hazards (parked
    in a lane, broken down); ``frame_log``: where to log every transmitted frame."""

    def __init__(self, spec: ScenarioSpec, net, plan: SignalPlan, state0, tree, *,
                 ego_row: int, hazard_rows=(), frame_log: str | None = None):
        v = spec.v2x
        self.spec, self.net, self.plan, self.ego_row = spec, net, plan, ego_row
        self.frame = map_anchor(spec, net)
        self.clock = ItsClock(run_start_unix_us(spec.clock_s))
        seed = int(tree.child("v2x").generator(0).integers(0, 1 << 62))
        deg = v.degradation
        cfg = ChannelConfig(profile=v.radio, environment=environment(net))
        degraded, window = None, (0, None)
        if deg is not None:
            degraded = ChannelModel(replace(cfg, pdr=deg.pdr, extra_latency_us=int(round(
                deg.extra_latency_ms * 1000))), net.structures)
            window = (int(round(deg.start_s * 1e6)),
                      None if deg.end_s is None else int(round(deg.end_s * 1e6)))
        self.channel = ModelledChannel(ChannelModel(cfg, net.structures), degraded, window)
        self.ctx = zmq.Context()
        self.broker = AirBroker(self.ctx, f"inproc://kav-air-{uuid.uuid4().hex}", self.channel,
                                seed=seed)
        self.ego_id = self.station_id(state0, ego_row)
        self.client = StationClient(self.ctx, self.broker.endpoint, [self.ego_id])
        start_s = self.clock.start_unix_us // 1_000_000 - 3600
        self.ca = TestbedCA(seed=seed.to_bytes(8, "little"))
        self._cert_window = (start_s, 7 * 86400)
        self.verifier = Verifier((self.ca.certificate,), max_age_us=1_000_000)
        self._signers: dict[int, Signer] = {}
        kinds = state0.kind
        self.obu = np.asarray(is_vehicle(kinds), bool) & (
            np.ones(state0.n_actors, bool) if v.obu_vehicles else np.zeros(state0.n_actors, bool))
        self.obu[ego_row] = True
        # GN addresses carry the sender's station type
        self._stype = {self.station_id(state0, r): int(STATION_TYPE[ActorKind(int(k))])
                       for r, k in enumerate(kinds.tolist())}
        self.hazard = np.zeros(state0.n_actors, bool)
        self.hazard[list(hazard_rows)] = True
        self.cam_timers = CamTimers.new(state0.n_actors)
        self.denm = DenmTriggers()
        self.rsus = [self._rsu(k, r) for k, r in enumerate(v.rsus)]
        self.detector = ObjectSensorConfig(range_m=80.0, pos_sigma_m=0.15, vel_sigma_mps=0.2,
                                           yaw_sigma_rad=0.05)
        self.sensor_rng = tree.child("v2x-rsu-detector")
        self.inbox = V2XInbox(net, self.frame, self.clock)
        self.stats = V2XStats()
        self.last_frames: list[tuple[int, int, bytes]] = []
        self.log = (FrameLogWriter(frame_log, start_unix_us=self.clock.start_unix_us)
                    if frame_log else None)

    # -- set-up ---------------------------------------------------------------------------

    @staticmethod
    def station_id(state, row: int) -> int:
        return int(state.actor_id[row]) + 1

    def _signer(self, station: int, psids) -> Signer:
        s = self._signers.get(station)
        if s is None:
            cert, key = self.ca.issue_pseudonym(psids=psids, start_unix_s=self._cert_window[0],
                                                duration_s=self._cert_window[1])
            s = self._signers[station] = Signer(cert, key)
        return s

    def _rsu(self, k: int, r) -> _Rsu:
        unsupported = sorted(set(r.messages) - RSU_MESSAGES)
        if unsupported:
            raise ValueError(f"v2x.rsus[{k}] ({r.name}): kav's RSUs do not send "
                             f"{', '.join(unsupported)} yet (they send "
                             f"{', '.join(sorted(RSU_MESSAGES))})")
        sid = RSU_ID_BASE + k
        x, y = float(r.position.x), float(r.position.y)
        juncs = (intersections(self.net, self.plan, self.frame, (x, y), RSU_JUNCTION_RANGE_M)
                 if {"SPATEM", "MAPEM"} & set(r.messages) else [])
        return _Rsu(sid, r.name, x, y, tuple(r.messages), float(r.range_m), juncs,
                    self._signer(sid, RSU_PSIDS))

    # -- per step -------------------------------------------------------------------------

    def step(self, time_us: int, state) -> tuple:
        """Transmit what is due at ``time_us`` [us], run the air, and return the ego's
        inbox items for this step."""
        t = int(time_us)
        out: list[tuple[int, float, float, float, float, int, object]] = []
        self._vehicle_messages(t, state, out)
        for rsu in self.rsus:
            self._rsu_messages(t, state, rsu, out)
        frames = []
        for sid, x, y, _z, _power, mtype, payload in out:
            frames.append(self._frame(t, sid, x, y, payload, mtype))
            self.stats.sent[MessageId(mtype).name] += 1
        # (station id, tx time [us], frame bytes) of this step, for the run recording
        self.last_frames = [(int(o[0]), t, f) for o, f in zip(out, frames)]
        if frames:
            senders = np.array([o[0] for o in out], np.int64)
            xs = np.array([o[1] for o in out])
            ys = np.array([o[2] for o in out])
            zs = np.array([o[3] for o in out])
            pw = np.array([o[4] for o in out])
            self.client.send(t, senders, xs, ys, zs, pw, frames)
            self.stats.bytes_sent += sum(len(f) for f in frames)
            if self.log is not None:
                rec = np.zeros(len(frames), TX_DTYPE)
                rec["tx_time_us"], rec["sender"] = t, senders
                rec["x"], rec["y"], rec["z"], rec["power_dbm"] = xs, ys, zs, pw
                rec["size"] = [len(f) for f in frames]
                self.log.write(rec, frames)
        self.client.world(t, self._boxes(state))
        e = self.ego_row
        pos = np.array([(self.ego_id, float(state.x[e]), float(state.y[e]), OBU_ANTENNA_M)],
                       POS_DTYPE)
        self.client.sync(t, pos)
        self.broker.pump()
        got = self.client.receive(t)[self.ego_id]
        msgs = self._receive(t, state, got)
        items = self.inbox.update(t, msgs)
        for it in items:
            if isinstance(it, SpatView):
                self.stats.spat_steps += 1
                self.stats.max_spat_age_s = max(self.stats.max_spat_age_s, it.age_s)
                self.stats.stale_spat_used += int(it.age_s > 1.0)
            elif isinstance(it, Hazard) and self.stats.first_hazard_us is None:
                self.stats.first_hazard_us = t
        return items

    def _vehicle_messages(self, t, state, out) -> None:
        heading = yaw_to_heading(state.yaw)
        active = self.obu & state.valid
        send, lf, self.cam_timers = cam_due(self.cam_timers, t, state.x, state.y, heading,
                                            state.speed, active)
        rows = np.flatnonzero(send)
        if len(rows):
            lat, lon = self.frame.to_latlon(state.x[rows], state.y[rows])
            gdt = self.clock.generation_delta_time(t)
            cams = [CAM(station_id=self.station_id(state, r), generation_delta_time_ms=gdt,
                        station_type=STATION_TYPE[ActorKind(int(state.kind[r]))],
                        latitude_deg=round(float(la), 7), longitude_deg=round(float(lo), 7),
                        heading_rad=float(heading[r]) % (2 * np.pi),
                        speed_mps=float(min(max(state.speed[r], 0.0), 163.8)),
                        longitudinal_acceleration_mps2=float(np.clip(state.accel[r], -16, 16)),
                        vehicle_length_m=float(min(state.length[r], 102.2)),
                        vehicle_width_m=float(min(state.width[r], 6.1)),
                        low_frequency=_low_frequency(ActorKind(int(state.kind[r])))
                        if lf[r] else None)
                    for r, la, lo in zip(rows.tolist(), np.atleast_1d(lat), np.atleast_1d(lon))]
            for r, payload in zip(rows.tolist(), encode_many(cams)):
                out.append((self.station_id(state, r), float(state.x[r]), float(state.y[r]),
                            OBU_ANTENNA_M, 20.0, MessageId.CAM, payload))
        for ev in self.denm.step(t, state.speed, state.accel, self.hazard, active):
            r = ev.row
            lat, lon = self.frame.to_latlon(float(state.x[r]), float(state.y[r]))
            sid = self.station_id(state, r)
            m = DENM(station_id=sid, management=ManagementContainer(
                action_id=ActionId(sid, ev.sequence_number),
                detection_time_ms=self.clock.its_ms(ev.detection_us),
                reference_time_ms=self.clock.its_ms(t), event_lat_deg=round(lat, 7),
                event_lon_deg=round(lon, 7),
                station_type=STATION_TYPE[ActorKind(int(state.kind[r]))],
                termination=Termination.CANCELLATION if ev.terminate else None,
                validity_duration_s=2 if ev.cause != int(Cause.STATIONARY_VEHICLE) else 10),
                situation=SituationContainer(cause=ev.cause, sub_cause=ev.sub_cause,
                                             information_quality=3))
            out.append((sid, float(state.x[r]), float(state.y[r]), OBU_ANTENNA_M, 20.0,
                        MessageId.DENM, encode(m)))

    def _rsu_messages(self, t, state, rsu: _Rsu, out) -> None:
        pos = (rsu.station_id, rsu.x, rsu.y, RSU_ANTENNA_M, 23.0)
        if "CAM" in rsu.messages and t % RSU_CAM_PERIOD_US == 0:
            lat, lon = self.frame.to_latlon(rsu.x, rsu.y)
            m = CAM(station_id=rsu.station_id,
                    generation_delta_time_ms=self.clock.generation_delta_time(t),
                    station_type=StationType.ROAD_SIDE_UNIT, latitude_deg=round(lat, 7),
                    longitude_deg=round(lon, 7))
            out.append((*pos, MessageId.CAM, encode(m)))
        if "DENM" in rsu.messages and t % DENM_REPEAT_US == 0:
            self._rsu_hazards(t, state, rsu, pos, out)
        if "SPATEM" in rsu.messages and rsu.junctions and t % SPAT_PERIOD_US == 0:
            rsu.revision += 1
            moy, _ = self.clock.minute_of_year(t)
            m = SPATEM(station_id=rsu.station_id, intersections=tuple(
                spat_state(j, self.plan, self.clock, t, rsu.revision) for j in rsu.junctions))
            out.append((*pos, MessageId.SPATEM, encode(m)))
        if "MAPEM" in rsu.messages and rsu.junctions and t % MAP_PERIOD_US == 0:
            if rsu.mapem is None:  # the map does not change during a run: encode it once
                rsu.mapem = encode(MAPEM(station_id=rsu.station_id, msg_issue_revision=1,
                                         intersections=tuple(j.geometry for j in rsu.junctions)))
            out.append((*pos, MessageId.MAPEM, rsu.mapem))
        if "CPM" in rsu.messages and t % CPM_PERIOD_US == 0:
            k = t // CPM_PERIOD_US
            cfg = self.detector
            objs = roadside_objects(state, self.net.structures, rsu.x, rsu.y, 0.0, cfg,
                                    self.sensor_rng.child(rsu.name).generator(k))
            m = build_cpm(station_id=rsu.station_id,
                          generation_delta_time_ms=self.clock.generation_delta_time(t),
                          frame=self.frame, origin_x=rsu.x, origin_y=rsu.y,
                          object_id=objs.actor_id, x=objs.x, y=objs.y, vx=objs.vx, vy=objs.vy,
                          yaw=objs.yaw, length=objs.length, width=objs.width,
                          classes=[CPM_CLASS[ActorKind(int(c))] for c in objs.kind],
                          pos_sigma_m=cfg.pos_sigma_m + 0.1,
                          rsu_intersection=rsu.junctions[0].junction if rsu.junctions else None,
                          sensor_range_m=cfg.range_m)
            out.append((*pos, MessageId.CPM, encode(m)))

    def _rsu_hazards(self, t, state, rsu: _Rsu, pos, out) -> None:
        """The road operator's warnings: every stationary hazard (a vehicle broken down or
        parked in a traffic lane) within the RSU's range, as a stationaryVehicle DENM
        repeated every second (one action id per hazard for the whole run)."""
        rows = np.flatnonzero(self.hazard & state.valid)
        near = rows[np.hypot(state.x[rows] - rsu.x, state.y[rows] - rsu.y) <= rsu.range_m]
        for r in near.tolist():
            lat, lon = self.frame.to_latlon(float(state.x[r]), float(state.y[r]))
            first = rsu.hazard_since.setdefault(r, t)
            seq = list(rsu.hazard_since).index(r) % 65536  # stable per hazard
            m = DENM(station_id=rsu.station_id, management=ManagementContainer(
                action_id=ActionId(rsu.station_id, seq),
                detection_time_ms=self.clock.its_ms(first), reference_time_ms=self.clock.its_ms(t),
                event_lat_deg=round(lat, 7), event_lon_deg=round(lon, 7),
                station_type=StationType.ROAD_SIDE_UNIT, validity_duration_s=10),
                situation=SituationContainer(cause=int(Cause.STATIONARY_VEHICLE),
                                             information_quality=4))
            out.append((*pos, MessageId.DENM, encode(m)))

    def _frame(self, t, sid, x, y, payload, mtype) -> bytes:
        lat, lon = self.frame.to_latlon(x, y)
        rsu = sid >= RSU_ID_BASE
        stype = StationType.ROAD_SIDE_UNIT if rsu else self._stype.get(sid, 0)
        pv = PositionVector(gn_address=gn_address_for(sid, int(stype)),
                            timestamp_ms=self.clock.its_ms(t) % (1 << 32),
                            lat_deg=lat, lon_deg=lon)
        pkt = GnPacket(source=pv, btp_port=BTP_PORT[MessageId(mtype)], payload=payload,
                       mobile=not rsu)
        signer = self._signer(sid, RSU_PSIDS if rsu else VEHICLE_PSIDS)
        gen = self.clock.its_us(t)
        return build_gn(pkt, secure=lambda inner: signer.sign(
            inner, psid=ITS_AID[MessageId(mtype)], generation_time_us=gen, lat_deg=lat,
            lon_deg=lon))

    def _boxes(self, state) -> np.ndarray:
        rows = np.flatnonzero(state.valid & np.asarray(is_vehicle(state.kind), bool))
        b = np.zeros(len(rows), BOX_DTYPE)
        b["id"] = state.actor_id[rows]
        b["x"], b["y"], b["yaw"] = state.x[rows], state.y[rows], state.yaw[rows]
        b["length"], b["width"] = state.length[rows], state.width[rows]
        b["height"] = [BLOCKER_HEIGHT[ActorKind(int(k))] for k in state.kind[rows]]
        return b

    def _receive(self, t, state, delivery) -> list:
        """Parse, verify and decode the ego's deliveries; rejects are counted by reason."""
        now = self.clock.its_us(t)
        e = self.ego_row
        rlat, rlon = self.frame.to_latlon(float(state.x[e]), float(state.y[e]))
        msgs = []
        for rec, frame in zip(delivery.records, delivery.frames):
            self.stats.delivered_to_ego += 1
            verified = {}

            def unsecure(secured, _v=verified):
                v = self.verifier.verify(secured, now_us=now, receiver_lat_deg=rlat,
                                         receiver_lon_deg=rlon)
                _v["psid"] = v.psid
                return v.inner

            try:
                pkt = parse_gn(frame, unsecure=unsecure)
                if PSID_FOR_PORT.get(pkt.btp_port) != verified.get("psid"):
                    raise DecodeError("not-permitted", "ITS-AID does not match the BTP port")
                if pkt.btp_port not in MESSAGE_FOR_PORT:
                    raise DecodeError("unsupported", f"BTP port {pkt.btp_port}")
                msgs.append((int(rec["arrival_us"]), decode(pkt.payload, btp_port=pkt.btp_port)))
                self.stats.accepted += 1
            except DecodeError as err:
                self.stats.rejected[err.reason] += 1
        return msgs

    def close(self) -> None:
        """Publish the frame log and release the sockets."""
        if self.log is not None:
            self.log.close()
        self.client.close()
        self.broker.close()
        self.ctx.term()

    def abort(self) -> None:
        if self.log is not None:
            self.log.abort()
        self.client.close()
        self.broker.close()
        self.ctx.term()
