"""Start a phase's armed service bursts together, once each of them waits for the signal.

    release.py COUNT [TIMEOUT_SECONDS]

An armed burst (the stand-in's STANDIN_ARMED=1) catches SIGUSR1 and waits for it. Sent before
the interpreter has installed its handler, the signal would end the burst, so this waits until
COUNT bursts show SIGUSR1 in their caught mask, then signals them all. Exits 1 when fewer were
ready in time, naming what it found.
"""

import os
import re
import signal
import sys
import time

BURST = re.compile(rb"standin\.py\0(hold|leak|read)\0")
USR1_BIT = 1 << (signal.SIGUSR1 - 1)


def armed_bursts():
    """Return the pids of stand-in bursts that catch SIGUSR1, and of those that do not yet."""
    ready, waiting = [], []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if not BURST.search(handle.read()):
                    continue
            with open(f"/proc/{name}/status") as handle:
                caught = next(line for line in handle if line.startswith("SigCgt:"))
        except (OSError, StopIteration):
            continue
        (ready if int(caught.split()[1], 16) & USR1_BIT else waiting).append(int(name))
    return ready, waiting


def main(argv):
    count = int(argv[0])
    deadline = time.monotonic() + (float(argv[1]) if len(argv) > 1 else 60.0)
    # A plain polling loop, because this runs on the lab machine's python with the standard
    # library only.
    ready, waiting = armed_bursts()
    while len(ready) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        ready, waiting = armed_bursts()
    if len(ready) < count:
        print(f"release: only {len(ready)} of {count} bursts were armed within the timeout "
              f"(still starting: {waiting})", file=sys.stderr)
        return 1
    for pid in ready:
        os.kill(pid, signal.SIGUSR1)
    print(f"released {len(ready)} bursts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
