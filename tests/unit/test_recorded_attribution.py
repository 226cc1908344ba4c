"""Attribution on journal lines recorded in the lab: container-growth under seed."""

from __future__ import annotations

from pathlib import Path

from lab.observe.outcome import EvidenceSource, Observations, UnitState, decide_outcomes
from lab.scenario import Outcome

JOURNAL = Path(__file__).parent.parent / "data" / "journal" / "container-growth-seed.txt"
SLICE = "/user.slice/user-1000.slice/user@1000.service/container.slice"


def test_payload_kill_maps_to_service() -> None:
    lines = JOURNAL.read_text().splitlines()
    state = UnitState("jellyfin.service", "active", "success", n_restarts=1, n_restarts_baseline=0,
                      control_group=f"{SLICE}/jellyfin.service")  # fmt: skip
    outcomes = decide_outcomes(Observations(journal=lines, units=[state]))
    jellyfin = outcomes["jellyfin.service"]
    assert jellyfin.outcome is Outcome.OOMD
    assert jellyfin.oomd_kills == 1
    assert jellyfin.restarts == 1
    sources = {item.source for item in jellyfin.evidence}
    assert EvidenceSource.OOMD_JOURNAL in sources
    # Only jellyfin was killed; the kill line names its payload leaf, not another unit.
    killed = [unit for unit, outcome in outcomes.items() if outcome.was_killed]
    assert killed == ["jellyfin.service"]
