"""Tests of restarts in tier order, the lab target's mirror and the generator check, with fakes."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import docker
import pytest

from lab.errors import BadInput, LabError
from lab.machine import ExecResult, FileSpec
from lab.migrate import RestartOrder, apply, rollback
from lab.migrate.generator import GeneratorRun, generator_validator, parse_services
from lab.migrate.restart import FAILED_SECONDS, restart_services
from lab.migrate.settings import make_settings
from lab.migrate.targets import LabTarget, apply_change, plan_change

DATA = Path(__file__).parent.parent / "data" / "quadlets"
QUADLETS = "/home/lab/.config/containers/systemd"
UNITS = "/home/lab/.config/systemd/user"


class FakeSystemctl:
    """A user manager whose units come back `downtime` seconds after a restart.

    The first `show` after a restart still reports the old activation, as a queued
    `restart --no-block` does.
    """

    def __init__(self, downtimes: dict[str, float], fail: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.clock_us = 1_000_000
        self.units = {unit: ("active", self.clock_us, 0) for unit in downtimes}
        self.downtimes = downtimes
        self.fail = fail
        self.queued: list[str] = []

    def __call__(self, args: Sequence[str], *, check: bool = True) -> str:
        self.calls.append(list(args))
        if args[0] == "restart":
            self.queued = list(args[2:])
            return ""
        if args[0] == "status":
            return f"● {args[-1]} - journal tail line"
        if args[0] == "show":
            return self._show(args[2:])
        raise AssertionError(f"unexpected systemctl call {args}")

    def _show(self, units: Sequence[str]) -> str:
        if self.queued and self.calls[-2][0] != "restart":
            self._finish_restarts()
        blocks = []
        for unit in units:
            state, enter, exit_ = self.units[unit]
            blocks.append(f"Id={unit}\nActiveState={state}\nSubState=running\nResult=success\n"
                          f"ActiveEnterTimestampMonotonic={enter}\n"
                          f"ActiveExitTimestampMonotonic={exit_}\n")  # fmt: skip
        return "\n".join(blocks)

    def _finish_restarts(self) -> None:
        for unit in self.queued:
            self.clock_us += 1_000_000
            stopped = self.clock_us
            if unit == self.fail:
                self.units[unit] = ("failed", self.units[unit][1], stopped)
            else:
                back = stopped + int(self.downtimes[unit] * 1_000_000)
                self.units[unit] = ("active", back, stopped)
        self.queued = []


def test_restart_follows_tiers() -> None:
    systemctl = FakeSystemctl({"db.service": 2.5, "cache.service": 1.0, "proxy.service": 0.25})
    order = RestartOrder((("cache.service", "db.service"), ("proxy.service",)), ())
    report = restart_services(systemctl, order, sleep=lambda seconds: None)

    restarts = [call for call in systemctl.calls if call[0] == "restart"]
    assert restarts == [
        ["restart", "--no-block", "cache.service", "db.service"],
        ["restart", "--no-block", "proxy.service"],
    ]
    first_proxy = next(i for i, call in enumerate(systemctl.calls) if "proxy.service" in call)
    last_db = max(i for i, call in enumerate(systemctl.calls) if "db.service" in call)
    assert last_db < first_proxy
    assert [(r.unit, r.tier, r.downtime) for r in report.restarted] == [
        ("cache.service", 1, 1.0),
        ("db.service", 1, 2.5),
        ("proxy.service", 2, 0.25),
    ]
    assert report.not_running == ()


def test_restart_skips_stopped_units() -> None:
    systemctl = FakeSystemctl({"db.service": 1.0, "batch.service": 1.0})
    systemctl.units["batch.service"] = ("inactive", 0, 0)
    order = RestartOrder((("batch.service", "db.service"),), ())
    report = restart_services(systemctl, order, sleep=lambda seconds: None)
    assert ["restart", "--no-block", "db.service"] in systemctl.calls
    assert [r.unit for r in report.restarted] == ["db.service"]
    assert report.not_running == (("batch.service", "inactive"),)


class FakeClock:
    """A monotonic clock that moves only when the retry policy sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_restart_failure_stops_later_tiers() -> None:
    systemctl = FakeSystemctl({"db.service": 1.0, "proxy.service": 1.0}, fail="db.service")
    order = RestartOrder((("db.service",), ("proxy.service",)), ())
    clock = FakeClock()
    with pytest.raises(LabError) as raised:
        restart_services(systemctl, order, sleep=clock.sleep, clock=clock)
    assert "db.service failed after the restart" in raised.value.message
    assert "journal tail line" in raised.value.message
    assert ["restart", "--no-block", "proxy.service"] not in systemctl.calls
    # The unit counts as failed only after staying failed for FAILED_SECONDS.
    assert clock.now >= FAILED_SECONDS


