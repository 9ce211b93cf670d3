"""A small, general, pure-Python ASN.1 UPER (unaligned PER, ITU-T X.691) bit writer and reader.

Only the encodings ETSI ITS messages need: constrained / semi-constrained / unconstrained
whole numbers (optionally extensible), booleans, enumerations (optionally extensible),
bit and octet strings, length determinants (constrained, extensible, unconstrained up to
16383), normally small numbers, SEQUENCE preambles (extension bit + optional-component
bitmap) and extension additions, CHOICE indices (root and extension) and open types.
Fragmented lengths (>= 16384 items) are not supported: no ITS message reaches them.

The writer raises ``ValueError`` for values outside the constraint it is given: callers
(message codecs) check ranges first and raise :class:`~v2x.errors.MessageRangeError` with
the field path, so reaching that ``ValueError`` is a bug. The reader raises only
:class:`~v2x.errors.DecodeError`: ``"malformed"`` for truncated or invalid input,
``"unsupported"`` for valid encodings this module does not implement (fragmentation).
"""

from __future__ import annotations

from collections.abc import Sequence

from v2x.errors import DecodeError

_FRAGMENT = 16384  # X.691 11.9.3.8: lengths from 16K up are fragmented


def _width(lo: int, hi: int) -> int:
    """Bits of a constrained whole number in ``lo..hi`` (X.691 11.5.6, unaligned)."""
    return (hi - lo).bit_length()


