"""Helpers every task shares: logging, and one way to report a LabError and exit."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from invoke.exceptions import Exit

from lab.errors import LabError
from lab.log import setup_logging

log = logging.getLogger("lab")

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(function: F) -> F:
    """Turn LabError into one message with its hint and the error's exit code; Ctrl-C into 130.

    Cleanup runs in the code that raised (context managers and `finally`), before this prints.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setup_logging(verbose=bool(kwargs.get("verbose")))
        try:
            return function(*args, **kwargs)
        except LabError as error:
            print(f"error: {error.message}", file=sys.stderr)
            if error.hint:
                print(f"  hint: {error.hint}", file=sys.stderr)
            raise Exit(code=error.exit_code) from None
        except KeyboardInterrupt:
            print("interrupted; what was started has been removed", file=sys.stderr)
            raise Exit(code=130) from None

    return wrapper  # type: ignore[return-value]
