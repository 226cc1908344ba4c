"""One door for host processes: argv lists only, checked by default, echoed at debug level."""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lab.errors import CommandFailed

log = logging.getLogger(__name__)


def run(
    argv: Sequence[str | Path],
    *,
    check: bool = True,
    capture: bool = True,
    input: str | bytes | None = None,
    timeout: float | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run argv and return the completed process; raise CommandFailed on a non-zero status.

    Output is captured as text unless capture is False, in which case it goes to the terminal.
    """
    args = [str(part) for part in argv]
    log.debug("$ %s", shlex.join(args))
    completed = subprocess.run(
        args,
        check=False,
        text=True,
        input=input.decode() if isinstance(input, bytes) else input,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
    if check and completed.returncode != 0:
        raise CommandFailed(args, completed.returncode, completed.stderr or "", hint)
    return completed
