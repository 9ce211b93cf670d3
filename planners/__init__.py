"""kav package planners."""
