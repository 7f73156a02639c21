"""Runs: the run directory on disk. ``run`` owns its format (the ``Run`` value: write, read,
schema version, the migration of older runs); ``files`` writes and reads its files (names,
strict JSON, safetensors weights); ``dirs`` names new runs, keeps ``latest`` and cleans up what
a killed process left; ``staging`` swaps a finished run into place atomically; ``locks`` keeps
writers and readers apart; ``check`` verifies what is read back as untrusted input (every field
against the others and against the network's shapes) and ``plot`` draws runs. May import model,
data and core; never scoring, workflows or the command line.
"""
