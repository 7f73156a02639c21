"""forecast: time-series forecasting with recurrent neural networks, from the command line."""

__version__ = "0.1.0"
