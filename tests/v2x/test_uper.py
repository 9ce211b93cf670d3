"""UPER primitives: known bit patterns (X.691), round trips, and reader errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from v2x.codec.uper import BitReader, BitWriter
from v2x.errors import DecodeError


def bits_of(w: BitWriter) -> str:
    """The writer's content as a '0'/'1' string (without the octet padding)."""
    n = w.bit_length
    return format(int.from_bytes(w.to_bytes(), "big") >> (len(w.to_bytes()) * 8 - n), f"0{n}b") \
        if n else ""


def writer(fn) -> BitWriter:
    w = BitWriter()
    fn(w)
    return w


@pytest.mark.parametrize(("lo", "hi", "width"), [
    (0, 0, 0), (0, 1, 1), (0, 2, 2), (0, 7, 3), (0, 8, 4), (0, 255, 8), (1, 127, 7),
    (0, 3601, 12), (-1500, 1500, 12), (-132768, 132767, 19), (-16383, 16383, 15),
    (0, 2**32 - 1, 32), (-900000000, 900000001, 31), (-1800000000, 1800000001, 32),
])
def test_constrained_int_width(lo, hi, width):
    for v in {lo, hi, (lo + hi) // 2}:
        w = writer(lambda w, v=v: w.constrained_int(v, lo, hi))
        assert w.bit_length == width
        assert BitReader(w.to_bytes()).constrained_int(lo, hi) == v


def test_constrained_int_bits_are_offset_from_lower_bound():
    assert bits_of(writer(lambda w: w.constrained_int(5, 0, 7))) == "101"
    assert bits_of(writer(lambda w: w.constrained_int(-1500, -1500, 1500))) == "0" * 12
    assert bits_of(writer(lambda w: w.constrained_int(3, 1, 127))) == "0000010"
    with pytest.raises(ValueError):
        BitWriter().constrained_int(8, 0, 7)


def test_extensible_constrained_int():
    assert bits_of(writer(lambda w: w.constrained_int(3, 0, 7, extensible=True))) == "0011"
    # outside the root: extension bit, then unconstrained (length 1, two's complement 8)
    assert bits_of(writer(lambda w: w.constrained_int(8, 0, 7, extensible=True))) == \
        "1" + "00000001" + "00001000"
    for v in (0, 7, 8, -1, 1000):
        w = writer(lambda w, v=v: w.constrained_int(v, 0, 7, extensible=True))
        assert BitReader(w.to_bytes()).constrained_int(0, 7, extensible=True) == v


@pytest.mark.parametrize(("value", "octets"), [
    (0, "0100"), (127, "017f"), (128, "020080"), (-1, "01ff"), (-128, "0180"),
    (-129, "02ff7f"), (65535, "0300ffff"),
])
def test_unconstrained_int(value, octets):
    w = writer(lambda w: w.unconstrained_int(value))
    assert w.to_bytes().hex() == octets
    assert BitReader(bytes.fromhex(octets)).unconstrained_int() == value


def test_semi_constrained_int():
    w = writer(lambda w: w.semi_constrained_int(300, 44))  # offset 256 -> two octets
    assert w.to_bytes().hex() == "020100"
    assert BitReader(w.to_bytes()).semi_constrained_int(44) == 300


@pytest.mark.parametrize(("n", "pattern"), [
    (0, "00000000"), (127, "01111111"), (128, "1000000010000000"),
    (16383, "1011111111111111"),
])
def test_unconstrained_length_determinant(n, pattern):
    assert bits_of(writer(lambda w: w.length(n))) == pattern
    assert BitReader(writer(lambda w: w.length(n)).to_bytes()).length() == n


def test_length_fragmentation_is_rejected_both_ways():
    with pytest.raises(ValueError):
        BitWriter().length(16384)
    with pytest.raises(DecodeError) as e:
        BitReader(b"\xc1").length()
    assert e.value.reason == "unsupported"


def test_constrained_and_extensible_lengths():
    assert bits_of(writer(lambda w: w.length(1, 1, 8))) == "000"
    assert bits_of(writer(lambda w: w.length(10, 1, 10))) == "1001"
    assert bits_of(writer(lambda w: w.length(5, 5, 5))) == ""
    # SIZE(1..128, ...): root lengths take 1 + 7 bits, larger ones 1 + 8 (or 16) bits
    assert bits_of(writer(lambda w: w.length(128, 1, 128, True))) == "0" + "1111111"
    assert bits_of(writer(lambda w: w.length(129, 1, 128, True))) == "1" + "1" + "0" * 7 + \
        "10000001"
    for n in (1, 128, 129, 200, 1000):
        w = writer(lambda w, n=n: w.length(n, 1, 128, True))
        assert BitReader(w.to_bytes()).length(1, 128, True) == n


def test_normally_small_number():
    assert bits_of(writer(lambda w: w.normally_small(5))) == "0000101"
    assert bits_of(writer(lambda w: w.normally_small(64))) == "1" + "00000001" + "01000000"
    for v in (0, 63, 64, 500):
        assert BitReader(writer(lambda w, v=v: w.normally_small(v)).to_bytes()) \
            .normally_small() == v


def test_enumerated_root_and_extension():
    assert bits_of(writer(lambda w: w.enumerated(2, 3))) == "10"
    assert bits_of(writer(lambda w: w.enumerated(15, 16))) == "1111"
    assert bits_of(writer(lambda w: w.enumerated(1, 3, extensible=True))) == "001"
    # first extension value of an extensible enumeration: '1' + normally small 0
    assert bits_of(writer(lambda w: w.enumerated(3, 3, extensible=True))) == "1" + "0000000"
    for i in range(6):
        w = writer(lambda w, i=i: w.enumerated(i, 3, extensible=True))
        assert BitReader(w.to_bytes()).enumerated(3, extensible=True) == i
    with pytest.raises(DecodeError, match="enumeration"):
        BitReader(b"\xc0").enumerated(3)  # index 3 of a 3-value root


def test_bit_and_octet_strings():
    w = writer(lambda w: w.bit_string(0b1011, 4, 4, 4))  # fixed size: no length
    assert bits_of(w) == "1011"
    w = writer(lambda w: w.bit_string(0b101, 3, 1, 13))  # SIZE(1..13): 4-bit length
    assert bits_of(w) == "0010" + "101"
    assert BitReader(w.to_bytes()).bit_string(1, 13) == (0b101, 3)
    w = writer(lambda w: w.octet_string(b"\x01\x02", 1, 20))
    assert bits_of(w) == "00001" + "00000001" + "00000010"
    assert BitReader(w.to_bytes()).octet_string(1, 20) == b"\x01\x02"


def test_choice_root_and_extension_alternative():
    assert bits_of(writer(lambda w: w.choice(3, 8))) == "011"
    assert bits_of(writer(lambda w: w.choice(1, 2, extensible=True))) == "01"
    assert bits_of(writer(lambda w: w.choice(0, 1))) == ""
    w = writer(lambda w: w.choice_extension(2, b"\xab"))
    assert bits_of(w) == "1" + "0000010" + "00000001" + "10101011"
    assert BitReader(w.to_bytes()).choice(6, extensible=True) == (8, b"\xab")
    with pytest.raises(DecodeError, match="choice"):
        BitReader(b"\xe0").choice(6)  # index 7 of 6 alternatives


def test_sequence_preamble_and_extension_additions_are_skipped():
    w = BitWriter()
    w.preamble([True, False], extensible=True, extended=True)
    w.constrained_int(9, 0, 15)
    w.extension_additions([None, b"\x12\x34", b""])  # b"" -> the one-octet empty encoding
    w.constrained_int(3, 0, 3)  # whatever follows the SEQUENCE
    assert bits_of(w)[:3] == "110"
    r = BitReader(w.to_bytes())
    assert r.preamble(2, extensible=True) == (True, [True, False])
    assert r.constrained_int(0, 15) == 9
    assert r.extension_additions() == [None, b"\x12\x34", b"\x00"]
    assert r.constrained_int(0, 3) == 3
    r.finish()
    with pytest.raises(ValueError):
        BitWriter().preamble([], extensible=False, extended=True)


def test_empty_encoding_is_one_octet_and_padding_is_zero():
    assert BitWriter().to_bytes() == b"\x00"
    assert writer(lambda w: w.bits(0b101, 3)).to_bytes() == b"\xa0"


@pytest.mark.parametrize("read", [
    lambda r: r.bits(9),
    lambda r: r.constrained_int(0, 2**16 - 1),
    lambda r: r.octets(3),
    lambda r: r.open_type(),  # 127 octets announced
])
def test_truncation_is_malformed(read):
    with pytest.raises(DecodeError) as e:
        read(BitReader(b"\x7f"))
    assert e.value.reason == "malformed"


def test_invalid_values_are_malformed():
    with pytest.raises(DecodeError, match="outside"):
        BitReader(b"\xc0").constrained_int(0, 2)  # '11' is 3 > 2
    with pytest.raises(DecodeError, match="length"):
        BitReader(b"\xff").length(1, 10)  # 1 + 15 > 10
    with pytest.raises(DecodeError, match="no addition"):
        BitReader(b"\x00\x00").extension_additions()  # one slot, absent
    with pytest.raises(DecodeError, match="trailing"):
        BitReader(b"\x00\x00").finish()
    with pytest.raises(DecodeError, match="zero-length"):
        BitReader(b"\x00").unconstrained_int()


def test_matches_pycrate_for_its_container_and_dsrc_types():
    """Independent check of the primitives: pycrate's compiled ETSI/ISO modules."""
    its = pytest.importorskip("pycrate_asn1dir.ITS_CAM_2").ITS_Container
    dsrc = pytest.importorskip("pycrate_asn1dir.ITS_IS").DSRC
    rp = its.ReferencePosition
    rp.set_val({"latitude": 375665000, "longitude": -1269780000,
                "positionConfidenceEllipse": {"semiMajorConfidence": 100,
                                              "semiMinorConfidence": 4095,
                                              "semiMajorOrientation": 3601},
                "altitude": {"altitudeValue": -3500, "altitudeConfidence": "alt-001-00"}})
    w = BitWriter()
    w.constrained_int(375665000, -900000000, 900000001)
    w.constrained_int(-1269780000, -1800000000, 1800000001)
    for v in (100, 4095):
        w.constrained_int(v, 0, 4095)
    w.constrained_int(3601, 0, 3601)
    w.constrained_int(-3500, -100000, 800001)
    w.enumerated(6, 16)
    assert w.to_bytes() == rp.to_uper()
    node = dsrc.NodeOffsetPointXY
    node.set_val(("node-XY6", {"x": -30000, "y": 10000}))
    w = BitWriter()
    w.choice(5, 8)
    w.constrained_int(-30000, -32768, 32767)
    w.constrained_int(10000, -32768, 32767)
    assert w.to_bytes() == node.to_uper()
    ref = dsrc.IntersectionReferenceID
    ref.set_val({"region": 5, "id": 42})
    w = BitWriter()
    w.preamble([True])
    w.constrained_int(5, 0, 65535)
    w.constrained_int(42, 0, 65535)
    assert w.to_bytes() == ref.to_uper()


# Each op: (writer call, reader call returning the value written)
_OPS = {
    "int": (st.tuples(st.integers(-70000, 70000), st.integers(0, 140000)),
            lambda w, a: w.constrained_int(a[0], a[0] - a[1] // 2, a[0] + a[1] - a[1] // 2),
            lambda r, a: r.constrained_int(a[0] - a[1] // 2, a[0] + a[1] - a[1] // 2) == a[0]),
    "ext_int": (st.integers(-(2**40), 2**40),
                lambda w, a: w.constrained_int(a, -100, 100, extensible=True),
                lambda r, a: r.constrained_int(-100, 100, extensible=True) == a),
    "semi": (st.integers(0, 2**70), lambda w, a: w.semi_constrained_int(a - 5, -5),
             lambda r, a: r.semi_constrained_int(-5) == a - 5),
    "small": (st.integers(0, 10**6), lambda w, a: w.normally_small(a),
              lambda r, a: r.normally_small() == a),
    "len": (st.integers(1, 16383), lambda w, a: w.length(a, 1, 128, extensible=True),
            lambda r, a: r.length(1, 128, extensible=True) == a),
    "bool": (st.booleans(), lambda w, a: w.bool(a), lambda r, a: r.bool() == a),
    "enum": (st.integers(0, 200), lambda w, a: w.enumerated(a, 12, extensible=True),
             lambda r, a: r.enumerated(12, extensible=True) == a),
    "open": (st.binary(min_size=1, max_size=300), lambda w, a: w.open_type(a),
             lambda r, a: r.open_type() == a),
}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(sorted(_OPS)).flatmap(
    lambda k: _OPS[k][0].map(lambda a, k=k: (k, a))), min_size=1, max_size=30))
def test_random_field_sequences_round_trip(ops):
    w = BitWriter()
    for kind, arg in ops:
        _OPS[kind][1](w, arg)
    data = w.to_bytes()
    assert len(data) == max(1, (w.bit_length + 7) // 8)
    r = BitReader(data)
    for kind, arg in ops:
        assert _OPS[kind][2](r, arg), kind
    if w.bit_length:  # an empty encoding is one padding octet
        r.finish()
    assert r.position == w.bit_length
