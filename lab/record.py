"""The record of the running lab in the state folder: which host, VM and machine it is."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.paths import state_dir


@dataclass
class LabRecord:
    lab_id: str
    host: str
    accel: str
    base_url: str
    vm_id: str | None
    machine: str
    storage_volume: str
    image: str
    policy: str
    memory: int
    swap: int
    state: str  # "starting" while lab.up runs, "up" once it finished


def record_path() -> Path:
    return state_dir() / "lab.json"


def read_record() -> LabRecord | None:
    try:
        return LabRecord(**json.loads(record_path().read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        record_path().unlink(missing_ok=True)
        return None


def write_record(record: LabRecord) -> None:
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(record), indent=2) + "\n")
    os.replace(partial, path)


def delete_record() -> None:
    record_path().unlink(missing_ok=True)
