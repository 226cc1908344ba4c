"""Results folders for the report tests: the recorded test55 run and a two-strategy variant.

The variant adds a `container-slice` strategy built from the recorded one. Its timeline renames
app.slice to a container.slice with MemoryHigh and MemoryMax. Its journal adds a systemd-oomd
kill notice for bloat.service at 22:17:30, 47.16 s after the first sample at 22:16:42.84 UTC.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

RUNS = Path(__file__).resolve().parents[1] / "data" / "runs"
TEST55 = RUNS / "test55"
USER_MANAGER = "/user.slice/user-1000.slice/user@1000.service"
APP_SLICE = f"{USER_MANAGER}/app.slice"
CONTAINER_SLICE = f"{USER_MANAGER}/container.slice"
SLICE_HIGH = 800 << 20
SLICE_MAX = 1000 << 20
KILL_LINE = (
    "2026-12-04T22:17:30+00:00 slicelab-lab systemd-oomd[588]: Killed "
    f"{CONTAINER_SLICE}/bloat.service due to memory pressure for {CONTAINER_SLICE} being "
    "97.12% > 80.00% for > 20s with reclaim activity"
)
KILL_T = 47.16


def copy_test55(target: Path) -> Path:
    shutil.copytree(TEST55, target)
    return target


def two_strategy_run(target: Path) -> Path:
    """Write test55 plus a `container-slice` strategy in which systemd-oomd killed bloat.service."""
    folder = copy_test55(target)
    report = json.loads((folder / "report.json").read_text())
    report["runs"].append(_container_slice_run(report["runs"][0]))
    (folder / "report.json").write_text(json.dumps(report, indent=2))
    lines = (folder / "timeline-none.jsonl").read_text().splitlines()
    (folder / "timeline-container-slice.jsonl").write_text("\n".join(map(_move_to_slice, lines)) + "\n")
    journal = (folder / "journal-none.txt").read_text()
    (folder / "journal-container-slice.txt").write_text(journal + KILL_LINE + "\n")
    return folder


def _container_slice_run(recorded: dict[str, Any]) -> dict[str, Any]:
    run = copy.deepcopy(recorded)
    run["strategy"] = "container-slice"
    run["description"] = "quadlets in container.slice with MemoryHigh and MemoryMax"
    for item in run["pressure"]:
        item["cgroup"] = item["cgroup"].replace(APP_SLICE, CONTAINER_SLICE)
    run["kills"] = [{"cgroup": f"{CONTAINER_SLICE}/bloat.service", "watched": CONTAINER_SLICE,
                     "pressure": 97.12, "limit": 80.0, "line": KILL_LINE}]  # fmt: skip
    for service in run["services"]:
        service["cgroup"] = service["cgroup"].replace(APP_SLICE, CONTAINER_SLICE)
        if service["name"] == "bloat.service":
            service.update(outcome="oomd", oomd_kills=1)
            service["evidence"] = [{"source": "oomd-journal", "subject": service["cgroup"],
                                    "text": KILL_LINE, "supports": "oomd", "count": 1}]  # fmt: skip
    run["expectations"] = [
        {"unit": "bloat.service", "expected": "oomd", "status": "pass",
         "reason": "expected oomd, observed oomd"},
        {"unit": "chill.service", "expected": "survived", "status": "inconclusive",
         "reason": "expected survived, observed survived, but no watched cgroup met its condition"},
    ]  # fmt: skip
    run["findings"] = [{"unit": "jellyfin.service", "expected": None, "observed": "survived",
                        "note": "jellyfin idles during this scenario"}]  # fmt: skip
    return run


def _move_to_slice(line: str) -> str:
    sample = json.loads(line)
    cgroups = {path.replace(APP_SLICE, CONTAINER_SLICE): value for path, value in sample["cgroups"].items()}
    limits = {"memory_high": SLICE_HIGH, "memory_max": SLICE_MAX}
    cgroups[CONTAINER_SLICE] = {**cgroups[CONTAINER_SLICE], **limits}
    sample["cgroups"] = cgroups
    return json.dumps(sample)
