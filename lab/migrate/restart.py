"""Restart changed quadlet services tier by tier and measure each service's downtime.

Works through any `Systemctl` callable, so the host's user manager and the lab machine's share
this code. Only services that were running before are restarted: a stopped or failed service
is left alone and picks up the new slice when it next starts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lab.errors import LabError
from lab.log import step
from lab.migrate.order import RestartOrder
from lab.retry import NotYet, policy

log = logging.getLogger(__name__)

# Seconds one tier may take to come back. Thirteen rootless containers took 163 s under TCG
# on 2 cores, and over 250 s while other VMs shared them.
RESTART_SECONDS = 600.0
POLL_SECONDS = 0.5
# A restart job whose stop times out shows ActiveState=failed and then still starts the unit,
# and Restart= brings a failed unit back after RestartSec (100 ms by default). So a unit
# counts as failed only while no job of its is queued, and after it stayed failed this long
# (on a loaded TCG host, 12 s passed between a failed stop and its queued start).
FAILED_SECONDS = 30.0
JOURNAL_LINES = 20
RUNNING_STATES = frozenset({"active", "reloading", "activating"})
PROPERTIES = (
    "Id",
    "ActiveState",
    "SubState",
    "Result",
    "ActiveEnterTimestampMonotonic",
    "ActiveExitTimestampMonotonic",
    "Job",
)


class Systemctl(Protocol):
    """Runs `systemctl --user ARGS` and returns its stdout; with check, raises on failure."""

    def __call__(self, args: Sequence[str], *, check: bool = True) -> str: ...


@dataclass(frozen=True)
class UnitState:
    """The state of one unit, with the manager's monotonic timestamps in microseconds."""

    unit: str
    active_state: str
    sub_state: str
    result: str
    active_enter_us: int
    active_exit_us: int
    job: str = ""


@dataclass(frozen=True)
class Restarted:
    """A service that was restarted and is active again.

    `downtime` is seconds from leaving the active state to entering it again, by the user
    manager's monotonic clock, so host and lab clocks never mix.
    """

    unit: str
    tier: int
    downtime: float


@dataclass(frozen=True)
class RestartReport:
    """The restarted services in restart order, and the ones left alone with their state."""

    restarted: tuple[Restarted, ...]
    not_running: tuple[tuple[str, str], ...]


def restart_services(
    systemctl: Systemctl,
    order: RestartOrder,
    *,
    timeout: float = RESTART_SECONDS,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RestartReport:
    """Restart each tier of order and wait until all of it is active before the next tier.

    Raises LabError with the unit's status and journal tail when a unit stays failed for
    FAILED_SECONDS or is not active within timeout seconds. The later tiers are not restarted.
    """
    restarted: list[Restarted] = []
    not_running: list[tuple[str, str]] = []
    for number, tier in enumerate(order.tiers, start=1):
        before = unit_states(systemctl, tier)
        running = [unit for unit in tier if before[unit].active_state in RUNNING_STATES]
        not_running += [(u, before[u].active_state) for u in tier if u not in running]
        if not running:
            continue
        with step(f"Restarting tier {number}/{len(order.tiers)}: {' '.join(running)}"):
            issued = clock()
            systemctl(["restart", "--no-block", *running])
            after = wait_until_restarted(systemctl, before, running, timeout, sleep, clock)
        restarted += [
            Restarted(unit, number, downtime(after[unit], clock() - issued))
            for unit in running
        ]
    return RestartReport(tuple(restarted), tuple(not_running))


def unit_states(systemctl: Systemctl, units: Sequence[str]) -> dict[str, UnitState]:
    """Read ActiveState and the activation timestamps of units with `systemctl show`."""
    output = systemctl(["show", f"--property={','.join(PROPERTIES)}", *units])
    states = {}
    for block in output.strip().split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "Id" in fields:
            states[fields["Id"]] = UnitState(
                unit=fields["Id"],
                active_state=fields.get("ActiveState", ""),
                sub_state=fields.get("SubState", ""),
                result=fields.get("Result", ""),
                active_enter_us=_number(fields.get("ActiveEnterTimestampMonotonic")),
                active_exit_us=_number(fields.get("ActiveExitTimestampMonotonic")),
                job=fields.get("Job", ""),
            )
    missing = [unit for unit in units if unit not in states]
    if missing:
        raise LabError(
            f"systemctl --user show returned nothing for {', '.join(missing)}",
            hint="run `systemctl --user daemon-reload` and check the unit names",
        )
    return states


def _number(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def wait_until_restarted(
    systemctl: Systemctl,
    before: dict[str, UnitState],
    units: Sequence[str],
    timeout: float,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, UnitState]:
    """Wait until every unit entered the active state after its `before` timestamp.

    A unit that still shows its old activation has not been stopped yet, because
    `restart --no-block` only queues the job.
    """
    pending = list(units)
    failed_since: dict[str, float] = {}
    try:
        for attempt in policy(timeout, POLL_SECONDS, sleep=sleep):
            with attempt:
                now = unit_states(systemctl, units)
                pending = [u for u in units if not _is_back(now[u], before[u])]
                _check_failed(systemctl, now, pending, failed_since, clock())
                if pending:
                    raise NotYet(f"waiting for {', '.join(pending)}")
    except NotYet:
        state = unit_states(systemctl, pending[:1])[pending[0]]
        raise unit_error(
            systemctl, state, f"is not active {timeout:.0f} s after the restart"
        ) from None
    return now


def _check_failed(systemctl: Systemctl, now: dict[str, UnitState], pending: list[str],
                  failed_since: dict[str, float], current: float) -> None:  # fmt: skip
    for unit in pending:
        if now[unit].active_state != "failed" or now[unit].job:
            failed_since.pop(unit, None)
        elif current - failed_since.setdefault(unit, current) >= FAILED_SECONDS:
            raise unit_error(systemctl, now[unit], "failed after the restart")


def _is_back(now: UnitState, before: UnitState) -> bool:
    return now.active_state == "active" and now.active_enter_us > before.active_enter_us


def downtime(state: UnitState, measured: float) -> float:
    """Return the unit's downtime in seconds from its timestamps, else the measured seconds."""
    if 0 < state.active_exit_us < state.active_enter_us:
        return (state.active_enter_us - state.active_exit_us) / 1_000_000
    return measured


def unit_error(systemctl: Systemctl, state: UnitState, problem: str) -> LabError:
    """Build the error for a unit that did not come back, with its status and journal tail."""
    status = systemctl(
        ["status", "--no-pager", f"--lines={JOURNAL_LINES}", state.unit], check=False
    )
    return LabError(
        f"{state.unit} {problem} (ActiveState={state.active_state}, SubState={state.sub_state}, "
        f"Result={state.result}); status and journal tail:\n{status.rstrip()}",
        hint=f"read `journalctl --user -u {state.unit}`; the files are already changed, so "
        "roll back with `./slicelab migrate.rollback --yes` and the same --target to undo them",
    )
