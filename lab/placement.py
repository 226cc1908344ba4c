"""Place the lab's services as a strategy says, and put them back in app.slice afterwards."""

from __future__ import annotations

from lab.errors import LabError
from lab.lifecycle import Lab
from lab.strategy import Strategy


def place_services(lab: Lab, strategy: Strategy) -> None:
    """Apply strategy to the lab's quadlets with the migration tool (none changes nothing)."""
    if strategy.moves_services or strategy.avoid or strategy.memory_high or strategy.memory_max:
        raise LabError(f"strategy {strategy.name} is not supported yet")


def restore_default(lab: Lab) -> None:
    """Undo place_services: quadlets back in app.slice, the slice drop-in removed."""
