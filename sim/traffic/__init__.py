"""NPC behaviour: Korean signal phasing, IDM/MOBIL route following, pedestrians."""
