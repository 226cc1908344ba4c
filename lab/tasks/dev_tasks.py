"""test and lint: what CI runs, runnable the same way on a laptop."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from invoke import task
from invoke.context import Context
from invoke.exceptions import Exit

from lab.paths import REPO

RESULTS = REPO / "results" / "tests"
# pytest's exit status when it collected no test at all: a broken suite, never a pass.
NO_TESTS_COLLECTED = 5


def _phase(c: Context, title: str, command: str) -> int:
    print(f"── {title}", flush=True)
    started = time.monotonic()
    result = c.run(command, warn=True, pty=False)
    status = result.exited if result is not None else 1
    print(f"── {title}: {'ok' if status == 0 else f'exit status {status}'} "
          f"in {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
    return int(status)


@task
def lint(c: Context) -> None:
    """Run ruff and mypy over the package, the tasks and the tests."""
    bin_dir = Path(sys.executable).parent
    status = _phase(c, "ruff", f"{bin_dir}/ruff check lab tests bench tasks.py")
    status |= _phase(c, "mypy", f"{bin_dir}/mypy")
    if status:
        raise Exit(code=1)


@task(help={
    "unit": "run only the unit tests (no podman, no VM)",
    "lint_": "run ruff and mypy first (default on)",
    "keyword": "run only tests whose name matches this pytest -k expression",
})  # fmt: skip
def test(c: Context, unit: bool = False, lint_: bool = True, keyword: str = "") -> None:
    """Run what CI runs: ruff, mypy, unit tests, then integration tests in one shared lab."""
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    if lint_:
        lint(c)
    selection = f"-k '{keyword}'" if keyword else ""
    pytest = f"{bin_dir}/pytest -p no:cacheprovider {selection}"
    status = _phase(c, "unit tests", f"{pytest} tests/unit --junitxml={RESULTS}/unit.xml")
    if not unit:
        status_integration = _phase(
            c, "integration tests (real lab)",
            f"{pytest} -m integration tests/integration --junitxml={RESULTS}/integration.xml",
        )  # fmt: skip
        if status_integration == NO_TESTS_COLLECTED:
            print("no integration test was collected", file=sys.stderr)
        status = status or status_integration
    print(f"── all tests: {'passed' if status == 0 else 'FAILED'} in "
          f"{time.monotonic() - started:.0f} s; JUnit XML in {RESULTS}", flush=True)  # fmt: skip
    if status:
        raise Exit(code=1)
    if os.environ.get("CI") == "true":
        print("CI=true: integration skips other than the allowed ones count as failures")
