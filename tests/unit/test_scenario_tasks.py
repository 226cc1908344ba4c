"""scenario.run rejects a bad name or strategy before it looks for a running lab."""

from __future__ import annotations

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

from lab import lifecycle
from lab.tasks import scenario_tasks


def _no_lab() -> lifecycle.Lab:
    raise AssertionError("the lab must not be looked up for bad input")


def test_unknown_scenario_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "attach", _no_lab)
    with pytest.raises(Exit) as caught:
        scenario_tasks.run(Context(), "nosuchscenario")
    assert caught.value.code == 2


def test_unknown_strategy_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "attach", _no_lab)
    with pytest.raises(Exit) as caught:
        scenario_tasks.run(Context(), "incident", strategy=["bogus"])
    assert caught.value.code == 2
