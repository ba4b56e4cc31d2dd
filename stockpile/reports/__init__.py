"""One module per command's results folder; `common` holds what they share."""

from .share import write_share
from .solve import write_results
from .sweep import write_sweep

__all__ = ["write_results", "write_share", "write_sweep"]
