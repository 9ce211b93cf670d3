"""Vehicle and pedestrian motion models (kinematic bicycle, point-mass walker)."""
