from __future__ import annotations

import pytest

from lab.errors import BadInput
from lab.policy import USER_MANAGER, expected_watched, get_profile, user_slice_cgroup
from lab.quadlet import UnitFile


class _Ini:
    """Section access over the project's own unit-file parser: ini["Slice"]["Key"]."""

    def __init__(self, text: str) -> None:
        self.unit = UnitFile.parse(text)

    def __getitem__(self, section: str) -> dict[str, str]:
        return {a.key: a.value for a in self.unit.assignments if a.section == section}


def _ini(text: str) -> _Ini:
    return _Ini(text)


def test_fedora_profile_files() -> None:
    files = get_profile("fedora-42").files
    user = _ini(files["/etc/systemd/user/slice.d/10-oomd-per-slice-defaults.conf"])
    system = _ini(files["/etc/systemd/system/system.slice.d/10-oomd-per-slice-defaults.conf"])
    for dropin in (user, system):
        assert dropin["Slice"]["ManagedOOMMemoryPressure"] == "kill"
        assert dropin["Slice"]["ManagedOOMMemoryPressureLimit"] == "80%"
    oomd = _ini(files["/etc/systemd/oomd.conf.d/10-oomd-defaults.conf"])
    assert oomd["OOM"]["DefaultMemoryPressureDurationSec"] == "20s"
    # Fedora 42 has no swap policy.
    assert not any("ManagedOOMSwap" in text for text in files.values())


def test_debian_profile_watches_user_manager_at_50() -> None:
    profile = get_profile("debian-13")
    dropin = _ini(profile.files["/etc/systemd/system/user@.service.d/10-oomd-user-service-defaults.conf"])
    assert dropin["Service"]["ManagedOOMMemoryPressureLimit"] == "50%"
    assert expected_watched(profile, ["-.slice", "app.slice"]) == {USER_MANAGER: 50.0}


def test_upstream_profile_watches_nothing() -> None:
    profile = get_profile("upstream")
    assert profile.files == {}
    assert expected_watched(profile, ["-.slice", "app.slice"]) == {}


def test_fedora_watches_every_user_slice_but_root() -> None:
    watched = expected_watched(get_profile("fedora-42"), ["-.slice", "app.slice", "container.slice"])
    assert watched == {
        "/system.slice": 80.0,
        f"{USER_MANAGER}/app.slice": 80.0,
        f"{USER_MANAGER}/container.slice": 80.0,
    }


def test_nested_slice_cgroup() -> None:
    assert user_slice_cgroup("app-gnome.slice") == f"{USER_MANAGER}/app.slice/app-gnome.slice"


def test_unknown_profile_is_bad_input() -> None:
    with pytest.raises(BadInput) as caught:
        get_profile("fedora-41")
    assert "fedora-42" in (caught.value.hint or "")


def test_user_manager_root_watched_after_reload() -> None:
    profile = get_profile("fedora-42")
    booted = expected_watched(profile, ["-.slice", "app.slice"])
    reloaded = expected_watched(profile, ["-.slice", "app.slice"], user_manager_reloaded=True)
    assert USER_MANAGER not in booted
    assert reloaded[USER_MANAGER] == 80.0
    assert set(reloaded) - set(booted) == {USER_MANAGER}
