"""Workflows: one module per command, the steps in order and no formatting. ``train`` (the train
command and the run it saves), ``fitting`` (fit, calibrate and score the hold-out, shared by train
and backtest), ``predict`` (with ``saved_run``, the run rebuilt for forecasting, and
``predict_inputs``, the new data and ``--future`` rows), ``backtest`` and ``inspect`` (validate,
info, plot). May import runs, scoring, model, data and core; never the command line.
"""