class BitWriter:
    """Appends UPER fields; :meth:`to_bytes` returns the octet-padded encoding."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._acc = 0  # pending bits not yet a whole octet
        self._nacc = 0

    @property
    def bit_length(self) -> int:
        return len(self._out) * 8 + self._nacc

    def bits(self, value: int, n: int) -> None:
        if n == 0:
            return
        if value < 0 or value >> n:
            raise ValueError(f"{value} does not fit in {n} bits")
        self._acc = (self._acc << n) | value
        self._nacc += n
        if self._nacc >= 8:
            whole = self._nacc // 8
            rest = self._nacc - whole * 8
            self._out += (self._acc >> rest).to_bytes(whole, "big")
            self._acc &= (1 << rest) - 1
            self._nacc = rest

    def bool(self, value: bool) -> None:
        self.bits(1 if value else 0, 1)

    def constrained_int(self, value: int, lo: int, hi: int, extensible: bool = False) -> None:
        """INTEGER (lo..hi) or (lo..hi, ...); extension values go out unconstrained."""
        if extensible:
            inside = lo <= value <= hi
            self.bool(not inside)
            if not inside:
                self.unconstrained_int(value)
                return
        if not lo <= value <= hi:
            raise ValueError(f"{value} outside {lo}..{hi}")
        self.bits(value - lo, _width(lo, hi))

    def semi_constrained_int(self, value: int, lo: int) -> None:
        """INTEGER (lo..MAX): length octet count, then the offset as unsigned octets."""
        if value < lo:
            raise ValueError(f"{value} below {lo}")
        off = value - lo
        n = max(1, (off.bit_length() + 7) // 8)
        self.length(n)
        self.bits(off, 8 * n)

    def unconstrained_int(self, value: int) -> None:
        """INTEGER with no lower bound: length, then minimal two's-complement octets."""
        magnitude = value if value >= 0 else ~value
        n = (magnitude.bit_length() + 8) // 8  # +1 bit for the sign, at least one octet
        self.length(n)
        self.bits(value & ((1 << (8 * n)) - 1), 8 * n)

    def normally_small(self, value: int) -> None:
        """Normally small non-negative whole number (X.691 11.6): extension indices."""
        if value < 0:
            raise ValueError(f"{value} is negative")
        if value <= 63:
            self.bits(value, 7)  # leading 0 bit + 6 bits
        else:
            self.bool(True)
            self.semi_constrained_int(value, 0)

    def length(self, n: int, lo: int = 0, hi: int | None = None, extensible: bool = False):
        """Length determinant: constrained when ``hi < 65536``, else unconstrained."""
        if extensible:
            inside = hi is not None and lo <= n <= hi
            self.bool(not inside)
            if not inside:
                self.length(n)
                return
        if hi is not None and hi < 65536:
            if not lo <= n <= hi:
                raise ValueError(f"length {n} outside {lo}..{hi}")
            self.bits(n - lo, _width(lo, hi))
        elif n < 0 or n >= _FRAGMENT:
            raise ValueError(f"length {n} needs fragmentation (unsupported)")
        elif n < 128:
            self.bits(n, 8)
        else:
            self.bits(0x8000 | n, 16)

    def enumerated(self, index: int, n_root: int, extensible: bool = False) -> None:
        """ENUMERATED by index; ``index >= n_root`` selects an extension value."""
        if extensible:
            self.bool(index >= n_root)
            if index >= n_root:
                self.normally_small(index - n_root)
                return
        if not 0 <= index < n_root:
            raise ValueError(f"enumeration index {index} outside 0..{n_root - 1}")
        self.bits(index, _width(0, n_root - 1))

    def bit_string(self, value: int, n: int, lo: int, hi: int | None, extensible=False):
        """BIT STRING (SIZE(lo..hi)) of ``n`` bits, first bit most significant in ``value``."""
        if not (lo == hi and not extensible and hi < 65536):
            self.length(n, lo, hi, extensible)
        self.bits(value, n)

    def octets(self, data: bytes) -> None:
        for byte in data:
            self.bits(byte, 8)

    def octet_string(self, data: bytes, lo: int = 0, hi: int | None = None, extensible=False):
        if not (lo == hi and not extensible and hi < 65536):
            self.length(len(data), lo, hi, extensible)
        self.octets(data)

    def open_type(self, data: bytes) -> None:
        """Open type (extension additions, extension CHOICE alternatives): length + octets
        of a complete encoding, which is at least one octet (X.691 11.2)."""
        self.length(len(data) or 1)
        self.octets(data or b"\x00")

    def preamble(self, present: Sequence[bool], extensible: bool = False, extended=False):
        """SEQUENCE preamble: extension bit (when extensible), then one bit per
        OPTIONAL/DEFAULT root component in definition order."""
        if extensible:
            self.bool(extended)
        elif extended:
            raise ValueError("a non-extensible SEQUENCE has no extension additions")
        for p in present:
            self.bool(p)

    def extension_additions(self, additions: Sequence[bytes | None]) -> None:
        """Extension additions of a SEQUENCE whose preamble said ``extended``: bitmap
        length, bitmap, then each present addition as an open type."""
        if not additions:
            raise ValueError("an extended SEQUENCE needs at least one addition slot")
        self.normally_small(len(additions) - 1)
        for a in additions:
            self.bool(a is not None)
        for a in additions:
            if a is not None:
                self.open_type(a)

    def choice(self, index: int, n_root: int, extensible: bool = False) -> None:
        """CHOICE index of a root alternative (its value follows directly)."""
        if extensible:
            self.bool(False)
        if not 0 <= index < n_root:
            raise ValueError(f"choice index {index} outside 0..{n_root - 1}")
        self.bits(index, _width(0, n_root - 1))

    def choice_extension(self, ext_index: int, data: bytes) -> None:
        """CHOICE extension alternative number ``ext_index`` (0 = first after ``...``)."""
        self.bool(True)
        self.normally_small(ext_index)
        self.open_type(data)

    def to_bytes(self) -> bytes:
        """The encoding padded with zero bits to whole octets; an empty encoding is one
        zero octet (X.691 11.1)."""
        out = bytes(self._out)
        if self._nacc:
            out += bytes([self._acc << (8 - self._nacc)])
        return out or b"\x00"


