"""kav scenarios: maps, catalogue, runner and the ``kav`` command line."""
