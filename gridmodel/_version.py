"""The gridmodel version (one place; the package and its files read it from here)."""

__version__ = "0.2.0"
