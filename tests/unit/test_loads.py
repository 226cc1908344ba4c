"""Where each load runs: the commands start_load issues, checked with a recording machine."""

from __future__ import annotations

from typing import Any

import pytest

from lab import loads
from lab.errors import CommandFailed
from lab.loads import MEMLOAD, RELEASE, start_load, start_loads, stop_loads
from lab.machine import ExecResult
from lab.scenario import Bloat, Chill, DesktopApps, DesktopSession, Leak, MlSpike, Transcode
from lab.strategy import Size


class RecordingMachine:
    def __init__(self, failures: list[tuple[int, str]] | None = None) -> None:
        self.calls: list[tuple[str, list[str], bool]] = []
        self.failures = failures or []

    def exec(self, argv: list[str], *, user: bool = False, check: bool = True, **_: Any) -> ExecResult:
        self.calls.append(("exec", list(argv), user))
        status, stderr = self.failures.pop(0) if self.failures else (0, "")
        if check and status != 0:
            raise CommandFailed(list(argv), status, stderr)
        return ExecResult(list(argv), status, "", stderr)

    def exec_detached(self, argv: list[str], *, user: bool = False) -> None:
        self.calls.append(("detached", list(argv), user))


def _size(lab: int) -> Size:
    return Size(modelled=lab * 10, lab=lab)


def test_desktop_apps_are_user_scopes_in_app_slice() -> None:
    machine = RecordingMachine()
    load = DesktopApps(count=2, start=_size(100), step=_size(10), step_interval=5.0, max=_size(200))
    started = start_load(machine, load, 60.0)  # type: ignore[arg-type]
    assert started.units == ("app-desktop-1.scope", "app-desktop-2.scope")
    for (kind, argv, user), index in zip(machine.calls, (1, 2), strict=True):
        assert kind == "detached"
        assert user is True
        assert argv[:3] == ["systemd-run", "--user", "--scope"]
        assert f"--unit=app-desktop-{index}" in argv
        assert "--slice=app.slice" in argv
        assert argv[-6:] == [MEMLOAD, "app", "100", "10", "5.0", "200"]


def test_session_set_runs_in_session_slice() -> None:
    machine = RecordingMachine()
    started = start_load(machine, DesktopSession(size=_size(1300)), 60.0)  # type: ignore[arg-type]
    assert started.units == ("session-shell.scope",)
    assert "--slice=session.slice" in machine.calls[0][1]


def test_service_loads_run_inside_the_container() -> None:
    machine = RecordingMachine()
    loads = [
        Transcode(service="jellyfin", anon=_size(150), stream_read=_size(300)),
        MlSpike(service="immich-ml", size=_size(250), hold=500.0),
        Leak(service="prometheus", rate_per_minute=_size(600), max=_size(200)),
    ]
    for load in loads:
        assert start_load(machine, load, 90.0).service_loads  # type: ignore[arg-type]
    commands = [argv for _, argv, _ in machine.calls]
    assert all(argv[:4] == ["podman", "exec", "--detach", "--env=STANDIN_ARMED=1"] for argv in commands)
    assert [argv[4] for argv in commands] == ["jellyfin", "jellyfin", "immich-ml", "prometheus"]
    # The spike lasts no longer than its phase, and the leak rate is per second.
    assert commands[2][-3:] == ["hold", "250", "90.0"]
    assert commands[3][-3:] == ["leak", "10.0", "200"]


def test_bloat_service_setup() -> None:
    machine = RecordingMachine()
    started = start_load(machine, Bloat(size=_size(300), memory_high=_size(10), slice="app.slice"), 60.0)  # type: ignore[arg-type]
    assert started.units == ("bloat.service",)
    argv = machine.calls[0][1]
    assert "--scope" not in argv
    assert "--property=MemoryHigh=10" in argv
    assert argv[-3:-1] == ["/bin/sh", "-c"]
    assert "cp /usr/bin/python3" in argv[-1]


def test_chill_without_memory_high() -> None:
    machine = RecordingMachine()
    start_load(machine, Chill(size=_size(100), slice="app.slice"), 60.0)  # type: ignore[arg-type]
    assert not any(part.startswith("--property=MemoryHigh") for part in machine.calls[0][1])


def test_stop_loads_stops_units_and_service_bursts() -> None:
    machine = RecordingMachine()
    machine_units = start_load(machine, DesktopSession(size=_size(10)), 1.0)  # type: ignore[arg-type]
    burst = start_load(machine, MlSpike(service="immich-ml", size=_size(1), hold=1.0), 1.0)  # type: ignore[arg-type]
    machine.calls.clear()
    stop_loads(machine, [machine_units, burst])  # type: ignore[arg-type]
    commands = [argv for _, argv, _ in machine.calls]
    assert ["systemctl", "--user", "stop", "session-shell.scope"] in commands
    assert any(argv[0] == "pkill" for argv in commands)


NOT_RUNNING = (125, "Error: OCI runtime error: crun: the container `51be8a` is not running")


def test_service_burst_waits_for_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lab.retry.time.sleep", lambda _: None)
    machine = RecordingMachine([NOT_RUNNING, NOT_RUNNING])
    assert start_load(machine, MlSpike(service="immich-ml", size=_size(250), hold=60.0), 60.0).service_loads  # type: ignore[arg-type]
    assert len(machine.calls) == 3


def test_service_burst_skipped_when_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loads, "SERVICE_WAIT_SECONDS", 0.0)
    machine = RecordingMachine([NOT_RUNNING])
    start_load(machine, MlSpike(service="immich-ml", size=_size(250), hold=60.0), 60.0)  # type: ignore[arg-type]
    assert len(machine.calls) == 1


def test_service_burst_other_failure_raises() -> None:
    machine = RecordingMachine([(127, "python3: not found")])
    with pytest.raises(CommandFailed):
        start_load(machine, MlSpike(service="immich-ml", size=_size(250), hold=60.0), 60.0)  # type: ignore[arg-type]


def test_phase_arms_bursts_before_desktop() -> None:
    machine = RecordingMachine()
    phase = [DesktopSession(size=_size(10)),
             Transcode(service="jellyfin", anon=_size(150), stream_read=_size(300)),
             MlSpike(service="immich-ml", size=_size(250), hold=60.0)]  # fmt: skip
    started, _ = start_loads(machine, phase, 60.0)  # type: ignore[arg-type]
    programs = [argv[0] for _, argv, _ in machine.calls]
    # Three armed execs (the transcode has two), then the desktop, then one release for all.
    assert programs == ["podman", "podman", "podman", "systemd-run", "/usr/bin/python3"]
    assert machine.calls[-1][1][1:3] == [RELEASE, "3"]
    assert machine.calls[-1][2] is False
    assert sum(item.armed for item in started) == 3


def test_phase_without_bursts_releases_nothing() -> None:
    machine = RecordingMachine()
    start_loads(machine, [DesktopSession(size=_size(10))], 60.0)  # type: ignore[list-item]
    assert [kind for kind, _, _ in machine.calls] == ["detached"]


def test_failed_release_stops_the_phase() -> None:
    machine = RecordingMachine([(0, ""), (1, "release: 0 of 1 bursts armed in time")])
    phase = [DesktopSession(size=_size(10)), MlSpike(service="immich-ml", size=_size(1), hold=1.0)]
    with pytest.raises(CommandFailed):
        start_loads(machine, phase, 60.0)  # type: ignore[arg-type]
    commands = [argv for _, argv, _ in machine.calls]
    assert ["systemctl", "--user", "stop", "session-shell.scope"] in commands
    assert any(argv[0] == "pkill" for argv in commands)
