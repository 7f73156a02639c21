"""Model: numbers in, numbers out (numpy and torch, no pandas). ``windows`` holds the transforms and
training windows, ``covariates`` the covariate inputs, ``networks`` the recurrent networks, ``loop``
the training loop, ``rollforward`` the model-space roll-forward (forecasts and the calibration
errors for intervals), ``distributed`` multi-process training. May import core only.
"""
