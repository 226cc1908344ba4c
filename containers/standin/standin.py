"""A stand-in for a real service: it holds resident memory the way the service it models does.

Run as a container's entry point with the service's name, it reads the service's profile from
/etc/standin/profiles.json and keeps its cgroup's memory.current near the profile's target by
allocating memory and touching every page; it re-reads its working set now and then, so
reclaim and swap cost it real stalls. Other modes add load next to it (`podman exec`):

    standin.py NAME                          hold NAME's profile until stopped
    standin.py hold BYTES [SECONDS]          hold BYTES more (forever without SECONDS)
    standin.py leak BYTES_PER_S MAX_BYTES    grow by BYTES_PER_S up to MAX_BYTES, then hold
    standin.py read PATH BYTES               write PATH once, then read BYTES of it in a loop

With STANDIN_ARMED=1 in its environment, a burst catches SIGUSR1 and waits for it before it
allocates, so a phase's bursts in several containers can start at the same moment.

Only the standard library is used, and only a few modules, so the image stays small.
"""

import json
import os
import signal
import sys
import time

PAGE = 4096
PROFILES = "/etc/standin/profiles.json"
CGROUP_MEMORY = "/sys/fs/cgroup/memory.current"
RETOUCH_SECONDS = 5.0
TOP_UP_TOLERANCE = 1 << 20


def touch(size):
    """Allocate size bytes and write one byte on every page, so each page is really resident."""
    block = bytearray(size)
    block[::PAGE] = b"\x01" * len(range(0, size, PAGE))
    return block


def retouch(blocks):
    """Read one byte of every page again: swapped-out pages fault back in, like a working set."""
    total = 0
    for block in blocks:
        total += sum(block[::PAGE])
    return total


def cgroup_memory():
    try:
        with open(CGROUP_MEMORY) as handle:
            return int(handle.read())
    except OSError:
        return None


def hold_profile(name):
    with open(PROFILES) as handle:
        profile = json.load(handle)[name]
    target = int(profile["memory"])
    blocks = []
    # The interpreter's own footprint counts towards the cgroup's memory.current, so top up
    # from what the cgroup reports rather than from the target alone.
    for _ in range(4):
        current = cgroup_memory()
        missing = target - (current if current is not None else 0)
        if missing <= TOP_UP_TOLERANCE:
            break
        blocks.append(touch(missing))
    print(f"standin {name}: holding, memory.current={cgroup_memory()} target={target}", flush=True)
    hold(blocks, None)


def hold(blocks, seconds):
    deadline = None if seconds is None else time.monotonic() + seconds
    while deadline is None or time.monotonic() < deadline:
        time.sleep(RETOUCH_SECONDS if deadline is None else min(RETOUCH_SECONDS, max(0.0, deadline - time.monotonic())))
        retouch(blocks)


def leak(rate, maximum):
    blocks, held, started = [], 0, time.monotonic()
    while held < maximum:
        time.sleep(1.0)
        due = min(maximum, int(rate * (time.monotonic() - started)))
        if due > held:
            blocks.append(touch(due - held))
            held = due
        retouch(blocks)
    hold(blocks, None)


def read_loop(path, size):
    chunk = 1 << 20
    if not os.path.exists(path) or os.path.getsize(path) < size:
        # A media file to stream: written once, then read again and again from page cache
        # or disk, the way a transcode reads its input.
        with open(path + ".partial", "wb") as handle:
            for _ in range(max(1, size // chunk)):
                handle.write(b"\x5a" * chunk)
        os.replace(path + ".partial", path)
    while True:
        with open(path, "rb") as handle:
            remaining = size
            while remaining > 0 and handle.read(min(chunk, remaining)):
                remaining -= chunk


def wait_for_release():
    """Wait until SIGUSR1 arrives; SIGTERM still ends the process while it waits."""
    released = []
    signal.signal(signal.SIGUSR1, lambda *_: released.append(True))
    # Polling a flag, not signal.pause(): a signal that arrives just before pause() would be
    # missed and the burst would wait forever.
    while not released:
        time.sleep(0.05)


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    mode, args = argv[0], argv[1:]
    if os.environ.get("STANDIN_ARMED") == "1" and mode in ("hold", "leak", "read"):
        wait_for_release()
    if mode == "hold":
        hold([touch(int(args[0]))], float(args[1]) if len(args) > 1 else None)
    elif mode == "leak":
        leak(float(args[0]), int(args[1]))
    elif mode == "read":
        read_loop(args[0], int(args[1]))
    else:
        hold_profile(mode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
