"""Results folders that can never destroy a user's files.

A folder stockpile writes carries a marker (`.stockpile-results`, JSON) listing the files it
wrote. `-o DIR` is refused when DIR holds anything stockpile did not write, unless the caller
passes `overwrite=True`; then the results are written INTO DIR and only files of the same
names (and those of an earlier stockpile run, by its marker) are replaced. A folder of ours
is replaced whole, in one rename. `check_output` runs before any work, so an unwritable or
forbidden location is found in seconds, not after a solve.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..common.paths import resolved, why_unusable

MARKER = ".stockpile-results"


class OutputError(Exception):
    """The output location cannot or may not be written; the message says why and what to do."""


def _manifest(folder: Path) -> set[str] | None:
    """The files an earlier stockpile run wrote into `folder`, or None if it is not ours."""
    try:
        listed = json.loads((folder / MARKER).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {str(f) for f in listed} if isinstance(listed, list) else None


def foreign_entries(folder: Path) -> list[str]:
    """Entries of an existing folder that stockpile did not write (empty for an empty folder)."""
    entries = set(os.listdir(folder))
    ours = _manifest(folder) or set()
    return sorted(entries - ours - {MARKER})


def _probe_writable(folder: Path, shown: str) -> None:
    try:
        Path(tempfile.mkdtemp(prefix=".stockpile-probe-", dir=folder)).rmdir()
    except OSError as exc:
        raise OutputError(f"cannot write the results folder {shown}: {folder} is not writable "
                          f"({exc.strerror or exc}); choose another -o") from None


def check_output(out: str | Path, overwrite: bool = False) -> Path:
    """Before any work: may `out` be written, and can it be? Returns the resolved path."""
    shown = str(out)
    path = resolved(Path(out))
    if path is None:
        raise OutputError(f"cannot use {shown} as the results folder: it is {why_unusable(Path(out))}")
    if path.exists() and not path.is_dir():
        raise OutputError(f"the results folder {shown} is an existing file; give -o a folder name")
    if path.is_dir():
        try:
            foreign = foreign_entries(path)
        except OSError as exc:
            raise OutputError(f"cannot read the results folder {shown} ({exc.strerror or exc})") from None
        if foreign and not overwrite:
            shown_entries = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise OutputError(
                f"the results folder {shown} already exists and holds files stockpile did not write "
                f"({shown_entries}); nothing was written. Choose a new -o, or pass --overwrite to write the "
                "results into it (files of other names are kept)")
        _probe_writable(path if foreign else path.parent, shown)
        return path
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot create the results folder {shown}: {ancestor} is a file")
    _probe_writable(ancestor, shown)
    return path


def _default_permissions(folder: Path) -> None:
    """mkdtemp makes owner-only folders; results are shared like any other folder the user makes."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)


@contextmanager
def results_folder(out: str | Path, overwrite: bool = False, command: str = ""):
    """Yield an empty temporary folder; on success its files become `out`, whole.

    On any exception (Ctrl-C included) the temporary folder is removed and `out` is untouched."""
    path = check_output(out, overwrite)
    merge = path.is_dir() and bool(foreign_entries(path))
    if merge:
        tmp = Path(tempfile.mkdtemp(prefix=".stockpile-tmp-", dir=path))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
        files = sorted(os.listdir(tmp))
        (tmp / MARKER).write_text(json.dumps({"tool": "stockpile", "command": command, "files": files}, indent=1))
        if merge:
            _merge_into(tmp, path, files)
        else:
            _default_permissions(tmp)
            _replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace(tmp: Path, path: Path) -> None:
    """Swap in the new folder; the old one (ours, by check_output) goes only after the swap."""
    old = None
    if path.exists():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        path.rename(old)
    tmp.rename(path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _merge_into(tmp: Path, path: Path, files: list[str]) -> None:
    """--overwrite into a folder with other files: replace ours and same-named files, keep the rest."""
    blocked = [name for name in files + [MARKER] if (path / name).is_dir()]
    if blocked:  # never remove a user's folder to make room for a file
        raise OutputError(f"cannot write into {path}: {', '.join(blocked)} exist there as folders; nothing "
                          "was written. Choose another -o")
    stale = (_manifest(path) or set()) - set(files)
    for name in files + [MARKER]:
        os.replace(tmp / name, path / name)
    for name in stale:
        (path / name).unlink(missing_ok=True)
