"""Workflows: one module per command, the steps in order and no formatting.

``train`` (the train command's steps), ``fitting`` (settings from the data, fitting an ensemble
on a ``Panel``, calibration errors, the one forecast-at-an-origin step), ``holdout`` (train's
hold-out scores), ``save`` (the run train writes), ``predict`` (with ``saved_run``, the run
rebuilt for forecasting, and ``predict_inputs``, the new data and ``--future`` rows),
``backtest`` and ``inspect`` (validate, info, plot). May import runs, scoring, model, data and
core; never the command line.
"""
