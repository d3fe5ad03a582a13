"""``python -m gridmodel`` and the ``gridmodel`` console script.

:func:`main` makes SIGTERM end a command like Ctrl-C before it imports the
command line (typer, pandas, ...), so a signal that lands while those load
also ends with one line and exit code 130 or 143, not a traceback.
"""

from __future__ import annotations

import sys

from gridmodel.interrupts import Terminated, exit_status, install


def main() -> None:
    """Entry point: install the signal handling, then run the command line."""
    install()
    try:
        from gridmodel.cli import main as command_line
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while the command line loads
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        sys.stderr.write(f"gridmodel: {stopped}\n")
        sys.exit(exit_status(exc) or 130)
    command_line()


if __name__ == "__main__":
    main()
