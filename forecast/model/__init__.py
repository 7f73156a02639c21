"""Model: numbers in, numbers out (numpy and torch, no pandas). ``networks`` holds the recurrent
networks, ``transforms`` the series transforms (scaling, deseasonalising), ``windows`` the
training windows and network inputs, ``covariates`` the covariate inputs and the horizon-rounding
rule, ``loop`` the training loop, ``rollforward`` the model-space roll-forward (forecasts and the
calibration errors for intervals), ``distributed`` multi-process training. May import core only.
"""
