"""Booting the VM again after a guest kernel panic, and only then."""

from __future__ import annotations

from typing import Any

import pytest

from lab.errors import LabError
from lab.host import vm

PANIC_TAIL = "[    1.068794] Kernel panic - not syncing: Fatal exception in interrupt"


def _fake_boots(monkeypatch: pytest.MonkeyPatch, failures: list[Exception]) -> list[int]:
    calls: list[int] = []

    def boot_once(*_: Any) -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "host"

    monkeypatch.setattr(vm, "_boot_once", boot_once)
    return calls


def test_panic_boots_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_boots(monkeypatch, [vm.GuestPanic("the VM exited during boot", hint=PANIC_TAIL)])
    assert vm.boot_vm(None, 4096, 2) == "host"  # type: ignore[arg-type]
    assert len(calls) == 2


def test_panic_gives_up_after_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    panics: list[Exception] = [vm.GuestPanic("exited", hint=PANIC_TAIL) for _ in range(vm.BOOT_ATTEMPTS)]
    calls = _fake_boots(monkeypatch, panics)
    with pytest.raises(vm.GuestPanic):
        vm.boot_vm(None, 4096, 2)  # type: ignore[arg-type]
    assert len(calls) == vm.BOOT_ATTEMPTS


def test_other_failure_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_boots(monkeypatch, [LabError("the VM exited during boot", hint="no panic here")])
    with pytest.raises(LabError):
        vm.boot_vm(None, 4096, 2)  # type: ignore[arg-type]
    assert len(calls) == 1
