"""The kill-latency split on container-growth under seed, recorded in the lab with no swap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.kill_latency import floor_seconds, split_kill, victim_name

RUN = Path(__file__).parent.parent / "data" / "runs" / "container-growth"
USER_MANAGER = "/user.slice/user-1000.slice/user@1000.service"


def _timeline() -> list[dict]:
    return [json.loads(line) for line in (RUN / "timeline-seed.jsonl").open()]


def test_floor_for_fedora_slices() -> None:
    # 80 % under a full stall: 10·ln 5 = 16.09 s, then 20 s held and a 1 s poll.
    assert floor_seconds(80.0, 20.0) == pytest.approx(37.09, abs=0.01)


def test_first_kill_split_by_hand() -> None:
    timeline = _timeline()
    # The journal's "05:28:15 … Killed …/jellyfin.service/libpod-payload-…" on the timeline's clock.
    kill = 1796448495.0 - timeline[0]["wall"]
    split = split_kill(timeline, USER_MANAGER, 80.0, 0.0, kill)
    # Read off the recorded samples by hand: full_total rose 785 ms in the second ending at
    # t=16.0 (25 % the second before). Full avg10 read 78.47 at t=37.0 and 80.74 at t=38.0.
    assert split.onset == pytest.approx(16.0, abs=0.01)
    assert split.crossing == pytest.approx(38.0, abs=0.01)
    assert split.kill - split.crossing == pytest.approx(20.0, abs=0.1)


def test_second_kill_split_from_first() -> None:
    timeline = _timeline()
    container_slice = USER_MANAGER + "/container.slice"
    first_kill = 1796448495.0 - timeline[0]["wall"]
    second_kill = 1796448527.0 - timeline[0]["wall"]
    split = split_kill(timeline, container_slice, 80.0, first_kill, second_kill)
    assert split.onset is not None
    assert first_kill < split.onset < second_kill
    assert split.crossing is not None
    assert split.onset <= split.crossing < second_kill


def test_no_onset_without_a_stall() -> None:
    timeline = _timeline()[:10]
    split = split_kill(timeline, USER_MANAGER, 80.0, 0.0, 9.0)
    assert split.onset is None


def test_victim_named_by_its_unit() -> None:
    leaf = USER_MANAGER + "/container.slice/jellyfin.service/libpod-payload-8009d861"
    assert victim_name(leaf) == "jellyfin.service"
    assert victim_name("/system.slice/bloat.scope") == "bloat.scope"
