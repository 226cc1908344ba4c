"""Sample memory and pressure of the lab user's slices and units as JSON lines, once a second.

Runs as root inside the lab machine and only reads cgroup and /proc files. Each line is one
sample: {"t": seconds since start, "cgroups": {path: {...}}, "mem_available", "swap_total",
"swap_free"}, with cgroup paths as the lab machine sees them (its cgroup namespace root is /).

Usage: sampler.py OUTPUT [INTERVAL_SECONDS]
"""

import json
import os
import sys
import time

CGROUP_ROOT = "/sys/fs/cgroup"
USER_MANAGER = "/user.slice/user-1000.slice/user@1000.service"
EXTRA = ("/system.slice", "/user.slice")


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def limit(text):
    if text is None:
        return None
    text = text.strip()
    return None if text == "max" else int(text)


def keyed(text):
    values = {}
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values


def pressure(text):
    result = {}
    for line in (text or "").splitlines():
        kind, *fields = line.split()
        for field in fields:
            key, _, value = field.partition("=")
            result[f"{kind}_{key}"] = float(value)
    return result


def sample_cgroup(path):
    base = CGROUP_ROOT + path
    current = read(base + "/memory.current")
    if current is None:
        return None
    psi = pressure(read(base + "/memory.pressure"))
    stat = keyed(read(base + "/memory.stat"))
    events = keyed(read(base + "/memory.events"))
    return {
        "memory_current": int(current),
        "memory_high": limit(read(base + "/memory.high")),
        "memory_max": limit(read(base + "/memory.max")),
        "memory_swap_current": limit(read(base + "/memory.swap.current")),
        "some_avg10": psi.get("some_avg10", 0.0),
        "full_avg10": psi.get("full_avg10", 0.0),
        "full_total": int(psi.get("full_total", 0)),
        "pgscan": stat.get("pgscan", 0),
        "oom_kill": events.get("oom_kill", 0),
        "high": events.get("high", 0),
    }


def cgroups():
    """The user manager, its slices, every unit under them (services, scopes), and extras."""
    paths = [USER_MANAGER, *EXTRA]
    for slice_name in sorted(os.listdir(CGROUP_ROOT + USER_MANAGER)):
        slice_path = f"{USER_MANAGER}/{slice_name}"
        if not slice_name.endswith(".slice"):
            continue
        paths.append(slice_path)
        for unit in sorted(os.listdir(CGROUP_ROOT + slice_path)):
            if unit.endswith((".service", ".scope", ".slice")):
                paths.append(f"{slice_path}/{unit}")
    return paths


def meminfo():
    fields = {}
    for line in (read("/proc/meminfo") or "").splitlines():
        key, _, value = line.partition(":")
        fields[key] = int(value.split()[0]) * 1024
    return fields


def main(output, interval):
    started = time.monotonic()
    with open(output, "a", buffering=1) as out:
        while True:
            info = meminfo()
            sample = {
                "t": round(time.monotonic() - started, 3),
                "wall": time.time(),
                "cgroups": {},
                "mem_available": info.get("MemAvailable", 0),
                "swap_total": info.get("SwapTotal", 0),
                "swap_free": info.get("SwapFree", 0),
                # The sampler's own CPU seconds, so a run can report its overhead.
                "sampler_cpu": round(sum(os.times()[:2]), 3),
            }
            for path in cgroups():
                values = sample_cgroup(path)
                if values is not None:
                    sample["cgroups"][path] = values
            out.write(json.dumps(sample, separators=(",", ":")) + "\n")
            time.sleep(max(0.0, interval - (time.monotonic() - started) % interval))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
