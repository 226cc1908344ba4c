"""Pods in the container.slice change: the infra container's cgroup parent, and stray pods."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.migrate.plan import FilePlan, MigrationPlan, plan


def planned(folder: Path, files: dict[str, str]) -> MigrationPlan:
    for name, text in files.items():
        (folder / name).write_text(text)
    return plan(folder, folder / "units", memory_high="8G", memory_max="10G")


def pod_plan(folder: Path, text: str) -> FilePlan:
    (file,) = planned(folder, {"app.pod": text}).files
    assert file.new is not None
    return file


def test_pod_gets_cgroup_parent(tmp_path: Path) -> None:
    pod = pod_plan(tmp_path, "[Pod]\nPodName=app\n")
    assert pod.new is not None
    assert pod.new.decode() == (
        "[Pod]\nPodName=app\nPodmanArgs=--cgroup-parent=container.slice\n"
        "\n[Service]\nSlice=container.slice\n"
    )
    assert "PodmanArgs=--cgroup-parent=container.slice" in pod.changes


@pytest.mark.parametrize(
    "args", ["--cgroup-parent=container.slice", "--cgroup-parent container.slice --infra=true"]
)
def test_pod_parent_already_set(tmp_path: Path, args: str) -> None:
    text = f"[Pod]\nPodmanArgs={args}\n[Service]\nSlice=container.slice\n"
    pod = pod_plan(tmp_path, text)
    assert not pod.is_changed
    assert pod.skipped == ()


def test_pod_other_parent_is_kept(tmp_path: Path) -> None:
    text = "[Pod]\nPodmanArgs=--cgroup-parent=media.slice\n"
    pod = pod_plan(tmp_path, text)
    assert pod.new is not None
    assert b"--cgroup-parent=container.slice" not in pod.new
    assert pod.skipped == ("PodmanArgs=--cgroup-parent=media.slice sets another cgroup parent "
                           "(kept; edit it by hand)",)  # fmt: skip


def test_member_of_defined_pod_not_warned(tmp_path: Path) -> None:
    result = planned(tmp_path, {"app.pod": "[Pod]\n", "web.container": "[Container]\nImage=x\nPod=app.pod\n"})
    assert result.warnings == ()


def test_member_of_outside_pod_warned(tmp_path: Path) -> None:
    result = planned(tmp_path, {"web.container": "[Container]\nImage=x\nPod=legacy\n"})
    (warning,) = result.warnings
    assert warning.startswith("web.container joins pod legacy, which no .pod file here defines")
    assert "--cgroup-parent=container.slice" in warning
