"""Strategies: where the quadlets run and which limits and oomd settings apply there.

A strategy is one way of placing the incident's containers. The four built-in ones are the
state before the change, the change as made, and the two stronger fixes it is compared with.
Scenarios can define more under `define_strategies:`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.sizes import format_size, parse_size, scale_bytes


@dataclass(frozen=True)
class Size:
    """A byte value on the modelled machine and the same value scaled to the lab machine.

    `Size` is defined here rather than in scenario.py because scenario.py imports this module
    and strategies carry sizes too. Until a scenario is scaled, `lab` equals `modelled`.
    """

    modelled: int
    lab: int

    @classmethod
    def of(cls, value: int | str) -> Size:
        """Create an unscaled size from bytes or text such as '8G' (base 1024)."""
        size = parse_size(value)
        return cls(modelled=size, lab=size)

    def scaled(self, lab_memory: int, modelled_memory: int) -> Size:
        """Return this size scaled by lab memory / modelled memory, rounded to 4 KiB pages."""
        return Size(self.modelled, scale_bytes(self.modelled, lab_memory, modelled_memory))

    def __str__(self) -> str:
        if self.lab == self.modelled:
            return format_size(self.modelled)
        return f"{format_size(self.modelled)} (lab {format_size(self.lab)})"


DEFAULT_SLICE = "app.slice"
"""The user manager's slice that podman's quadlet generator puts services into by default."""

CONTAINER_SLICE = "container.slice"


@dataclass(frozen=True)
class Strategy:
    """Placement and oomd settings for the quadlets, compared against each other in a run.

    `slice` is the user-manager slice in each quadlet's `Slice=`, and `DEFAULT_SLICE` means no
    `Slice=` line. The memory limits go into a drop-in for that slice. When
    `watch_container_slice` is False, a later-sorting drop-in sets
    `ManagedOOMMemoryPressure=auto` on the slice, so systemd-oomd stops watching it, although
    it stays a candidate of any watched ancestor. `avoid` adds `ManagedOOMPreference=avoid` and
    `OOMPolicy=kill` to each quadlet's `[Service]`. `swap`, when set, replaces the machine's
    swap size for runs of this strategy.
    """

    name: str
    description: str
    slice: str = DEFAULT_SLICE
    memory_high: Size | None = None
    memory_max: Size | None = None
    memory_low: Size | None = None
    watch_container_slice: bool = True
    avoid: bool = False
    swap: Size | None = None

    @property
    def moves_services(self) -> bool:
        """Whether the quadlets get a `Slice=` line, that is, leave the default slice."""
        return self.slice != DEFAULT_SLICE


_SEED_HIGH = Size.of("8G")
_SEED_MAX = Size.of("10G")

BUILTIN_STRATEGIES: dict[str, Strategy] = {
    strategy.name: strategy
    for strategy in (
        Strategy(
            name="none",
            description="no change: quadlets stay in app.slice with no slice limits",
        ),
        Strategy(
            name="seed",
            description="the change as made: container.slice with MemoryHigh=8G, MemoryMax=10G",
            slice=CONTAINER_SLICE,
            memory_high=_SEED_HIGH,
            memory_max=_SEED_MAX,
        ),
        Strategy(
            name="seed-unwatched",
            description=(
                "seed, plus a later-sorting container.slice drop-in with "
                "ManagedOOMMemoryPressure=auto"
            ),
            slice=CONTAINER_SLICE,
            memory_high=_SEED_HIGH,
            memory_max=_SEED_MAX,
            watch_container_slice=False,
        ),
        Strategy(
            name="seed-avoid",
            description=(
                "seed, plus ManagedOOMPreference=avoid and OOMPolicy=kill in each quadlet's "
                "[Service]"
            ),
            slice=CONTAINER_SLICE,
            memory_high=_SEED_HIGH,
            memory_max=_SEED_MAX,
            avoid=True,
        ),
    )
}
