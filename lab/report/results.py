"""The results folder of one scenario run: results/<timestamp>-<scenario>/."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from lab.paths import REPO


def results_root() -> Path:
    return Path(os.environ.get("SLICELAB_RESULTS", REPO / "results"))


def new_run_folder(scenario: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = results_root() / f"{stamp}-{scenario}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def write_text_atomic(path: Path, text: str) -> None:
    """Write text through a temporary file and a rename, so a reader never sees half of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)
