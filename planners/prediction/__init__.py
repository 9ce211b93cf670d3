"""Motion prediction of other road users for the reference driving stack: constant
velocity, constant turn rate and velocity, and lane following on the road network."""

from planners.prediction.motion import (
    Predictions,
    predict,
    predict_ctrv,
    predict_cv,
    predict_lane_following,
)

__all__ = ["Predictions", "predict", "predict_ctrv", "predict_cv", "predict_lane_following"]
