"""Memory loads for the lab machine's desktop: grow in steps and keep the working set hot.

    memload.py app START STEP INTERVAL MAX   grow from START by STEP every INTERVAL seconds up
                                             to MAX, reading every page over and over, then
                                             replace the oldest pages with new ones without
                                             pause, like a browser whose heap is collected
    memload.py hold SIZE                     hold SIZE, re-read every 5 s (a shell-like set)
    memload.py churn PATH SIZE               write a SIZE file once, then read it in a loop
                                             (page cache churn, as file-heavy apps cause)
    memload.py bloat SIZE [PATH]             keep SIZE allocated, replacing the oldest pages
                                             without pause (the "bloat" unit of systemd's
                                             TEST-55 oomd test); with PATH, a second process
                                             also re-reads a SIZE/4 file written there

Sizes are bytes. Reading pages in address order over a set larger than memory is the worst
case for LRU reclaim: each pass evicts the pages the next pass needs, so the task stalls.
systemd-oomd kills only with reclaim activity (pgscan rising). Without swap the kernel scans
no anonymous pages, only file pages charged to the cgroup, such as a program's own code.
"""

import collections
import os
import sys
import time

PAGE = 4096
CHUNK = 1 << 20


def touch(size):
    block = bytearray(size)
    block[::PAGE] = b"\x01" * len(range(0, size, PAGE))
    return block


def read_pages(blocks):
    total = 0
    for block in blocks:
        total += sum(block[::PAGE])
    return total


def app(start, step, interval, maximum):
    blocks = collections.deque([touch(start)])
    held, next_step = start, time.monotonic() + interval
    while held < maximum:
        read_pages(blocks)
        if time.monotonic() >= next_step:
            grow = min(step, maximum - held)
            blocks.append(touch(grow))
            held += grow
            next_step += interval
    replace_oldest(blocks, held, maximum)


def replace_oldest(blocks, held, limit):
    """Allocate new megabytes and free the oldest ones forever, keeping LIMIT bytes held.

    A garbage-collected heap behaves so: at a memory limit every new page waits for reclaim,
    so the program stalls instead of running.
    """
    while True:
        blocks.append(touch(4 * CHUNK))
        held += 4 * CHUNK
        while held > limit:
            held -= len(blocks.popleft())


def hold(size):
    blocks = [touch(size)]
    while True:
        time.sleep(5)
        read_pages(blocks)


def make_file(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path) or os.path.getsize(path) < size:
        with open(path + ".partial", "wb") as handle:
            for _ in range(max(1, size // CHUNK)):
                handle.write(os.urandom(CHUNK))
        os.replace(path + ".partial", path)


def read_file(path):
    with open(path, "rb") as handle:
        while handle.read(CHUNK):
            pass


def churn(path, size):
    make_file(path, size)
    while True:
        read_file(path)


def make_uncached_file(path, size):
    """Write SIZE bytes, rounded up to whole MiB, to PATH without leaving them in the page cache.

    Each chunk is flushed and dropped as it is written, so the file costs no memory until it
    is read, and reading it then charges its pages to the reader's cgroup.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        for offset in range(0, max(CHUNK, size), CHUNK):
            handle.write(b"\x5a" * CHUNK)
            handle.flush()
            os.fsync(handle.fileno())
            os.posix_fadvise(handle.fileno(), offset, CHUNK, os.POSIX_FADV_DONTNEED)


def bloat(size, path=None):
    """Keep SIZE allocated while replacing the oldest megabytes with new ones, without pause.

    The churn keeps reclaim scanning: freeing old pages frees their swap slots, so the kernel
    can go on swapping out, where a fixed set would fill a small swap once and then only be
    throttled, with no reclaim for systemd-oomd to see. With PATH, a child re-reads a file
    whose pages are charged to the same cgroup: reclaim then always has file pages to scan,
    even when the anonymous set cannot go to swap at all.
    """
    if path:
        make_uncached_file(path, size // 4)
        if os.fork() == 0:
            while True:
                read_file(path)
    replace_oldest(collections.deque(), 0, size)


def main(argv):
    mode, args = argv[0], [int(float(value)) for value in argv[1:] if value.replace(".", "").isdigit()]
    if mode == "app":
        app(*args[:4])
    elif mode == "hold":
        hold(args[0])
    elif mode == "churn":
        churn(argv[1], int(argv[2]))
    elif mode == "bloat":
        bloat(args[0], argv[2] if len(argv) > 2 else None)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
