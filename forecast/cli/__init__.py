"""Command line: the Typer app (``app``), its option groups (``options``) and rendering
(``render``: rich on a terminal, plain lines in logs, ``--json``). The only code that prints or
picks exit codes. May import every other part, but only workflows lazily inside a command, so
that ``forecast --help`` imports no torch, pandas, scikit-learn or matplotlib; nothing imports it
except ``forecast.__main__``.
"""
