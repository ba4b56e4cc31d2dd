"""What a path the user gave turns out to be, in words: for messages that name the place."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def why_missing(path: Path) -> str:
    """Why `path` cannot be opened: no such file, a broken link, or a link that loops back on itself."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except (RuntimeError, OSError) as exc:  # Python 3.11 says RuntimeError for a loop, later ones OSError
            if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
                return "a symbolic link that loops back on itself (a link to a link ... to itself)"
            return f"a symbolic link to '{os.readlink(path)}', which does not exist"
    parent = path.parent
    if str(parent) not in ("", ".") and not parent.exists():
        return f"no such file (the folder {parent} does not exist)"
    return "no such file"


def resolved(path: Path) -> Path | None:
    """The absolute path with links followed, or None when a link loops (Python 3.11 raises RuntimeError)
    or a leading ~user names no user."""
    try:
        return path.expanduser().resolve()
    except (RuntimeError, OSError):
        return None


def why_unusable(path: Path) -> str:
    """why_missing, for a path that `resolved` could not follow."""
    try:
        return why_missing(path.expanduser())
    except RuntimeError:  # expanduser: '~nobody/...' names no user with a home folder
        return f"a path whose '{str(path).split('/')[0]}' names no user with a home folder"

