"""Runs: the run directory on disk. ``run`` owns its format (the ``Run`` value: write, read,
schema version, the migration of older runs), ``store`` moves it about (atomic staging, locks,
``latest``, weights files), ``check`` verifies what is read back as untrusted input (every field
against the others and against the network's shapes) and ``plot`` draws runs. May import model,
data and core; never scoring, workflows or the command line.
"""
