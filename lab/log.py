"""Logging setup and `step`: one line when a phase starts and one with its duration."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("lab")

# (title, seconds, depth) of every finished step in this process, for benchmarks; depth 0
# is a step that ran inside no other step.
TIMINGS: list[tuple[str, float, int]] = []
_depth = 0


def setup_logging(verbose: bool = False) -> None:
    """Send slicelab's log to stderr; debug level echoes every command."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("lab").setLevel(logging.DEBUG if verbose else logging.INFO)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Log '‣ title…' on entry and '  done in N s' (or 'failed after N s') on exit."""
    global _depth
    log.info("‣ %s…", title)
    started = time.monotonic()
    _depth += 1
    try:
        yield
    except BaseException:
        log.info("  %s failed after %.1f s", title, time.monotonic() - started)
        raise
    finally:
        _depth -= 1
    elapsed = time.monotonic() - started
    TIMINGS.append((title, elapsed, _depth))
    log.info("  %s: done in %.1f s", title, elapsed)
