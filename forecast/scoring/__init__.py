"""Scoring: how good a forecast is. ``metrics`` (sMAPE, MASE, ...), ``baselines`` (seasonal naive
and the other references), ``evaluation`` (the hold-out frame and its scores) and ``intervals``
(conformal intervals from calibration errors). May import data and core; never model, so it
scores any forecast, not only the network's.
"""
