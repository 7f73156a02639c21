"""Command line: the commands (``app``), the Typer app with its one errors-to-exit-codes decorator
and entry point (``exits``), option declarations (``options``), ``--config`` files through click's
default_map (``config_file``), what each command prints (``reports``, ``render``: rich on a
terminal, plain lines in logs, ``--json``), standard input staging (``stdin``) and signals
(``signals``). The only code that prints or picks exit codes. May import every other part, but only
workflows lazily inside a command, so that ``forecast --help`` imports no torch, pandas,
scikit-learn or matplotlib; nothing imports it except ``forecast.__main__``.
"""
