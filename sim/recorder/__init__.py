"""Run recordings: chunked, hash-chained, Ed25519-signed MCAP files (Foxglove-readable).

Format and channels: :mod:`sim.recorder.writer`; reading: :mod:`sim.recorder.reader`;
checking: :mod:`sim.recorder.verify`; keys: :mod:`sim.recorder.keys`.
"""

from sim.recorder.keys import load_or_create_key, public_bytes
from sim.recorder.reader import (
    IntegrityReport,
    Recording,
    RecordingError,
    StepRecord,
    read_recording,
)
from sim.recorder.verify import verify_integrity
from sim.recorder.writer import RecordingWriter, signed_bytes

__all__ = ["IntegrityReport", "Recording", "RecordingError", "RecordingWriter", "StepRecord",
           "load_or_create_key", "public_bytes", "read_recording", "signed_bytes",
           "verify_integrity"]
