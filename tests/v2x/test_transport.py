"""The air broker over ZeroMQ: delivery in simulation time, ordering, robustness."""

import threading

import numpy as np
import pytest
import zmq

from v2x.transport import AirBroker, IdealChannel, StationClient
from v2x.transport import wire as W


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def _pos(*rows):
    return np.array(list(rows), W.POS_DTYPE)


def _tick(broker, client, t, pos, frames=(), senders=(), xy=None):
    if frames:
        xy = xy if xy is not None else np.zeros((len(frames), 2))
        client.send(t, np.asarray(senders), xy[:, 0], xy[:, 1], np.full(len(frames), 1.5),
                    np.full(len(frames), 20.0), list(frames))
    client.sync(t, pos)
    broker.pump(timeout_ms=2000)
    return client.receive(t, timeout_ms=2000)


def test_frames_arrive_after_their_latency_never_earlier(ctx):
    broker = AirBroker(ctx, "inproc://air-latency", IdealChannel(range_m=300, latency_us=120_000))
    client = StationClient(ctx, broker.endpoint, [1, 2])
    pos = _pos((1, 0, 0, 1.5), (2, 50, 0, 1.5))
    got = {}
    for k in range(6):
        t = k * 50_000
        frames = [b"f%d" % k] if k == 0 else ()
        d = _tick(broker, client, t, pos, frames, senders=[1])
        got[t] = d
    # sent at 0 with 120 ms latency: not at 50 or 100 ms, at the 150 ms tick
    arrivals = {t: d[2].frames for t, d in got.items()}
    assert arrivals[0] == arrivals[50_000] == arrivals[100_000] == []
    assert arrivals[150_000] == [b"f0"]
    assert got[150_000][2].records["arrival_us"].tolist() == [120_000]
    assert all(not d[1].frames for d in got.values())  # the sender never hears itself
    broker.close(), client.close()


def test_out_of_range_receiver_gets_nothing_and_order_is_deterministic(ctx):
    broker = AirBroker(ctx, "inproc://air-order", IdealChannel(range_m=100, latency_us=1))
    client = StationClient(ctx, broker.endpoint, [1, 2, 3])
    pos = _pos((1, 0, 0, 1.5), (2, 50, 0, 1.5), (3, 500, 0, 1.5))
    _tick(broker, client, 0, pos, [b"a", b"b", b"c"], senders=[2, 1, 2],
          xy=np.array([[50.0, 0], [0, 0], [50, 0]]))
    d = _tick(broker, client, 50_000, pos)
    assert d[3].frames == []
    assert d[1].frames == [b"a", b"c"]  # from 2, in sequence order
    assert d[2].frames == [b"b"]
    assert broker.stats.deliveries == 3
    broker.close(), client.close()


def test_malformed_client_messages_are_counted_not_fatal(ctx):
    broker = AirBroker(ctx, "inproc://air-bad", IdealChannel())
    client = StationClient(ctx, broker.endpoint, [1])
    # a TX header that is not whole records, and sizes that do not add up
    client.sock.send_multipart([W.TX, b"\x00" * 7, b""])
    rec = np.zeros(1, W.TX_DTYPE)
    rec["size"] = 10
    client.sock.send_multipart([W.TX, rec.tobytes(), b"short"])
    client.sock.send_multipart([b"nonsense", b"", b""])
    client.sock.send_multipart([b"only-two", b""])
    d = _tick(broker, client, 0, _pos((1, 0, 0, 1.5)))
    assert d[1].frames == []
    assert broker.stats.rejected["malformed"] >= 3
    broker.close(), client.close()


def test_stale_sync_rejected(ctx):
    broker = AirBroker(ctx, "inproc://air-stale", IdealChannel())
    client = StationClient(ctx, broker.endpoint, [1])
    _tick(broker, client, 100_000, _pos((1, 0, 0, 1.5)))
    client.sync(50_000, _pos((1, 0, 0, 1.5)))
    with pytest.raises(TimeoutError):
        broker.pump(timeout_ms=100)
    assert broker.stats.rejected["stale-sync"] == 1
    broker.close(), client.close()


def test_tcp_stations_in_two_clients_with_a_serving_broker(ctx):
    """Two clients (as two processes would be) over tcp on a random loopback port; the
    broker serves in its own thread and waits for both before each tick."""
    broker = AirBroker(ctx, "tcp://127.0.0.1:*", IdealChannel(range_m=300, latency_us=5_000),
                       clients=2, seed=7)
    th = threading.Thread(target=broker.serve, kwargs={"idle_timeout_ms": 5000}, daemon=True)
    th.start()
    a = StationClient(ctx, broker.endpoint, [1])
    b = StationClient(ctx, broker.endpoint, [2])
    received = []
    for k in range(4):
        t = k * 100_000
        a.send(t, np.array([1]), np.zeros(1), np.zeros(1), np.ones(1), np.ones(1),
               [b"from-a-%d" % k])
        a.sync(t, _pos((1, 0, 0, 1.5)))
        b.sync(t, _pos((2, 30, 0, 1.5)))
        da = a.receive(t, timeout_ms=3000)
        db = b.receive(t, timeout_ms=3000)
        assert da[1].frames == []
        received += db[2].frames
    a.stop()
    th.join(timeout=5)
    assert received == [b"from-a-0", b"from-a-1", b"from-a-2"]
    assert not th.is_alive()
    broker.close(), a.close(), b.close()


def test_client_rejects_malformed_delivery(ctx):
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    client = StationClient(ctx, f"tcp://127.0.0.1:{port}", [5])
    ident, *_ = router.recv_multipart()  # hello
    router.send_multipart([ident, W.rx_topic(5), b"\x01\x02", b""])
    good = np.array([(0, 0, 0)], W.DELIVERY_DTYPE).tobytes()
    router.send_multipart([ident, W.rx_topic(5), good, b""])
    d = client.receive(0, timeout_ms=2000)
    assert d[5].frames == [] and client.rejected == 1
    with pytest.raises(TimeoutError):
        client.receive(50_000, timeout_ms=50)
    router.close(), client.close()
