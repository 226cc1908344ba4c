"""Named retry policies; every wait in slicelab is one of these."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_delay,
    wait_fixed,
)

log = logging.getLogger(__name__)


class NotYet(Exception):
    """Raised by a probe whose condition does not hold yet; the policies retry on it."""


def policy(
    seconds: float,
    interval: float = 1.0,
    *,
    on: tuple[type[BaseException], ...] = (NotYet,),
    sleep: Callable[[float], None] | None = None,
) -> Retrying:
    """A policy that retries on `on` every `interval` seconds for at most `seconds`, then reraises."""
    return Retrying(
        stop=stop_after_delay(seconds),
        wait=wait_fixed(interval),
        retry=retry_if_exception_type(on),
        before_sleep=before_sleep_log(log, logging.DEBUG),
        reraise=True,
        sleep=sleep if sleep is not None else time.sleep,
    )
