"""``python -m gridmodel``: the command line."""

from gridmodel.cli import main

if __name__ == "__main__":
    main()
