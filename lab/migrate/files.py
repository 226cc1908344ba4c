"""File helpers: writes that happen completely or not at all, hashes and diffs."""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
import tempfile
from pathlib import Path


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 digest of data."""
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace path with data: temp file in the same folder, fsync, rename, fsync the folder.

    Readers see either the old or the new content, never a partial file.
    """
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fchmod(temp.fileno(), stat.S_IMODE(mode))
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk so a rename in it survives a crash."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def is_read_only(path: Path) -> bool:
    """Tell whether path lacks the owner's write bit or is not writable by this process.

    The mode bit is checked too because root passes every `os.access` check.
    """
    return not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR


def is_inside(path: Path, folder: Path) -> bool:
    """Tell whether path, with symlinks resolved, is folder or lies below it."""
    return path.resolve().is_relative_to(folder.resolve())


def unified_diff(old: bytes, new: bytes, path: Path) -> str:
    """Return a unified diff of two file contents, marking a missing final newline like git."""
    return "".join(
        difflib.unified_diff(
            _diff_lines(old), _diff_lines(new), fromfile=f"a/{path}", tofile=f"b/{path}"
        )
    )


def _diff_lines(data: bytes) -> list[str]:
    # Split on LF only: str.splitlines() would also split on CR, form feed and U+2028.
    text = data.decode("utf-8", errors="replace")
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
