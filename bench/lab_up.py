"""Benchmark `lab.up`: a cold start (empty cache) and a warm one, split into phases.

Run it with no lab running: `.venv/bin/python bench/lab_up.py [--host vm|local]`. The cold run
uses a temporary cache folder, so the user's cache is neither used nor changed. It prints the
seconds of each phase and the warm/cold ratio measured in this one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab import lifecycle
from lab.log import TIMINGS, setup_logging

PHASES = {
    "VM build": ("Building the VM", "Packing", "Configuring the VM", "Writing the VM disk"),
    "image build": ("Baking", "Importing", "Building the lab image"),
    "VM boot": ("Booting the VM",),
    "machine boot": ("Creating lab machine", "Booting systemd"),
    "services ready": ("Waiting for the services",),
}


def measure(host: str | None) -> tuple[float, dict[str, float]]:
    TIMINGS.clear()
    started = time.monotonic()
    lifecycle.up(host, "fedora-42", 3 << 30, 800 << 20)
    total = time.monotonic() - started
    lifecycle.down()
    phases = {name: 0.0 for name in PHASES}
    for title, seconds, depth in TIMINGS:
        if depth > 0:
            continue  # inside a step already counted, e.g. the VM boot of a bake
        for name, prefixes in PHASES.items():
            if title.startswith(prefixes):
                phases[name] += seconds
    return total, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", choices=("vm", "local"), default=None)
    args = parser.parse_args()
    setup_logging()
    with tempfile.TemporaryDirectory(prefix="slicelab-bench-cache-") as cache:
        previous = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            cold_total, cold = measure(args.host)
            warm_total, warm = measure(args.host)
        finally:
            if previous is None:
                os.environ.pop("XDG_CACHE_HOME")
            else:
                os.environ["XDG_CACHE_HOME"] = previous
    print(f"{'phase':<16}{'cold s':>10}{'warm s':>10}")
    for name in PHASES:
        print(f"{name:<16}{cold[name]:>10.1f}{warm[name]:>10.1f}")
    print(f"{'total':<16}{cold_total:>10.1f}{warm_total:>10.1f}")
    print(f"warm/cold ratio: {warm_total / cold_total:.2f}")


if __name__ == "__main__":
    main()
