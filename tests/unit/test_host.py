from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import BadInput, LabError
from lab.host import detect, vm, vmdisk
from lab.host.qemu import Accel, VmSpec, kernel_append, qemu_argv


def _spec(accel: Accel = Accel.TCG) -> VmSpec:
    folder = Path("/state/vm")
    return VmSpec(
        name="slicelab-vm-abc", kernel=Path("/cache/vmlinuz"), initrd=Path("/cache/initrd.img"),
        disk=folder / "overlay.qcow2", disk_format="qcow2", memory_mib=4096, cpus=2, accel=accel,
        api_port=41234, serial_log=folder / "serial.log", pidfile=folder / "qemu.pid",
        qmp_socket=folder / "qmp.sock",
    )  # fmt: skip


def _option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_qemu_forward_is_loopback_only_and_guest_restricted() -> None:
    nic = _option(qemu_argv(_spec()), "-nic")
    assert "restrict=on" in nic.split(",")
    assert "hostfwd=tcp:127.0.0.1:41234-:8888" in nic.split(",")


def test_qemu_accel_and_memory() -> None:
    tcg = qemu_argv(_spec(Accel.TCG))
    kvm = qemu_argv(_spec(Accel.KVM))
    assert _option(tcg, "-accel").startswith("tcg")
    assert _option(kvm, "-accel") == "kvm"
    assert _option(kvm, "-cpu") == "host"
    assert _option(tcg, "-m") == "4096"
    assert _option(tcg, "-name") == "slicelab-vm-abc"
    assert "-daemonize" in tcg


def test_kernel_arguments_enable_psi_and_cgroup_v2() -> None:
    args = kernel_append(_spec()).split()
    assert "psi=1" in args
    assert "systemd.unified_cgroup_hierarchy=1" in args
    assert "root=/dev/vda" in args


def test_requested_kind_rejects_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLICELAB_HOST", raising=False)
    with pytest.raises(BadInput) as caught:
        detect.requested_kind("cloud")
    assert caught.value.exit_code == 2
    monkeypatch.setenv("SLICELAB_HOST", "VM")
    assert detect.requested_kind(None) == "vm"
    assert detect.requested_kind("local") == "local"


def test_auto_picks_local_when_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLICELAB_HOST", raising=False)
    choice = detect.choose_host(None, why_not_local=lambda: None)
    assert choice.kind == "local"


def test_auto_falls_back_to_vm_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLICELAB_HOST", raising=False)
    monkeypatch.setattr(detect.shutil, "which", lambda name: "/usr/bin/" + name)
    choice = detect.choose_host("auto", why_not_local=lambda: "PSI is off")
    assert choice.kind == "vm"
    assert "PSI is off" in choice.reason


def test_local_refused_when_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LabError) as caught:
        detect.choose_host("local", why_not_local=lambda: "no cgroup v2")
    assert "no cgroup v2" in caught.value.message
    assert caught.value.hint is not None and "--host vm" in caught.value.hint


def test_vm_needs_qemu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect.shutil, "which", lambda name: None)
    with pytest.raises(LabError) as caught:
        detect.choose_host("vm", why_not_local=lambda: "x")
    assert "qemu" in caught.value.message


def test_vm_cache_key_follows_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    first = vmdisk.cache_key()
    assert first == vmdisk.cache_key()
    monkeypatch.setattr(vmdisk, "PACKAGES", (*vmdisk.PACKAGES, "htop"))
    assert vmdisk.cache_key() != first


def test_vm_packages_cover_the_lab() -> None:
    for package in ("systemd-oomd", "podman", "crun", "passt", "uidmap", "nftables", "python3"):
        assert package in vmdisk.PACKAGES


def test_vm_names_belong_to_their_state_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "one"))
    first = vm.vm_name("abc")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "two"))
    second = vm.vm_name("abc")
    assert first != second
    assert second.startswith(vm.vm_name_prefix())
    assert not first.startswith(vm.vm_name_prefix())
