"""oomctl dump parsing, on output recorded in the lab (systemd 257.13, fedora-42 profile)."""

from __future__ import annotations

from pathlib import Path

from lab.oomd import parse_dump, parse_timespan
from lab.policy import USER_MANAGER, expected_watched, get_profile

DUMP = Path(__file__).parent.parent / "data" / "oomd" / "oomctl-dump-fedora-42.txt"


def test_parse_dump_lists_pressure_watched_cgroups() -> None:
    watched = parse_dump(DUMP.read_text())
    assert [w.path for w in watched] == [
        "/system.slice",
        f"{USER_MANAGER}/app.slice",
        f"{USER_MANAGER}/session.slice",
        f"{USER_MANAGER}/user.slice",
    ]
    assert all(w.limit == 80.0 for w in watched)
    assert all(w.duration == 20.0 for w in watched)


def test_recorded_dump_matches_fedora_profile() -> None:
    actual = {w.path: w.limit for w in parse_dump(DUMP.read_text())}
    slices = ["-.slice", "app.slice", "session.slice", "user.slice"]
    assert actual == expected_watched(get_profile("fedora-42"), slices)


def test_default_duration_applies_without_per_cgroup_line() -> None:
    text = (
        "Default Memory Pressure Duration: 1min 30s\n"
        "Memory Pressure Monitored CGroups:\n"
        "\tPath: /a.slice\n"
        "\t\tMemory Pressure Limit: 50.00%\n"
    )
    assert [(w.path, w.limit, w.duration) for w in parse_dump(text)] == [("/a.slice", 50.0, 90.0)]


def test_swap_section_is_not_pressure() -> None:
    text = (
        "Swap Monitored CGroups:\n"
        "\tPath: /swap.slice\n"
        "\t\tSwap Usage: 10%\n"
        "Memory Pressure Monitored CGroups:\n"
    )
    assert parse_dump(text) == []


def test_parse_timespan() -> None:
    assert parse_timespan("20s") == 20.0
    assert parse_timespan("1min 30s") == 90.0
    assert parse_timespan("500ms") == 0.5
