"""Run recordings: chunked, hash-chained, Ed25519-signed MCAP files (Foxglove-readable)."""

from sim.recorder.keys import load_or_create_key, public_bytes
from sim.recorder.reader import (
    IntegrityReport,
    Recording,
    RecordingError,
    StepRecord,
    read_recording,
    verify_integrity,
)
from sim.recorder.writer import RecordingWriter

__all__ = ["IntegrityReport", "Recording", "RecordingError", "RecordingWriter", "StepRecord",
           "load_or_create_key", "public_bytes", "read_recording", "verify_integrity"]
