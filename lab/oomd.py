"""The cgroups systemd-oomd watches, read from `oomctl dump` and checked against the policy profile."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from lab.errors import LabError
from lab.machine import Machine
from lab.policy import PolicyProfile, expected_watched
from lab.retry import NotYet, policy

log = logging.getLogger(__name__)

_PATH = re.compile(r"^\s*Path:\s*(\S+)")
_LIMIT = re.compile(r"^\s*Memory Pressure Limit:\s*([\d.]+)%")
_DURATION = re.compile(r"^\s*Memory Pressure Duration:\s*(.+)$")
_DEFAULT_DURATION = re.compile(r"^Default Memory Pressure Duration:\s*(.+)$")


@dataclass(frozen=True)
class Watched:
    path: str
    limit: float  # percent
    duration: float  # seconds


def parse_timespan(text: str) -> float:
    """Parse systemd's short timespans as oomctl prints them: '20s', '1min 30s', '500ms'."""
    units = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)\s*(ms|min|s|h)", text):
        total += float(number) * units[unit]
    return total


def parse_dump(text: str) -> list[Watched]:
    """Return the memory-pressure-monitored cgroups of an `oomctl dump`."""
    default_duration = 30.0
    watched: list[Watched] = []
    in_section = False
    path: str | None = None
    limit: float | None = None
    duration: float | None = None

    def flush() -> None:
        if path is not None and limit is not None:
            watched.append(Watched(path, limit, duration if duration is not None else default_duration))

    for line in text.splitlines():
        if match := _DEFAULT_DURATION.match(line):
            default_duration = parse_timespan(match.group(1))
        if line.startswith("Memory Pressure Monitored CGroups:"):
            in_section = True
            continue
        if in_section and line and not line[0].isspace():
            break
        if not in_section:
            continue
        if match := _PATH.match(line):
            flush()
            path, limit, duration = match.group(1), None, None
        elif match := _LIMIT.match(line):
            limit = float(match.group(1))
        elif match := _DURATION.match(line):
            duration = parse_timespan(match.group(1))
    flush()
    return watched


def read_watched(machine: Machine) -> list[Watched]:
    return parse_dump(machine.exec(["oomctl", "dump"]).stdout)


def active_user_slices(machine: Machine) -> list[str]:
    output = machine.user_systemctl("list-units", "--type=slice", "--state=active", "--plain",
                                    "--no-legend", check=False).stdout  # fmt: skip
    return ["-.slice", *(line.split()[0] for line in output.splitlines() if line.strip()
                         and line.split()[0] != "-.slice")]  # fmt: skip


def check_watched(
    machine: Machine,
    profile: PolicyProfile,
    *,
    reloaded: bool = False,
    unwatched: frozenset[str] = frozenset(),
    seconds: float = 60.0,
) -> list[Watched]:
    """Log oomd's watched set and raise unless it matches what the profile's files imply.

    oomd learns of new cgroups over its varlink socket after a unit starts, so the check
    waits briefly for the two sets to agree before it fails.
    """
    watched: list[Watched] = []
    expected: dict[str, float] = {}
    try:
        for attempt in policy(seconds, 2.0):
            with attempt:
                slices = active_user_slices(machine)
                expected = expected_watched(
                    profile, slices, user_manager_reloaded=reloaded, unwatched=unwatched
                )
                watched = read_watched(machine)
                actual = {w.path: w.limit for w in watched}
                if actual != expected:
                    raise NotYet("oomd's watched set differs from the profile")
    except NotYet as error:
        raise LabError(
            f"systemd-oomd does not watch what policy {profile.name} implies",
            hint=f"expected {expected}\noomctl shows {[(w.path, w.limit) for w in watched]}",
        ) from error
    for item in watched:
        log.info("  oomd watches %s at %.0f %% for %.0f s", item.path, item.limit, item.duration)
    return watched
