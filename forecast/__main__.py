"""``python -m forecast`` and the ``forecast`` script.

Ctrl-C at any moment, even while the command line's libraries are still being imported,
is one line and exit 130, never a traceback.
"""

import sys


def run() -> None:
    """Entry point: import the CLI (the slow part of a start) and run it."""
    try:
        from forecast.cli.app import main

        main()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted by SIGINT; nothing was written\n")
        sys.exit(130)


if __name__ == "__main__":
    run()
