"""The installed package's version, in one place (stockpile.__version__, the reports' run line)."""

from __future__ import annotations

from importlib import metadata

try:
    VERSION = metadata.version("stockpile")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "0+unknown"
