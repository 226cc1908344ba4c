"""Tests of the migrate.* tasks: flag checks and the dir target end to end on copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

from lab.tasks import migrate_tasks

DATA = Path(__file__).parent.parent / "data" / "quadlets"


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    quadlets = tmp_path / "quadlets"
    quadlets.mkdir()
    for case in DATA.glob("*.container"):
        shutil.copy2(case, quadlets / case.name)
    return quadlets, tmp_path / "units"


def snapshot(*roots: Path) -> dict[str, bytes | int]:
    """Map every path below roots to its content and mode, to detect any write."""
    found: dict[str, bytes | int] = {}
    for root in roots:
        for path in sorted(root.rglob("*")) if root.exists() else []:
            found[str(path)] = path.read_bytes() if path.is_file() else path.stat().st_mode
            found[f"{path} mode"] = path.stat().st_mode
    return found


def exit_code(task: object, **flags: object) -> int:
    with pytest.raises(Exit) as raised:
        task(Context(), **flags)  # type: ignore[operator]
    return int(raised.value.code)


def test_apply_without_target_exits_2(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    before = snapshot(quadlets, units)
    assert exit_code(migrate_tasks.apply, dir_=str(quadlets), unit_dir=str(units), yes=True) == 2
    assert "--target is required" in capsys.readouterr().err
    assert snapshot(quadlets, units) == before


def test_rollback_without_target_exits_2(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    assert exit_code(migrate_tasks.rollback, dir_=str(quadlets), unit_dir=str(units)) == 2
    assert "hint: pass --target dir" in capsys.readouterr().err


def test_unknown_target_exits_2(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    code = exit_code(migrate_tasks.plan, target="vm", dir_=str(quadlets), unit_dir=str(units))
    assert code == 2
    assert "invalid --target: 'vm'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value"),
    [("memory_high", "8GB2"), ("memory_max", "ten"), ("memory_low", "1GG")],
)
def test_bad_size_names_flag(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    quadlets, units = folders
    flags = {"target": "dir", "dir_": str(quadlets), "unit_dir": str(units), flag: value}
    assert exit_code(migrate_tasks.apply, **flags) == 2
    err = capsys.readouterr().err
    assert f"invalid --{flag.replace('_', '-')}: {value!r}" in err


def test_high_above_max_exits_2(folders: tuple[Path, Path]) -> None:
    quadlets, units = folders
    flags = {"target": "dir", "dir_": str(quadlets), "unit_dir": str(units),
             "memory_high": "12G", "memory_max": "10G"}  # fmt: skip
    assert exit_code(migrate_tasks.plan, **flags) == 2


def test_missing_tier_file_exits_2(folders: tuple[Path, Path], tmp_path: Path) -> None:
    quadlets, units = folders
    flags = {"target": "dir", "dir_": str(quadlets), "unit_dir": str(units),
             "tier_file": str(tmp_path / "missing.txt")}  # fmt: skip
    assert exit_code(migrate_tasks.plan, **flags) == 2


def test_plan_writes_nothing(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    before = snapshot(tmp_path)
    migrate_tasks.plan(Context(), target="dir", dir_=str(quadlets), unit_dir=str(units))
    assert snapshot(tmp_path) == before
    out = capsys.readouterr().out
    assert "will-add-slice" in out
    assert "+Slice=container.slice" in out
    assert "MemoryHigh=8G" in out
    assert "MemoryMax=10G" in out


def test_plan_lists_root_dropins_for_memory_low(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    migrate_tasks.plan(Context(), target="dir", dir_=str(quadlets), unit_dir=str(units),
                       memory_low="1G")  # fmt: skip
    out = capsys.readouterr().out
    assert "MemoryLow=1G on container.slice protects only if every ancestor" in out
    assert "/etc/systemd/system/user@.service.d/50-memory-low.conf" in out


def test_apply_without_yes_writes_nothing(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    before = snapshot(tmp_path)
    migrate_tasks.apply(Context(), target="dir", dir_=str(quadlets), unit_dir=str(units))
    assert snapshot(tmp_path) == before
    assert "Run again with --yes" in capsys.readouterr().out


def test_apply_without_generator_exits_2(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    monkeypatch.setattr("lab.migrate.targets.local.find_host_generator", lambda: None)
    before = snapshot(quadlets, units)
    flags = {"target": "dir", "dir_": str(quadlets), "unit_dir": str(units), "yes": True}
    assert exit_code(migrate_tasks.apply, **flags) == 2
    assert "--no-validate" in capsys.readouterr().err
    assert snapshot(quadlets, units) == before


def test_apply_then_rollback_restores_bytes(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    quadlets, units = folders
    before = snapshot(quadlets, units)
    flags = {"target": "dir", "dir_": str(quadlets), "unit_dir": str(units), "yes": True}

    migrate_tasks.apply(Context(), no_validate=True, **flags)
    applied = capsys.readouterr().out
    assert "changed 3 quadlet files" in applied
    assert "container.slice.d/memory.conf created" in applied
    assert "Only files changed. Next: `systemctl --user daemon-reload`" in applied
    assert b"Slice=container.slice" in (quadlets / "media-server.container").read_bytes()
    assert (units / "container.slice.d" / "memory.conf").is_file()

    migrate_tasks.apply(Context(), no_validate=True, **flags)
    assert "nothing to change" in capsys.readouterr().out

    migrate_tasks.rollback(Context(), **flags)
    assert "Restored 3 files" in capsys.readouterr().out
    assert snapshot(quadlets, units) == before


def test_failed_unit_with_queued_job_is_not_failed() -> None:
    from lab.migrate.restart import FAILED_SECONDS, UnitState, _check_failed

    def no_systemctl(args, *, check=True):  # type: ignore[no-untyped-def]
        raise AssertionError("no error report expected")

    queued = UnitState("a.service", "failed", "failed", "exit-code", 0, 0, job="2294")
    since: dict[str, float] = {}
    _check_failed(no_systemctl, {"a.service": queued}, ["a.service"], since, 0.0)
    _check_failed(no_systemctl, {"a.service": queued}, ["a.service"], since, FAILED_SECONDS + 1)
    assert since == {}
