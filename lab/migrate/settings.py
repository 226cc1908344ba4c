"""The validated parameters of the container.slice change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lab.errors import BadInput
from lab.sizes import parse_size, systemd_size


@dataclass(frozen=True)
class Settings:
    """The validated parameters of the change."""

    slice_name: str
    memory_high: int
    memory_max: int
    memory_low: int | None
    dropin_name: str
    replace_existing: bool
    extra_service_keys: tuple[tuple[str, str], ...]


def make_settings(
    slice_name: str = "container.slice",
    *,
    memory_high: str | int,
    memory_max: str | int,
    memory_low: str | int | None = None,
    dropin_name: str = "memory.conf",
    replace_existing: bool = False,
    extra_service_keys: Sequence[str] = (),
) -> Settings:
    """Validate the parameters of the change and raise BadInput naming an invalid one."""
    if not slice_name.endswith(".slice") or "/" in slice_name or slice_name == ".slice":
        raise BadInput(
            f"invalid slice name: {slice_name!r}", hint="use a unit name such as container.slice"
        )
    if not dropin_name.endswith(".conf") or "/" in dropin_name:
        raise BadInput(
            f"invalid drop-in name: {dropin_name!r}",
            hint="systemd reads only *.conf files there: use a name such as memory.conf",
        )
    high = parse_size(memory_high, what="MemoryHigh")
    maximum = parse_size(memory_max, what="MemoryMax")
    low = None if memory_low is None else parse_size(memory_low, what="MemoryLow")
    if high > maximum:
        raise BadInput(
            f"MemoryHigh={systemd_size(high)} is above MemoryMax={systemd_size(maximum)}",
            hint="MemoryHigh is the soft limit and must not exceed MemoryMax",
        )
    if low is not None and low > high:
        raise BadInput(
            f"MemoryLow={systemd_size(low)} is above MemoryHigh={systemd_size(high)}",
            hint="choose a MemoryLow at or below MemoryHigh",
        )
    return Settings(
        slice_name=slice_name,
        memory_high=high,
        memory_max=maximum,
        memory_low=low,
        dropin_name=dropin_name,
        replace_existing=replace_existing,
        extra_service_keys=tuple(parse_service_key(text) for text in extra_service_keys),
    )


def parse_service_key(text: str) -> tuple[str, str]:
    """Split an extra `[Service]` setting such as `OOMPolicy=kill` into key and value."""
    key, equals, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not equals or not key or not value or any(char in key for char in " []#;"):
        raise BadInput(
            f"invalid [Service] setting: {text!r}",
            hint="write it as Key=value, e.g. ManagedOOMPreference=avoid",
        )
    if key == "Slice":
        raise BadInput(
            "Slice= cannot be an extra [Service] setting", hint="set the slice name instead"
        )
    return key, value