class BitReader:
    """Reads UPER fields from ``data``; every failure is a :class:`DecodeError`."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._end = len(self._data) * 8

    @property
    def position(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def bits(self, n: int) -> int:
        if n == 0:
            return 0
        if self._pos + n > self._end:
            raise DecodeError("malformed", f"truncated: need {n} bits at bit {self._pos}")
        first, last = self._pos >> 3, (self._pos + n + 7) >> 3
        chunk = int.from_bytes(self._data[first:last], "big")
        shift = last * 8 - self._pos - n
        self._pos += n
        return (chunk >> shift) & ((1 << n) - 1)

    def bool(self) -> bool:
        return self.bits(1) == 1

    def constrained_int(self, lo: int, hi: int, extensible: bool = False) -> int:
        if extensible and self.bool():
            return self.unconstrained_int()
        value = lo + self.bits(_width(lo, hi))
        if value > hi:  # ranges that are not a power of two leave invalid codes
            raise DecodeError("malformed", f"integer {value} outside {lo}..{hi}")
        return value

    def semi_constrained_int(self, lo: int) -> int:
        n = self.length()
        if n == 0:
            raise DecodeError("malformed", "zero-length integer")
        return lo + self.bits(8 * n)

    def unconstrained_int(self) -> int:
        n = self.length()
        if n == 0:
            raise DecodeError("malformed", "zero-length integer")
        raw = self.bits(8 * n)
        return raw - (1 << (8 * n)) if raw >> (8 * n - 1) else raw

    def normally_small(self) -> int:
        if not self.bool():
            return self.bits(6)
        return self.semi_constrained_int(0)

    def length(self, lo: int = 0, hi: int | None = None, extensible: bool = False) -> int:
        if extensible and self.bool():
            return self.length()
        if hi is not None and hi < 65536:
            n = lo + self.bits(_width(lo, hi))
            if n > hi:
                raise DecodeError("malformed", f"length {n} outside {lo}..{hi}")
            return n
        if not self.bool():
            n = self.bits(7)
        elif not self.bool():
            n = self.bits(14)
        else:
            raise DecodeError("unsupported", "fragmented length determinant")
        if hi is not None and not lo <= n <= hi:
            raise DecodeError("malformed", f"length {n} outside {lo}..{hi}")
        return n

    def enumerated(self, n_root: int, extensible: bool = False) -> int:
        """Index of the value; extension values come back as ``n_root + k``."""
        if extensible and self.bool():
            return n_root + self.normally_small()
        index = self.bits(_width(0, n_root - 1))
        if index >= n_root:
            raise DecodeError("malformed", f"enumeration index {index} >= {n_root}")
        return index

    def bit_string(self, lo: int, hi: int | None, extensible: bool = False) -> tuple[int, int]:
        """Returns ``(value, n_bits)``."""
        fixed = lo == hi and not extensible and hi < 65536
        n = lo if fixed else self.length(lo, hi, extensible)
        return self.bits(n), n

    def octets(self, n: int) -> bytes:
        return self.bits(8 * n).to_bytes(n, "big") if n else b""

    def octet_string(self, lo: int = 0, hi: int | None = None, extensible=False) -> bytes:
        fixed = lo == hi and not extensible and hi < 65536
        return self.octets(lo if fixed else self.length(lo, hi, extensible))

    def open_type(self) -> bytes:
        n = self.length()
        if n == 0:
            raise DecodeError("malformed", "empty open type")
        return self.octets(n)

    def preamble(self, n_optional: int, extensible: bool = False) -> tuple[bool, list[bool]]:
        """Returns ``(extended, present)`` for a SEQUENCE."""
        extended = self.bool() if extensible else False
        return extended, [self.bool() for _ in range(n_optional)]

    def extension_additions(self) -> list[bytes | None]:
        """Reads the extension-addition bitmap and the open types it announces; an
        absent slot is ``None``. A decoder of the root version skips them (X.691 19.9)."""
        n = self.normally_small() + 1
        present = [self.bool() for _ in range(n)]
        if not any(present):
            raise DecodeError("malformed", "extension bitmap with no addition present")
        return [self.open_type() if p else None for p in present]

    def choice(self, n_root: int, extensible: bool = False) -> tuple[int, bytes | None]:
        """Returns ``(index, None)`` for a root alternative (value follows) or
        ``(n_root + k, open_type_bytes)`` for extension alternative ``k``."""
        if extensible and self.bool():
            k = self.normally_small()
            return n_root + k, self.open_type()
        index = self.bits(_width(0, n_root - 1))
        if index >= n_root:
            raise DecodeError("malformed", f"choice index {index} >= {n_root}")
        return index, None

    def finish(self) -> None:
        """Checks that only octet padding (< 8 bits) is left."""
        if self.remaining >= 8:
            raise DecodeError("malformed", f"{self.remaining // 8} trailing octets")