def test_restart_waits_out_transient_failure() -> None:
    systemctl = FakeSystemctl({"db.service": 1.0}, fail="db.service")
    order = RestartOrder((("db.service",),), ())
    clock = FakeClock()
    polls = 0
    original = systemctl._show

    def show(units: Sequence[str]) -> str:
        # The restart job starts the unit again after a failed stop, three polls later.
        nonlocal polls
        polls += 1
        if polls == 4:
            systemctl.units["db.service"] = ("active", 9_000_000, 8_000_000)
        return original(units)

    systemctl._show = show  # type: ignore[method-assign]
    report = restart_services(systemctl, order, sleep=clock.sleep, clock=clock)
    assert [(r.unit, r.downtime) for r in report.restarted] == [("db.service", 1.0)]


def test_restart_timeout_names_unit() -> None:
    systemctl = FakeSystemctl({"db.service": 1.0})
    systemctl.units["db.service"] = ("active", 5, 0)
    order = RestartOrder((("db.service",),), ())
    sleeps: list[float] = []
    # A restart that never finishes: the fake keeps the job queued.
    systemctl._finish_restarts = lambda: None  # type: ignore[method-assign]
    with pytest.raises(LabError) as raised:
        restart_services(systemctl, order, timeout=0.0, sleep=sleeps.append)
    assert "db.service is not active 0 s after the restart" in raised.value.message


