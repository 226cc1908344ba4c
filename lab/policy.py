"""systemd-oomd policy profiles: the drop-ins a profile installs and the watched set they imply.

Each profile's files go under /etc in the lab machine; the lab image masks every oomd drop-in
its distribution ships, so the profile is the whole policy whatever the base image is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from lab.errors import BadInput

USER_UID = 1000
USER_MANAGER = f"/user.slice/user-{USER_UID}.slice/user@{USER_UID}.service"


class Watch(Enum):
    """Which cgroups a profile's drop-ins put under oomd's memory-pressure watch."""

    SYSTEM_SLICE = "system.slice"
    EVERY_USER_SLICE = "every slice of the user manager"
    USER_MANAGER = "user@.service"


@dataclass(frozen=True)
class PolicyProfile:
    name: str
    summary: str
    files: dict[str, str] = field(default_factory=dict)
    watches: frozenset[Watch] = frozenset()
    limit_percent: float = 60.0
    duration_seconds: float = 30.0


def _slice_dropin(limit: str) -> str:
    return f"[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit={limit}\n"


_DURATION_20S = "[OOM]\nDefaultMemoryPressureDurationSec=20s\n"

PROFILES: dict[str, PolicyProfile] = {
    profile.name: profile
    for profile in (
        PolicyProfile(
            name="fedora-42",
            summary="Fedora 42: kill at 80 % for 20 s on system.slice and on every user-manager slice",
            files={
                "/etc/systemd/system/system.slice.d/10-oomd-per-slice-defaults.conf": _slice_dropin("80%"),
                "/etc/systemd/user/slice.d/10-oomd-per-slice-defaults.conf": _slice_dropin("80%"),
                "/etc/systemd/oomd.conf.d/10-oomd-defaults.conf": _DURATION_20S,
            },
            watches=frozenset({Watch.SYSTEM_SLICE, Watch.EVERY_USER_SLICE}),
            limit_percent=80.0,
            duration_seconds=20.0,
        ),
        PolicyProfile(
            name="debian-13",
            summary="Debian 13: kill at 50 % for 20 s on user@.service",
            files={
                "/etc/systemd/system/user@.service.d/10-oomd-user-service-defaults.conf": (
                    "[Service]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=50%\n"
                ),
                "/etc/systemd/oomd.conf.d/10-oomd-defaults.conf": _DURATION_20S,
            },
            watches=frozenset({Watch.USER_MANAGER}),
            limit_percent=50.0,
            duration_seconds=20.0,
        ),
        PolicyProfile(
            name="upstream",
            summary="upstream systemd defaults: oomd runs but watches nothing",
        ),
    )
}


def get_profile(name: str) -> PolicyProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise BadInput(
            f"unknown policy profile: {name!r}",
            hint=f"choose one of: {', '.join(PROFILES)}",
        ) from None


def expected_watched(
    profile: PolicyProfile,
    user_slices: list[str],
    *,
    user_manager_reloaded: bool = False,
    unwatched: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """Return the cgroups oomd should watch, with their limit in percent.

    user_slices are the user manager's active slice units (e.g. app.slice, and user.slice where
    podman keeps its pause process). The user manager's root slice `-.slice` is its own cgroup,
    `user@1000.service`. Measured on systemd 257.13 (Debian trixie) with only Fedora's
    `slice.d/` drop-in installed: oomctl does not list that root after boot, but does after
    `systemctl --user daemon-reload`, which is what every quadlet change runs. unwatched
    names user slices whose own drop-in sets `ManagedOOMMemoryPressure=auto`.
    """
    watched: dict[str, float] = {}
    if Watch.SYSTEM_SLICE in profile.watches:
        watched["/system.slice"] = profile.limit_percent
    if Watch.USER_MANAGER in profile.watches:
        watched[USER_MANAGER] = profile.limit_percent
    if Watch.EVERY_USER_SLICE in profile.watches:
        for unit in user_slices:
            if unit in unwatched:
                continue
            if unit != "-.slice" or user_manager_reloaded:
                watched[user_slice_cgroup(unit)] = profile.limit_percent
    return watched


def user_slice_cgroup(unit: str) -> str:
    """Map a user-manager slice unit to its cgroup: `a-b.slice` nests as a.slice/a-b.slice."""
    if unit == "-.slice":
        return USER_MANAGER
    stem = unit.removesuffix(".slice")
    parts = stem.split("-")
    path = [f"{'-'.join(parts[: i + 1])}.slice" for i in range(len(parts))]
    return USER_MANAGER + "/" + "/".join(path)
