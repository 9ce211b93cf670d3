"""Batch suites: many runs, a results store, summaries, falsification search."""