class FakeContainer:
    """The archive calls of a lab machine, served from a host folder standing for its root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.put_archives: list[str] = []

    def get_archive(self, path: str) -> tuple[Iterator[bytes], dict[str, object]]:
        local = self.root / path.lstrip("/")
        if not local.exists():
            raise docker.errors.NotFound(f"{path} not found")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.add(local, arcname=local.name)
        return iter([buffer.getvalue()]), {}

    def put_archive(self, path: str, data: bytes) -> bool:
        self.put_archives.append(path)
        return True


class FakeMachine:
    """A lab machine whose file system is a host folder; records writes and commands."""

    name = "slicelab-test"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.container = FakeContainer(root)
        self.written: list[dict[str, FileSpec]] = []
        self.commands: list[list[str]] = []
        self.fail_put = False

    def put_files(self, files: dict[str, FileSpec]) -> None:
        if self.fail_put:
            self.fail_put = False
            raise LabError("copying files into slicelab-test failed")
        self.written.append(files)
        for path, spec in files.items():
            local = self.root / path.lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            content = spec.content if isinstance(spec.content, bytes) else spec.content.encode()
            local.write_bytes(content)
            local.chmod(spec.mode)

    def exec(self, argv: Sequence[str], *, user: bool = False, check: bool = True,
             environment: dict[str, str] | None = None) -> ExecResult:  # fmt: skip
        self.commands.append(list(argv))
        if argv[:3] == ["rm", "-f", "--"]:
            for path in argv[3:]:
                (self.root / path.lstrip("/")).unlink(missing_ok=True)
        elif argv[:4] == ["rm", "-d", "-f", "--"]:
            for path in argv[4:]:
                folder = self.root / path.lstrip("/")
                if folder.is_dir():
                    folder.rmdir()
        elif argv[:3] == ["systemctl", "--user", "is-system-running"]:
            return ExecResult(list(argv), 0, "running\n", "")
        elif argv[0] == "test":
            return ExecResult(list(argv), 1, "", "")
        return ExecResult(list(argv), 0, "", "")


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeMachine:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    root = tmp_path / "machine"
    quadlets = root / QUADLETS.lstrip("/")
    quadlets.mkdir(parents=True)
    for case in DATA.glob("*.container"):
        shutil.copy2(case, quadlets / case.name)
    (quadlets / "crlf-cache.container").chmod(0o640)
    return FakeMachine(root)


def machine_files(machine: FakeMachine) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(machine.root)): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(machine.root.rglob("*"))
        if path.is_file()
    }


def lab_target(machine: FakeMachine) -> LabTarget:
    return LabTarget(machine, "abc123", None, None)  # type: ignore[arg-type]


def apply_in(target: LabTarget) -> object:
    return apply(target.quadlet_dir, target.unit_dir, backup_root=target.backup_root,
                 memory_high="819M", memory_max="1G")  # fmt: skip


def test_mirror_keeps_paths_and_modes(machine: FakeMachine, tmp_path: Path) -> None:
    target = lab_target(machine)
    target.refresh()
    mirrored = tmp_path / "state/slicelab/labs/abc123/mirror" / QUADLETS.lstrip("/")
    assert target.quadlet_dir == mirrored
    assert (mirrored / "crlf-cache.container").stat().st_mode & 0o777 == 0o640
    assert target.shown(f"{mirrored}/x.container") == f"{QUADLETS}/x.container"
    assert target.shown(f"--- a/{mirrored}/x.container") == f"--- a{QUADLETS}/x.container"
    assert str(target.mirror.root) in target.shown(target.description)
    assert not target.unit_dir.exists()


def test_mirror_missing_quadlet_folder(machine: FakeMachine) -> None:
    target = LabTarget(machine, "abc123", "/srv/none", None)  # type: ignore[arg-type]
    with pytest.raises(BadInput) as raised:
        target.refresh()
    assert "folder not found in the lab machine slicelab-test: /srv/none" in raised.value.message


def test_mirror_pushes_only_changes(machine: FakeMachine) -> None:
    target = lab_target(machine)
    target.refresh()
    target.write(lambda: apply_in(target))

    written = {path: spec for batch in machine.written for path, spec in batch.items()}
    assert sorted(written) == [
        f"{QUADLETS}/crlf-cache.container",
        f"{QUADLETS}/media-server.container",
        f"{QUADLETS}/ml-inference.container",
        f"{UNITS}/container.slice.d/memory.conf",
    ]
    assert {spec.uid for spec in written.values()} == {1000}
    assert written[f"{QUADLETS}/crlf-cache.container"].mode == 0o640
    dropin = machine.root / UNITS.lstrip("/") / "container.slice.d/memory.conf"
    assert b"MemoryHigh=819M" in dropin.read_bytes()
    assert target.backup_root.is_dir()


def test_mirror_rollback_restores_machine(machine: FakeMachine) -> None:
    before = machine_files(machine)
    target = lab_target(machine)
    target.refresh()
    target.write(lambda: apply_in(target))

    target.refresh()
    target.write(lambda: rollback(target.quadlet_dir, target.unit_dir,
                                  backup_root=target.backup_root))  # fmt: skip
    assert machine_files(machine) == before
    assert ["rm", "-f", "--", f"{UNITS}/container.slice.d/memory.conf"] in machine.commands
    assert ["rm", "-d", "-f", "--", f"{UNITS}/container.slice.d"] in machine.commands


def test_failed_push_keeps_machine_and_backups(machine: FakeMachine) -> None:
    before = machine_files(machine)
    target = lab_target(machine)
    settings = make_settings(memory_high="819M", memory_max="1G")
    planned = plan_change(target, settings, None)
    machine.fail_put = True
    with pytest.raises(LabError) as raised:
        apply_change(target, planned, None)
    assert "the files there were restored" in raised.value.message
    assert machine_files(machine) == before
    assert list(target.backup_root.rglob("manifest.json")) == []


def test_lab_apply_reloads_then_restarts(
    machine: FakeMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = lab_target(machine)
    events: list[object] = []

    def systemctl(args: Sequence[str], *, check: bool = True) -> str:
        if args == ["is-system-running"]:
            return "running\n"
        events.append(list(args))
        return ""

    def restart(systemctl: object, order: RestartOrder, timeout: float) -> None:
        events.append(order.tiers)

    monkeypatch.setattr(target, "systemctl", lambda: systemctl)
    monkeypatch.setattr("lab.migrate.targets.commands.restart_services", restart)
    planned = plan_change(target, make_settings(memory_high="819M", memory_max="1G"), None)
    applied = apply_change(target, planned, None)

    assert events == [
        ["daemon-reload"],
        (("crlf-cache.service", "media-server.service", "ml-inference.service"),),
    ]
    assert applied.result.changed


class FakeGenerator:
    """A generator that returns a fixed dry run and records the overrides it got."""

    location = "/usr/libexec/podman/quadlet"

    def __init__(self, status: int, stderr: str) -> None:
        self.result = GeneratorRun(status, "", stderr)
        self.runs: list[Mapping[str, bytes]] = []

    def run(self, folder: Path, overrides: Mapping[str, bytes]) -> GeneratorRun:
        self.runs.append(overrides)
        return self.result


def test_validator_names_rejected_file(tmp_path: Path) -> None:
    stderr = ('quadlet-generator[9]: Loading source unit file /x/web.container\n'
              'quadlet-generator[9]: converting "web.container": unsupported key '
              "'Slice' in group 'Container' in /x/web.container\n")  # fmt: skip
    generator = FakeGenerator(1, stderr)
    validate = generator_validator(generator)
    with pytest.raises(BadInput) as raised:
        validate(tmp_path, {tmp_path / "web.container": b"[Container]\nSlice=x\n"})
    assert "web.container: unsupported key 'Slice' in group 'Container'" in raised.value.message
    assert generator.runs == [{"web.container": b"[Container]\nSlice=x\n"}]


def test_validator_accepts_clean_run(tmp_path: Path) -> None:
    validate = generator_validator(FakeGenerator(0, ""))
    validate(tmp_path, {tmp_path / "web.container": b"[Container]\n"})


def test_parse_services_splits_units() -> None:
    output = "---web.service---\n[Unit]\nA=1\n\n---db.service---\n[Service]\nB=2\n"
    assert parse_services(output) == {
        "web.service": "[Unit]\nA=1\n",
        "db.service": "[Service]\nB=2\n",
    }
