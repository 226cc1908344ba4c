"""Tests of planning, applying and rolling back the container.slice change on files."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.errors import BadInput
from lab.migrate import ApplyResult, FilePlan, FileStatus, Validator, apply, plan, rollback
from lab.migrate.backup import MANIFEST_NAME, backups_folder, newest_backup
from lab.migrate.files import sha256
from lab.quadlet import UnitFile

DATA = Path(__file__).parent.parent / "data" / "quadlets"
CLOCK = datetime(2025, 6, 1, 12, 30, 45)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    quadlets = tmp_path / "config" / "containers" / "systemd"
    quadlets.mkdir(parents=True)
    for case in DATA.glob("*.container"):
        shutil.copy2(case, quadlets / case.name)
    return quadlets, tmp_path / "config" / "systemd" / "user", tmp_path / "state" / "backups"


def snapshot(*roots: Path) -> dict[str, bytes | str]:
    """Map every path below roots to its content (or symlink target) to detect any write."""
    found: dict[str, bytes | str] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                found[str(path)] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[str(path)] = path.read_bytes()
            else:
                found[str(path)] = "folder"
    return found


def text(data: bytes | None) -> str:
    assert data is not None
    return data.decode()


def backup_of(result: ApplyResult) -> Path:
    assert result.backup is not None
    return result.backup


def run_apply(
    quadlets: Path, units: Path, backups: Path, validate: Validator | None = None
) -> ApplyResult:
    return apply(
        quadlets,
        units,
        backup_root=backups,
        validate=validate,
        now=lambda: CLOCK,
        memory_high="8G",
        memory_max="10G",
    )


def file_plan(
    quadlets: Path,
    name: str,
    replace_existing: bool = False,
    extra_service_keys: tuple[str, ...] = (),
) -> FilePlan:
    migration = plan(
        quadlets,
        quadlets.parent,
        memory_high="8G",
        memory_max="10G",
        replace_existing=replace_existing,
        extra_service_keys=extra_service_keys,
    )
    return next(f for f in migration.files if f.path.name == name)


# Plan


def test_plan_statuses_of_real_cases(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    migration = plan(quadlets, units, memory_high="8G", memory_max="10G")
    statuses = {f.path.name: f.status for f in migration.files}
    assert statuses == {
        "crlf-cache.container": FileStatus.WILL_ADD_SLICE,
        "media-server.container": FileStatus.WILL_ADD_SLICE,
        "ml-inference.container": FileStatus.NO_SERVICE_SECTION,
        "reverse-proxy.container": FileStatus.OTHER_SLICE_CONFLICT,
    }


def test_plan_adds_one_line_to_media_server(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    planned = file_plan(quadlets, "media-server.container")
    old = text(planned.old)
    new = text(planned.new)
    # The line goes after the last key of [Service] (MemoryHigh=7G), before [Install].
    assert new == old.replace("MemoryHigh=7G\n", "MemoryHigh=7G\nSlice=container.slice\n")
    assert planned.changes == ("Slice=container.slice",)
    assert "+Slice=container.slice" in planned.diff
    assert planned.service == "media-server.service"


def test_plan_keeps_other_slice(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    planned = file_plan(quadlets, "reverse-proxy.container")
    assert not planned.is_changed
    assert planned.diff == ""
    assert "Slice=app.slice" in planned.detail
    assert planned.skipped


def test_plan_replaces_other_slice_in_place(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    planned = file_plan(quadlets, "reverse-proxy.container", replace_existing=True)
    old = text(planned.old)
    new = text(planned.new)
    assert planned.status is FileStatus.OTHER_SLICE_CONFLICT
    assert new == old.replace("Slice=app.slice\n", "Slice=container.slice\n")
    assert new.count("Slice=") == 1


def test_plan_adds_service_section(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    planned = file_plan(quadlets, "ml-inference.container")
    assert text(planned.new) == text(planned.old) + "\n[Service]\nSlice=container.slice\n"
    assert UnitFile.parse(text(planned.new)).get("Service", "Slice") == ["container.slice"]


def test_plan_keeps_crlf(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    planned = file_plan(quadlets, "crlf-cache.container")
    assert text(planned.new) == text(planned.old) + "Slice=container.slice\r\n"


def test_plan_already_migrated(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    (quadlets / "done.container").write_text(
        "[Container]\nImage=x\n[Service]\nSlice=container.slice\n"
    )
    planned = file_plan(quadlets, "done.container")
    assert planned.status is FileStatus.ALREADY_MIGRATED
    assert not planned.is_changed


def test_plan_slice_from_dropin_is_not_edited(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    dropins = quadlets / "media-server.container.d"
    dropins.mkdir()
    (dropins / "10-slice.conf").write_text("[Service]\nSlice=other.slice\n")
    planned = file_plan(quadlets, "media-server.container", replace_existing=True)
    assert planned.status is FileStatus.OTHER_SLICE_CONFLICT
    assert not planned.is_changed
    assert "10-slice.conf:2" in planned.detail


def test_plan_flags_pod_member(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    (quadlets / "member.container").write_text("[Container]\nImage=x\nPod=app.pod\n")
    planned = file_plan(quadlets, "member.container")
    assert planned.joins_pod == "app.pod"
    assert planned.labels == ("no-service-section", "joins-pod")


def test_plan_covers_pod_and_kube_only(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    (quadlets / "app.pod").write_text("[Pod]\nPodName=app\n")
    (quadlets / "site.kube").write_text("[Kube]\nYaml=site.yaml\n")
    (quadlets / "web.network").write_text("[Network]\n")
    (quadlets / "data.volume").write_text("[Volume]\n")
    names = {
        f.path.name: f.service
        for f in plan(quadlets, units, memory_high="8G", memory_max="10G").files
    }
    assert names["app.pod"] == "app-pod.service"
    assert names["site.kube"] == "site.service"
    assert "web.network" not in names
    assert "data.volume" not in names


def test_plan_unreadable_file_names_line(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    (quadlets / "broken.container").write_bytes(b"[Container]\nImage=x\n[Service\n")
    planned = next(
        f
        for f in plan(quadlets, units, memory_high="8G", memory_max="10G").files
        if f.path.name == "broken.container"
    )
    assert planned.status is FileStatus.UNREADABLE
    assert f"{quadlets / 'broken.container'}:3:" in planned.detail
    assert planned.blockers


def test_plan_dropin_content(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    migration = plan(quadlets, units, memory_high="8G", memory_max="10G")
    dropin = migration.dropin
    assert dropin.path == units / "container.slice.d" / "memory.conf"
    assert dropin.old is None
    body = UnitFile.parse(dropin.new)
    assert body.get("Slice", "MemoryHigh") == ["8G"]
    assert body.get("Slice", "MemoryMax") == ["10G"]
    assert body.get("Slice", "MemoryLow") == []
    assert "+MemoryMax=10G" in dropin.diff
    assert migration.root_dropins == ()


def test_plan_memory_low_needs_ancestors(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    migration = plan(quadlets, units, memory_high="8G", memory_max="10G", memory_low="2G")
    assert UnitFile.parse(migration.dropin.new).get("Slice", "MemoryLow") == ["2G"]
    assert any("MemoryLow=2G" in w and "ancestor" in w for w in migration.warnings)
    paths = {str(d.path.parent) for d in migration.root_dropins}
    assert paths == {
        "/etc/systemd/system/user.slice.d",
        "/etc/systemd/system/user-.slice.d",
        "/etc/systemd/system/user@.service.d",
    }
    for dropin in migration.root_dropins:
        assert "MemoryLow=2G" in dropin.content


def test_plan_warns_about_backup_subfolder(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    (quadlets / ".backup-20250101-120000").mkdir()
    (quadlets / "media-server.container.d").mkdir()
    warnings = plan(quadlets, units, memory_high="8G", memory_max="10G").warnings
    assert len(warnings) == 1
    assert ".backup-20250101-120000" in warnings[0]
    assert "live" in warnings[0]


def test_plan_extra_keys_idempotent(folders: tuple[Path, Path, Path]) -> None:
    quadlets, _, _ = folders
    extra = ("ManagedOOMPreference=avoid", "OOMPolicy=kill")
    proxy = file_plan(quadlets, "reverse-proxy.container", extra_service_keys=extra)
    # OOMPolicy=kill is already there: only the preference is added, Slice= is kept.
    assert proxy.changes == ("ManagedOOMPreference=avoid",)
    assert text(proxy.new).count("OOMPolicy=kill") == 1
    media = file_plan(quadlets, "media-server.container", extra_service_keys=extra)
    lines = text(media.new).splitlines()
    start = lines.index("Slice=container.slice")
    assert lines[start : start + 3] == [
        "Slice=container.slice",
        "ManagedOOMPreference=avoid",
        "OOMPolicy=kill",
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"memory_high": "12G", "memory_max": "10G"},
        {"memory_high": "8G", "memory_max": "10G", "memory_low": "9G"},
        {"memory_high": "8GG", "memory_max": "10G"},
        {"memory_high": "8G", "memory_max": "10G", "slice_name": "container"},
        {"memory_high": "8G", "memory_max": "10G", "dropin_name": "memory"},
        {"memory_high": "8G", "memory_max": "10G", "extra_service_keys": ["OOMPolicy"]},
        {"memory_high": "8G", "memory_max": "10G", "extra_service_keys": ["Slice=x.slice"]},
    ],
    ids=[
        "high-above-max",
        "low-above-high",
        "bad-size",
        "slice-name",
        "dropin-name",
        "extra-no-value",
        "extra-slice",
    ],
)
def test_plan_rejects_invalid_settings(tmp_path: Path, options: dict[str, object]) -> None:
    with pytest.raises(BadInput):
        plan(tmp_path, tmp_path, **options)  # type: ignore[arg-type]


def test_plan_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="quadlet folder not found"):
        plan(tmp_path / "missing", tmp_path, memory_high="8G", memory_max="10G")


# Apply


def test_apply_writes_files_backup_and_dropin(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    before = {p.name: p.read_bytes() for p in quadlets.iterdir()}
    planned = plan(quadlets, units, memory_high="8G", memory_max="10G")
    result = run_apply(quadlets, units, backups)

    assert sorted(p.name for p in result.changed_files) == [
        "crlf-cache.container",
        "media-server.container",
        "ml-inference.container",
    ]
    assert sorted(result.changed_units) == [
        "crlf-cache.service",
        "media-server.service",
        "ml-inference.service",
    ]
    for file in planned.files:
        assert file.path.read_bytes() == file.new
    assert (quadlets / "reverse-proxy.container").read_bytes() == before["reverse-proxy.container"]
    assert result.dropin.read_bytes() == planned.dropin.new
    assert result.dropin_created
    assert result.backup == backups_folder(backups, quadlets) / "20250601-123045"
    for name, content in before.items():
        assert (backup_of(result) / "quadlets" / name).read_bytes() == content


def test_apply_manifest_hashes(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    result = run_apply(quadlets, units, backups)
    manifest = json.loads((backup_of(result) / MANIFEST_NAME).read_text())
    assert manifest["dropin_created"] is True
    assert manifest["quadlet_dir"] == str(quadlets.resolve())
    for entry in manifest["files"]:
        assert entry["sha256_after"] == sha256((quadlets / entry["path"]).read_bytes())
        backup_copy = backup_of(result) / "quadlets" / entry["path"]
        assert entry["sha256_before"] == sha256(backup_copy.read_bytes())


def test_apply_keeps_mode_and_backup_times(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    media = quadlets / "media-server.container"
    media.chmod(0o640)
    os.utime(media, (1_600_000_000, 1_600_000_000))
    result = run_apply(quadlets, units, backups)
    assert stat.S_IMODE(media.stat().st_mode) == 0o640
    copy = backup_of(result) / "quadlets" / "media-server.container"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o640
    assert copy.stat().st_mtime == 1_600_000_000


def test_apply_backup_keeps_symlinks(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    (quadlets / "alias.container").symlink_to("media-server.container")
    result = run_apply(quadlets, units, backups)
    copy = backup_of(result) / "quadlets" / "alias.container"
    assert copy.is_symlink()
    assert os.readlink(copy) == "media-server.container"
    assert (quadlets / "alias.container").is_symlink()
    assert (quadlets / "media-server.container").read_text().count("Slice=container.slice") == 1


def test_apply_twice_changes_nothing(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    run_apply(quadlets, units, backups)
    after_first = snapshot(quadlets, units, backups)
    second = run_apply(quadlets, units, backups)
    assert not second.changed
    assert second.backup is None
    assert "nothing to change" in second.summary()
    assert snapshot(quadlets, units, backups) == after_first


def test_apply_replaces_different_dropin(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    run_apply(quadlets, units, backups)
    result = apply(quadlets, units, backup_root=backups, memory_high="6G", memory_max="7G")
    assert result.dropin_changed
    assert not result.dropin_created
    assert result.changed_files == ()
    assert "MemoryMax=7G" in result.dropin.read_text()


def test_apply_rejects_backup_inside_folder(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, _ = folders
    before = snapshot(quadlets, units)
    with pytest.raises(BadInput, match="inside the quadlet folder"):
        run_apply(quadlets, units, quadlets / ".backup")
    assert snapshot(quadlets, units) == before


def blocked_by_parse_error(quadlets: Path) -> tuple[str, int]:
    (quadlets / "broken.container").write_bytes(b"[Container]\nImage=x\nExec=a \\")
    return "broken.container", 3


def blocked_by_non_utf8(quadlets: Path) -> tuple[str, int]:
    (quadlets / "latin.container").write_bytes(b"[Unit]\nDescription=caf\xe9\n")
    return "latin.container", 2


def blocked_by_read_only(quadlets: Path) -> tuple[str, int]:
    (quadlets / "media-server.container").chmod(0o444)
    return "media-server.container", 0


def blocked_by_outside_symlink(quadlets: Path) -> tuple[str, int]:
    outside = quadlets.parent / "elsewhere.container"
    outside.write_text("[Container]\nImage=x\n")
    (quadlets / "linked.container").symlink_to(outside)
    return "linked.container", 0


@pytest.mark.parametrize(
    "make_problem",
    [blocked_by_parse_error, blocked_by_non_utf8, blocked_by_read_only, blocked_by_outside_symlink],
    ids=["parse-error", "non-utf8", "read-only", "outside-symlink"],
)
def test_apply_all_or_nothing(
    folders: tuple[Path, Path, Path], make_problem: Callable[[Path], tuple[str, int]]
) -> None:
    quadlets, units, backups = folders
    name, line = make_problem(quadlets)
    before = snapshot(quadlets, units, backups, quadlets.parent)
    with pytest.raises(BadInput) as caught:
        run_apply(quadlets, units, backups)
    message = caught.value.message
    assert "nothing was written" in message
    assert name in message
    if line:
        assert f"{name}:{line}:" in message
    assert snapshot(quadlets, units, backups, quadlets.parent) == before
    assert not backups.exists()


def test_apply_lists_every_blocker(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    blocked_by_parse_error(quadlets)
    blocked_by_non_utf8(quadlets)
    with pytest.raises(BadInput) as caught:
        run_apply(quadlets, units, backups)
    assert "broken.container:3:" in caught.value.message
    assert "latin.container:2:" in caught.value.message


def test_apply_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not found"):
        run_apply(tmp_path / "missing", tmp_path / "units", tmp_path / "backups")
    assert not (tmp_path / "backups").exists()


def test_apply_validator_rejection_writes_nothing(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    seen: dict[Path, bytes] = {}
    before = snapshot(quadlets, units, backups)

    def reject(folder: Path, contents: Mapping[Path, bytes]) -> None:
        assert folder == quadlets
        seen.update(contents)
        raise BadInput("quadlet -dryrun rejected media-server.container")

    with pytest.raises(BadInput, match="dryrun"):
        run_apply(quadlets, units, backups, validate=reject)
    assert snapshot(quadlets, units, backups) == before
    media = (quadlets / "media-server.container").resolve()
    assert b"Slice=container.slice" in seen[media]
    assert (quadlets / "reverse-proxy.container").resolve() not in seen


QUADLET = st.builds(
    lambda service, slice_line, ending, final: (
        ending.join(
            [
                "[Container]",
                "Image=docker.io/library/redis:7",
                *(["[Service]", slice_line] if service else []),
            ]
        )
        + (ending if final else "")
    ),
    st.booleans(),
    st.sampled_from(["Restart=always", "Slice=container.slice", "# Slice=app.slice", ""]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUADLET)
def test_apply_idempotent_on_generated(text: str) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        quadlets, units, backups = root / "q", root / "u", root / "b"
        quadlets.mkdir()
        (quadlets / "gen.container").write_bytes(text.encode())
        first = apply(quadlets, units, backup_root=backups, memory_high="8G", memory_max="10G")
        written = (quadlets / "gen.container").read_bytes()
        second = apply(quadlets, units, backup_root=backups, memory_high="8G", memory_max="10G")
        assert not second.changed
        assert (quadlets / "gen.container").read_bytes() == written
        assert UnitFile.parse(written).get_last("Service", "Slice") == "container.slice"
        assert (first.backup is None) == (not first.changed)


# Rollback


def test_rollback_restores_byte_identical(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    before = snapshot(quadlets, units)
    applied = run_apply(quadlets, units, backups)
    result = rollback(quadlets, units, backup_root=backups)
    assert result.backup == applied.backup
    assert sorted(result.changed_units) == sorted(applied.changed_units)
    assert result.dropin_removed
    # The drop-in folder is gone too; the unit folder itself stays (apply created it).
    assert snapshot(quadlets, units) == before
    assert not (units / "container.slice.d").exists()


def test_rollback_twice_changes_nothing(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    run_apply(quadlets, units, backups)
    rollback(quadlets, units, backup_root=backups)
    second = rollback(quadlets, units, backup_root=backups)
    assert not second.changed
    assert len(second.unchanged_files) == 3


def test_rollback_refuses_edited_file(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    run_apply(quadlets, units, backups)
    media = quadlets / "media-server.container"
    media.write_text(media.read_text() + "# edited later\n")
    before = snapshot(quadlets, units)
    with pytest.raises(BadInput) as caught:
        rollback(quadlets, units, backup_root=backups)
    assert str(media) in caught.value.message
    assert "crlf-cache.container" not in caught.value.message
    assert "force" in (caught.value.hint or "")
    assert snapshot(quadlets, units) == before


def test_rollback_force_restores_edited(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    original = (quadlets / "media-server.container").read_bytes()
    run_apply(quadlets, units, backups)
    (quadlets / "media-server.container").write_text("[Container]\nImage=y\n")
    rollback(quadlets, units, backup_root=backups, force=True)
    assert (quadlets / "media-server.container").read_bytes() == original


def test_rollback_keep_dropin(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    applied = run_apply(quadlets, units, backups)
    result = rollback(quadlets, units, backup_root=backups, keep_dropin=True)
    assert not result.dropin_removed
    assert applied.dropin.is_file()


def test_rollback_restores_replaced_dropin(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    dropin = units / "container.slice.d" / "memory.conf"
    dropin.parent.mkdir(parents=True)
    dropin.write_text("[Slice]\nMemoryMax=4G\n")
    applied = run_apply(quadlets, units, backups)
    assert not applied.dropin_created
    result = rollback(quadlets, units, backup_root=backups)
    assert result.dropin_restored
    assert dropin.read_text() == "[Slice]\nMemoryMax=4G\n"


def test_rollback_uses_newest_backup(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    run_apply(quadlets, units, backups)
    rollback(quadlets, units, backup_root=backups)
    second = run_apply(quadlets, units, backups)
    assert second.backup is not None
    assert second.backup.name == "20250601-123045-2"
    assert newest_backup(backups, quadlets) == second.backup


def test_rollback_without_backup(folders: tuple[Path, Path, Path]) -> None:
    quadlets, units, backups = folders
    with pytest.raises(BadInput, match="no backup"):
        rollback(quadlets, units, backup_root=backups)


def test_rollback_rejects_other_folder(folders: tuple[Path, Path, Path], tmp_path: Path) -> None:
    quadlets, units, backups = folders
    applied = run_apply(quadlets, units, backups)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(BadInput, match="was made for the quadlet folder"):
        rollback(other, units, backup=applied.backup)
