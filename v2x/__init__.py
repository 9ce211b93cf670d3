"""kav package v2x."""
