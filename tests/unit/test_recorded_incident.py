"""The incident under four strategies, recorded in the lab: verdict matrix and kill attribution."""

from __future__ import annotations

import json
from pathlib import Path

from lab.observe.journal import parse_oomd_kills, unit_of_cgroup
from lab.policy import USER_MANAGER
from lab.report.terminal import render_matrix

RUN = Path(__file__).parent.parent / "data" / "runs" / "incident"


def test_matrix_columns_stay_aligned() -> None:
    report = json.loads((RUN / "report.json").read_text())
    lines = render_matrix(report).splitlines()
    header = lines[1]
    starts = [header.index(run["strategy"] + " ") for run in report["runs"]]
    jellyfin = next(line for line in lines if line.startswith("jellyfin "))
    # In the recorded run oomd killed jellyfin under none and seed, and it restarted each time.
    assert jellyfin[starts[0]:].startswith("OOMD (+1 restarts)")
    assert jellyfin[starts[1]:].startswith("OOMD (+1 restarts)")
    assert jellyfin[starts[2]:].startswith("ok ")
    assert jellyfin[starts[3]:].startswith("ok")


def test_seed_kill_named_by_user_manager() -> None:
    kills = parse_oomd_kills((RUN / "journal-seed.txt").read_text().splitlines())
    first = kills[0]
    # container.slice never met the condition, so the kill came from the watched user manager.
    assert first.watched == USER_MANAGER
    assert first.cgroup.startswith(f"{USER_MANAGER}/container.slice/jellyfin.service/libpod-payload-")
    assert unit_of_cgroup(first.cgroup) == "jellyfin.service"


def test_avoid_kill_hits_rootless_netns() -> None:
    kills = parse_oomd_kills((RUN / "journal-seed-avoid.txt").read_text().splitlines())
    units = [unit_of_cgroup(kill.cgroup) or "" for kill in kills]
    # ManagedOOMPreference=avoid spared the services, not podman's network scope.
    assert units[0].startswith("rootless-netns-")
    assert not any(unit.endswith(".service") for unit in units)
