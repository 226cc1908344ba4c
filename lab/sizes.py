"""Byte sizes as systemd writes them (K, M, G, T with base 1024) and the lab's scaling."""

from __future__ import annotations

import re
from fractions import Fraction

from lab.errors import BadInput

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str | int, *, what: str = "size") -> int:
    """Parse '8G', '512M', '1.5G', '3GiB' or a plain byte count into bytes (1K = 1024).

    Raises BadInput naming `what` for anything else, such as '3GG' or '8GB2'.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise BadInput(f"invalid {what}: {text} is negative")
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise BadInput(
            f"invalid {what}: {text!r}",
            hint="write a number with an optional unit K, M, G or T (base 1024), e.g. 512M or 3G",
        )
    number, unit = match.groups()
    return int(Fraction(number) * _UNITS[unit.upper()])


def format_size(value: int) -> str:
    """Format bytes for people: the largest unit that keeps one decimal, e.g. '2.9G', '240M'."""
    for unit in ("T", "G", "M", "K"):
        scale = _UNITS[unit]
        if abs(value) >= scale:
            shown = value / scale
            return f"{shown:.1f}{unit}" if shown < 100 else f"{shown:.0f}{unit}"
    return f"{value}B"


def systemd_size(value: int) -> str:
    """Format bytes for a unit file: whole K/M/G where exact, else a plain byte count."""
    for unit in ("T", "G", "M", "K"):
        if value and value % _UNITS[unit] == 0:
            return f"{value // _UNITS[unit]}{unit}"
    return str(value)


def scale_bytes(value: int, lab_memory: int, modelled_memory: int) -> int:
    """Scale a real-world byte value to the lab: value × lab memory / modelled memory, to 4 KiB."""
    if modelled_memory <= 0:
        raise BadInput(f"invalid modelled memory: {modelled_memory}")
    scaled = Fraction(value) * lab_memory / modelled_memory
    pages = round(scaled / 4096)
    return int(pages * 4096)
