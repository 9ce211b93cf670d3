"""ETSI ITS messages as frozen dataclasses in SI units (CAM, DENM, CPM, SPATEM, MAPEM)."""
