"""Parsing the lab's listing of pod cgroups."""

from __future__ import annotations

from lab.pods import parse_pod_cgroups

# The infra container's cgroup as podman 5.4.2 made it in the lab with Slice= but no
# --cgroup-parent, and one with no process left.
LISTING = (
    "/user.slice/user-1000.slice/user@1000.service/user.slice/user-libpod_pod_b13d6e97.slice"
    "\t151552\tcatatonit\n"
    "/user.slice/user-1000.slice/user@1000.service/user.slice/user-libpod_pod_0bf62860.slice\t0\t\n"
)


def test_pod_cgroups_parsed() -> None:
    first, second = parse_pod_cgroups(LISTING)
    assert first.path.endswith("/user.slice/user-libpod_pod_b13d6e97.slice")
    assert first.memory_current == 151552
    assert first.processes == ("catatonit",)
    assert second.memory_current == 0
    assert second.processes == ()


def test_empty_listing_has_no_pods() -> None:
    assert parse_pod_cgroups("") == []
