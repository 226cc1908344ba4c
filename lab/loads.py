"""Scenario loads as processes in the lab machine, placed where real programs run.

Desktop loads run as the lab user's transient scopes in session.slice and app.slice, the way a
desktop session starts programs. Service loads run inside the service's container through
`podman exec`, so their memory is charged to the service. Every load stops when its phase ends.

Each `podman exec` takes seconds under emulation, so a phase's bursts are started armed and
released together once all of them wait: the pressure begins when the phase does, not after
every exec one after another.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from lab.errors import CommandFailed
from lab.machine import FileSpec, Machine
from lab.paths import REPO
from lab.retry import NotYet, policy
from lab.scenario import (
    Bloat,
    CacheChurn,
    Chill,
    DesktopApps,
    DesktopSession,
    Leak,
    Load,
    MlSpike,
    Transcode,
)

log = logging.getLogger(__name__)

RUNTIME_SOURCE = REPO / "containers" / "lab" / "runtime"
RUNTIME_DIR = "/usr/local/libexec/slicelab"
MEMLOAD = f"{RUNTIME_DIR}/memload.py"
RELEASE = f"{RUNTIME_DIR}/release.py"
RELEASE_TIMEOUT_SECONDS = 60.0
PRIVATE_PYTHON = "/home/lab/.cache/slicelab-bloat-python"
BLOAT_FILE = "/home/lab/.cache/slicelab-bloat.bin"
SERVICE_WAIT_SECONDS = 60.0
SERVICE_LOAD_PATTERN = "standin.py (hold|leak|read) "
SERVICE_LOADS = (Transcode, MlSpike, Leak)


@dataclass(frozen=True)
class Started:
    """The processes one load started: transient units to stop, and whether service loads run."""

    units: tuple[str, ...] = ()
    service_loads: bool = False
    # Bursts that wait for release_bursts before they allocate.
    armed: int = 0


def install_runtime(machine: Machine) -> None:
    """Copy the sampler and the load generator into the machine (no image rebuild needed)."""
    files = {f"{RUNTIME_DIR}/{path.name}": FileSpec(path.read_bytes(), 0o755)
             for path in RUNTIME_SOURCE.glob("*.py")}  # fmt: skip
    machine.put_files(files)


def _user_unit(machine: Machine, unit: str, slice_name: str, argv: list[str],
               properties: tuple[str, ...] = (), scope: bool = True,
               program: str = "/usr/bin/python3") -> str:  # fmt: skip
    """Start argv as the lab user's transient scope (or service) in slice_name."""
    # A transient service stays loaded after it fails, so its Result= can still be read;
    # stop_loads resets it. A scope is collected once its process is gone.
    kind = ["--scope", "--collect"] if scope else []
    props = [f"--property={prop}" for prop in properties]
    command = ["systemd-run", "--user", *kind, f"--unit={unit}", f"--slice={slice_name}",
               "--quiet", *props, program, *argv]  # fmt: skip
    machine.exec_detached(command, user=True)
    return f"{unit}.scope" if scope else f"{unit}.service"


def _service_exec(machine: Machine, service: str, args: list[str]) -> int:
    """Start an armed burst in the service's container and return 1, or 0 when it was skipped.

    A container that oomd or the kernel just killed comes back through its unit's Restart=.
    If it is still not running after SERVICE_WAIT_SECONDS, the burst is skipped with a
    warning, because the run's evidence already records why the service was down.
    """
    command = ["podman", "exec", "--detach", "--env=STANDIN_ARMED=1", service,
               "/usr/bin/python3", "-S", "-u", "/standin.py", *args]  # fmt: skip
    try:
        for attempt in policy(SERVICE_WAIT_SECONDS, 2.0):
            with attempt:
                result = machine.exec(command, user=True, check=False)
                if result.status != 0 and _not_running(result.stderr):
                    raise NotYet(result.stderr.strip())
    except NotYet as error:
        log.warning("Skipped a %s burst in %s: the container is not running (%s)", args[0], service, error)
        return 0
    if result.status != 0:
        raise CommandFailed(result.argv, result.status, result.stderr or result.stdout)
    return 1


def _not_running(stderr: str) -> bool:
    return "is not running" in stderr or "no such container" in stderr


