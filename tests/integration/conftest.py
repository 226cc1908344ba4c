"""One lab shared by every integration test; tests/integration/test_zz_down.py stops it last."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from lab import lifecycle
from lab.host import local
from lab.host.detect import requested_kind
from lab.log import setup_logging
from tests.conftest import skip_or_fail

LAB_MEMORY = 3 << 30
LAB_SWAP = 800 << 20


def _missing_tools() -> str | None:
    kind = requested_kind(None)
    if kind == "local" or (kind == "auto" and local.usable_reason() is None):
        return None if shutil.which("podman") else "podman is not installed"
    missing = [tool for tool in ("qemu-system-x86_64", "qemu-img", "debootstrap")
               if not shutil.which(tool) and not shutil.which(tool, path="/usr/sbin:/sbin")]  # fmt: skip
    return f"the VM host needs {', '.join(missing)}" if missing else None


@pytest.fixture(scope="session")
def lab() -> Iterator[lifecycle.Lab]:
    missing = _missing_tools()
    if missing:
        skip_or_fail(missing)
    setup_logging()
    started = lifecycle.up(None, "fedora-42", LAB_MEMORY, LAB_SWAP)
    yield started
    # SLICELAB_KEEP_LAB=1 leaves a lab that was already up running, for iterating on tests.
    if os.environ.get("SLICELAB_KEEP_LAB") != "1":
        lifecycle.down()
