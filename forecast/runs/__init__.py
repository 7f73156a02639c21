"""Runs: the run directory on disk. ``store`` writes and reads it (atomic staging, locks,
``latest``, weights), ``check`` verifies what is read back as untrusted input (every field
against the others and against the network's shapes) and ``plot`` draws runs. May import model,
data and core; never scoring, workflows or the command line.
"""
