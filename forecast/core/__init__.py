"""Core: the frozen config dataclasses with their range checks (``config``) and the errors with
their exit codes (``errors``). Everything else imports from here; core imports nothing of forecast.
"""
