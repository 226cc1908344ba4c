"""Folders for slicelab's caches and state on the host, read from the environment at call time."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """The user cache folder for slicelab (VM disks), honouring XDG_CACHE_HOME."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slicelab"


def state_dir() -> Path:
    """The user state folder for slicelab (running labs, VMs, migration backups)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "slicelab"


def runtime_dir() -> Path:
    """A private folder for sockets, mode 0700: XDG_RUNTIME_DIR when set, else under state."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = Path(base) / "slicelab" if base else state_dir() / "run"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path