def start_load(machine: Machine, load: Load, duration: float) -> Started:
    """Start one scaled load; durations of service bursts are bounded by the phase."""
    match load:
        case DesktopSession(size=size):
            unit = _user_unit(machine, "session-shell", "session.slice", [MEMLOAD, "hold", str(size.lab)])
            return Started((unit,))
        case DesktopApps(count=count, start=start, step=step, step_interval=interval, max=maximum):
            units = tuple(
                _user_unit(machine, f"app-desktop-{index}", "app.slice",
                           [MEMLOAD, "app", str(start.lab), str(step.lab), str(interval),
                            str(maximum.lab)])
                for index in range(1, count + 1)
            )
            return Started(units)
        case CacheChurn(size=size):
            path = "/home/lab/.cache/slicelab-churn.bin"
            return Started((_user_unit(machine, "app-files", "app.slice",
                                       [MEMLOAD, "churn", path, str(size.lab)]),))  # fmt: skip
        case Transcode(service=service, anon=anon, stream_read=stream):
            armed = _service_exec(machine, service, ["hold", str(anon.lab), str(duration)])
            armed += _service_exec(machine, service, ["read", "/cache/stream.bin", str(stream.lab)])
            return Started(service_loads=True, armed=armed)
        case MlSpike(service=service, size=size, hold=hold):
            armed = _service_exec(machine, service, ["hold", str(size.lab), str(min(hold, duration))])
            return Started(service_loads=True, armed=armed)
        case Leak(service=service, rate_per_minute=rate, max=maximum):
            armed = _service_exec(machine, service, ["leak", str(rate.lab / 60), str(maximum.lab)])
            return Started(service_loads=True, armed=armed)
        case Bloat(size=size, memory_high=high, slice=slice_name):
            # systemd-oomd kills only with reclaim activity. bloat runs a private copy of the
            # interpreter, so its code pages are charged to its own cgroup as a program's are,
            # and re-reads a file of its own: reclaim has pages to scan even without swap.
            script = (
                f"mkdir -p {PRIVATE_PYTHON.rsplit('/', 1)[0]} && cp /usr/bin/python3 {PRIVATE_PYTHON} && "
                f"exec {PRIVATE_PYTHON} {MEMLOAD} bloat {size.lab} {BLOAT_FILE}"
            )
            unit = _user_unit(machine, "bloat", slice_name, ["-c", script], (f"MemoryHigh={high.lab}",),
                              scope=False, program="/bin/sh")  # fmt: skip
            return Started((unit,))
        case Chill(size=size, slice=slice_name, memory_high=high):
            props = (f"MemoryHigh={high.lab}",) if high is not None else ()
            return Started((_user_unit(machine, "chill", slice_name, [MEMLOAD, "hold", str(size.lab)],
                                       props, scope=False),))  # fmt: skip
    raise TypeError(f"unknown load: {load!r}")


def release_bursts(machine: Machine, started: Sequence[Started]) -> None:
    """Let every armed burst allocate at once. Raise CommandFailed when some never got ready."""
    count = sum(item.armed for item in started)
    if count:
        machine.exec(["/usr/bin/python3", RELEASE, str(count), str(RELEASE_TIMEOUT_SECONDS)])


def start_loads(machine: Machine, loads: Sequence[Load], duration: float) -> tuple[list[Started], float]:
    """Start a phase's loads; return them and the monotonic time at which they began.

    The bursts are armed first. The phase begins after that, with the desktop loads and the
    bursts' release. When a load fails to start, the others are stopped before the error is
    raised, so nothing runs on half-started.
    """
    started: list[Started] = []
    try:
        bursts = [load for load in loads if isinstance(load, SERVICE_LOADS)]
        others = [load for load in loads if not isinstance(load, SERVICE_LOADS)]
        started += [start_load(machine, load, duration) for load in bursts]
        began = time.monotonic()
        started += [start_load(machine, load, duration) for load in others]
        release_bursts(machine, started)
    except BaseException:
        # BaseException, so that Ctrl-C while the loads start also stops what already runs.
        stop_loads(machine, started)
        raise
    return started, began


def stop_loads(machine: Machine, started: list[Started]) -> None:
    """Stop every load that was started; a unit oomd already killed is simply gone."""
    units = [unit for item in started for unit in item.units]
    if units:
        machine.exec(["systemctl", "--user", "stop", *units], user=True, check=False)
        machine.exec(["systemctl", "--user", "reset-failed", *units], user=True, check=False)
    if any(item.service_loads for item in started):
        machine.exec(["pkill", "-f", SERVICE_LOAD_PATTERN], check=False)
