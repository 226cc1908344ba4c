"""Scenario loading, validation errors and scaling to the lab's size."""

from __future__ import annotations

import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from lab.errors import BadInput
from lab.scenario import (
    Bloat,
    CacheChurn,
    Chill,
    DesktopApps,
    DesktopSession,
    Leak,
    MlSpike,
    Outcome,
    Policy,
    Scenario,
    ScenarioError,
    Transcode,
    load_scenario,
    parse_duration,
    parse_scenario,
)
from lab.strategy import BUILTIN_STRATEGIES, Size

DATA = Path(__file__).parent.parent / "data" / "scenarios"
EXAMPLE = DATA / "example.yaml"

G = 1 << 30
M = 1 << 20
PAGE = 4096

MINIMAL = """\
name: minimal
machine:
  memory: 30G
  swap: 0
policy: fedora-42
strategies: [none, seed]
phases:
  - name: quiet
    duration: 60s
"""


def parse(text: str) -> Scenario:
    return parse_scenario(textwrap.dedent(text), "inline.yaml")


def parse_error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse(text)
    return caught.value


# The example file


def test_example_top_level() -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.name == "example"
    assert "container.slice" in scenario.description
    assert scenario.source == str(EXAMPLE)
    assert scenario.policy is Policy.FEDORA_42
    assert scenario.machine.memory == Size(30 * G, 30 * G)
    assert scenario.machine.swap == Size(8 * G, 8 * G)
    assert scenario.scale == 1


def test_example_strategies() -> None:
    scenario = load_scenario(EXAMPLE)
    names = [strategy.name for strategy in scenario.strategies]
    assert names == ["none", "seed", "seed-unwatched", "seed-avoid", "container-low"]
    assert scenario.strategy("seed") is BUILTIN_STRATEGIES["seed"]
    defined = scenario.strategy("container-low")
    assert defined.slice == "container.slice"
    assert defined.memory_low == Size.of(2 * G)
    assert defined.memory_high == Size.of(8 * G)
    assert defined.memory_max == Size.of(10 * G)
    assert defined.watch_container_slice is True
    assert defined.avoid is False
    assert defined.swap == Size.of(0)
    with pytest.raises(KeyError):
        scenario.strategy("missing")


def test_example_services() -> None:
    scenario = load_scenario(EXAMPLE)
    assert set(scenario.services) == {"jellyfin", "immich-ml"}
    assert scenario.services["jellyfin"].memory.modelled == 300 * M
    assert scenario.services["immich-ml"].memory.modelled == 508 * M


def test_example_phases_and_loads() -> None:
    scenario = load_scenario(EXAMPLE)
    quiet, workday, test_55 = scenario.phases
    assert (quiet.name, quiet.duration, quiet.loads) == ("quiet", 60.0, ())
    assert workday.duration == 300.0
    assert test_55.duration == 120.0
    session, apps, churn, transcode, spike, leak = workday.loads
    assert session == DesktopSession(size=Size.of(13 * G))
    assert apps == DesktopApps(
        count=3,
        start=Size.of(1 * G),
        step=Size.of(512 * M),
        step_interval=10.0,
        max=Size.of(4 * G),
    )
    assert churn == CacheChurn(size=Size.of(6 * G))
    assert transcode == Transcode(
        service="jellyfin", anon=Size.of(2 * G), stream_read=Size.of(4 * G)
    )
    assert spike == MlSpike(service="immich-ml", size=Size.of(1500 * M), hold=30.0)
    assert leak == Leak(service="promtail", rate_per_minute=Size.of(50 * M), max=Size.of(1 * G))
    bloat, chill = test_55.loads
    assert bloat == Bloat(size=Size.of(3 * G), memory_high=Size.of(30 * M), slice="app.slice")
    assert chill == Chill(size=Size.of(300 * M), slice="app.slice", memory_high=None)


def test_example_expectations() -> None:
    scenario = load_scenario(EXAMPLE)
    assert set(scenario.expectations) == {"none", "seed", "seed-avoid"}
    (killed_before,) = scenario.expectations["none"]
    assert killed_before.unit == "jellyfin.service"
    assert killed_before.service == "jellyfin"
    assert killed_before.outcome is Outcome.OOMD
    assert killed_before.needs_pressure is False
    survives, browser = scenario.expectations["seed"]
    assert survives.outcome is Outcome.SURVIVED
    assert survives.needs_pressure is True
    assert browser.unit == "app-browser-1.scope"
    assert browser.service is None
    assert browser.outcome is Outcome.KILLED
    quiet_survivor = scenario.expectations["seed-avoid"][1]
    assert quiet_survivor.needs_pressure is False


def test_example_findings() -> None:
    scenario = load_scenario(EXAMPLE)
    (finding,) = scenario.findings["seed-unwatched"]
    assert finding.unit == "jellyfin.service"
    assert finding.outcome is Outcome.SURVIVED
    assert "user@1000.service" in finding.note


# Invalid files: each error names the file, the line, the field and the allowed values


@pytest.mark.parametrize(
    ("name", "line", "field", "fragments"),
    [
        ("unknown-field", 4, "machine.swapp", ["unknown field 'swapp'", "memory, swap"]),
        (
            "wrong-kind",
            13,
            "phases[0].loads[1].kind",
            ["'browser'", "desktop-session, desktop-apps, cache-churn", "bloat, chill"],
        ),
        ("bad-size", 4, "machine.swap", ["'8GB2'", "K, M, G or T"]),
        ("bad-duration", 11, "phases[1].duration", ["'2 minutes'", "ms, s, m, min or h"]),
        (
            "unknown-strategy",
            13,
            "strategies[1]",
            ["'seed-unwatchd'", "none, seed, seed-unwatched, seed-avoid", "this file: tight"],
        ),
        (
            "unknown-service",
            16,
            "phases[0].loads[1].service",
            ["unknown service 'immich'", "immich-ml, immich-server", "vaultwarden"],
        ),
    ],
)
def test_invalid_file_error(name: str, line: int, field: str, fragments: list[str]) -> None:
    path = DATA / "invalid" / f"{name}.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.source == str(path)
    assert error.line == line
    assert error.field_path == field
    assert str(error).startswith(f"{path}:{line}: {field}: ")
    for fragment in fragments:
        assert fragment in error.problem


def test_invalid_file_exit_code() -> None:
    with pytest.raises(BadInput) as caught:
        load_scenario(DATA / "invalid" / "bad-size.yaml")
    assert caught.value.exit_code == 2


def test_missing_file_is_bad_input() -> None:
    with pytest.raises(BadInput, match="failed to read scenario"):
        load_scenario(DATA / "no-such-file.yaml")


# Invalid inline text


def test_minimal_scenario_parses() -> None:
    scenario = parse(MINIMAL)
    assert scenario.description == ""
    assert scenario.services == {}
    assert scenario.expectations == {}
    assert scenario.findings == {}


def test_missing_required_field() -> None:
    error = parse_error(MINIMAL.replace("policy: fedora-42\n", ""))
    assert error.line == 1
    assert "missing required field 'policy'" in error.problem


def test_unknown_policy_lists_values() -> None:
    error = parse_error(MINIMAL.replace("fedora-42", "fedora-41"))
    assert error.line == 5
    assert error.field_path == "policy"
    assert "fedora-42, debian-13, upstream" in error.problem


def test_duplicate_field() -> None:
    error = parse_error(MINIMAL.replace("  swap: 0\n", "  swap: 0\n  swap: 1G\n"))
    assert error.line == 5
    assert error.field_path == "machine.swap"
    assert "duplicate" in error.problem


def test_yaml_syntax_error_has_line() -> None:
    error = parse_error(MINIMAL.replace("strategies: [none, seed]", "strategies: [none, seed"))
    assert error.line >= 6
    assert "invalid YAML" in error.problem


def test_empty_file() -> None:
    error = parse_error("# only a comment\n")
    assert error.line == 1


def test_zero_memory_rejected() -> None:
    error = parse_error(MINIMAL.replace("memory: 30G", "memory: 0"))
    assert error.field_path == "machine.memory"
    assert error.line == 3


def test_zero_swap_allowed() -> None:
    assert parse(MINIMAL).machine.swap == Size(0, 0)


def test_user_memory_high_optional() -> None:
    assert parse(MINIMAL).machine.user_memory_high is None


def test_user_memory_high_scaled() -> None:
    text = MINIMAL.replace("swap: 0", "swap: 0\n  user_memory_high: 20G")
    machine = parse(text).scaled(3 * G).machine
    assert machine.user_memory_high == Size(20 * G, 2 * G)


def test_user_memory_high_at_memory_rejected() -> None:
    error = parse_error(MINIMAL.replace("swap: 0", "swap: 0\n  user_memory_high: 30G"))
    assert error.field_path == "machine.user_memory_high"
    assert error.line == 5
    assert "below the machine's memory (30G)" in error.problem


def test_float_size_rejected() -> None:
    error = parse_error(MINIMAL.replace("swap: 0", "swap: 0.5"))
    assert error.field_path == "machine.swap"
    assert "0.5" in error.problem


def test_builtin_name_cannot_be_redefined() -> None:
    text = MINIMAL + "define_strategies:\n  seed:\n    slice: container.slice\n"
    error = parse_error(text)
    assert error.line == 11
    assert error.field_path == "define_strategies.seed"
    assert "built-in" in error.problem


def test_memory_high_above_max() -> None:
    text = MINIMAL.replace("[none, seed]", "[tight]") + (
        "define_strategies:\n"
        "  tight:\n"
        "    slice: container.slice\n"
        "    memory_high: 12G\n"
        "    memory_max: 10G\n"
    )
    error = parse_error(text)
    assert error.line == 13
    assert error.field_path == "define_strategies.tight.memory_high"
    assert "above memory_max" in error.problem


def test_strategy_slice_must_be_slice() -> None:
    text = MINIMAL.replace("[none, seed]", "[odd]") + (
        "define_strategies:\n  odd:\n    slice: container.service\n"
    )
    error = parse_error(text)
    assert error.field_path == "define_strategies.odd.slice"
    assert ".slice" in error.problem


def test_strategy_listed_twice() -> None:
    error = parse_error(MINIMAL.replace("[none, seed]", "[none, none]"))
    assert error.field_path == "strategies[1]"
    assert "twice" in error.problem


def test_expectation_for_unlisted_strategy() -> None:
    text = MINIMAL + "expectations:\n  seed-avoid:\n    - service: jellyfin\n      outcome: oomd\n"
    error = parse_error(text)
    assert error.line == 11
    assert error.field_path == "expectations.seed-avoid"
    assert "none, seed" in error.problem


def test_expectation_unknown_outcome() -> None:
    text = MINIMAL + "expectations:\n  seed:\n    - service: jellyfin\n      outcome: dead\n"
    error = parse_error(text)
    assert error.line == 13
    assert error.field_path == "expectations.seed[0].outcome"
    for value in ("survived", "oomd", "kernel-oom", "restarted", "failed", "killed"):
        assert value in error.problem


def test_expectation_needs_one_target() -> None:
    text = MINIMAL + (
        "expectations:\n"
        "  seed:\n"
        "    - service: jellyfin\n"
        "      unit: jellyfin.service\n"
        "      outcome: oomd\n"
    )
    error = parse_error(text)
    assert error.line == 12
    assert "exactly one of 'service' or 'unit'" in error.problem


def test_expectation_unit_suffix() -> None:
    text = MINIMAL + "expectations:\n  seed:\n    - unit: app.slice\n      outcome: oomd\n"
    error = parse_error(text)
    assert error.field_path == "expectations.seed[0].unit"
    assert ".service, .scope" in error.problem


def test_services_unknown_name() -> None:
    error = parse_error(MINIMAL + "services:\n  jelyfin:\n    memory: 300M\n")
    assert error.line == 11
    assert error.field_path == "services.jelyfin"
    assert "jellyfin" in error.problem


def test_load_field_of_other_kind() -> None:
    text = MINIMAL + "    loads:\n      - kind: cache-churn\n        service: jellyfin\n"
    error = parse_error(text)
    assert error.line == 12
    assert error.field_path == "phases[0].loads[0].service"
    assert "allowed fields: kind, size" in error.problem


def test_load_without_kind() -> None:
    error = parse_error(MINIMAL + "    loads:\n      - size: 1G\n")
    assert error.line == 11
    assert "'kind'" in error.problem
    assert "desktop-session" in error.problem


def test_desktop_apps_start_above_max() -> None:
    text = MINIMAL + (
        "    loads:\n"
        "      - kind: desktop-apps\n"
        "        count: 2\n"
        "        start: 5G\n"
        "        step: 512M\n"
        "        step_interval: 10s\n"
        "        max: 4G\n"
    )
    error = parse_error(text)
    assert error.line == 13
    assert error.field_path == "phases[0].loads[0].start"


def test_boolean_field_rejects_text() -> None:
    text = MINIMAL.replace("[none, seed]", "[mine]") + (
        "define_strategies:\n  mine:\n    slice: container.slice\n    avoid: maybe\n"
    )
    error = parse_error(text)
    assert error.field_path == "define_strategies.mine.avoid"
    assert "true or false" in error.problem


# Durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("60s", 60.0),
        ("2m", 120.0),
        ("2min", 120.0),
        ("1m30s", 90.0),
        ("1min 30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
        ("90", 90.0),
        (45, 45.0),
        (1.5, 1.5),
    ],
)
def test_parse_duration(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["2 minutes", "s", "", "-5s", "1d", "5s5", "1.5.2s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_parse_duration_bare_number_text() -> None:
    assert parse_duration("60") == 60.0


# Scaling


def test_scaled_example_values() -> None:
    lab_memory = 3 * G
    scaled = load_scenario(EXAMPLE).scaled(lab_memory)
    assert scaled.scale == Fraction(1, 10)
    assert scaled.machine.memory == Size(30 * G, 3 * G)
    # 8G / 10 = 858993459.2 bytes = 209715.2 pages of 4 KiB, which rounds to 209715 pages.
    eight_tenths = 209_715 * PAGE
    assert eight_tenths == 858_992_640
    seed = scaled.strategy("seed")
    assert seed.memory_high == Size(8 * G, eight_tenths)
    # 10G / 10 is exactly 1G.
    assert seed.memory_max == Size(10 * G, 1 * G)
    assert scaled.machine.swap == Size(8 * G, eight_tenths)


def test_scaled_nested_values() -> None:
    scaled = load_scenario(EXAMPLE).scaled(3 * G)
    workday = scaled.phases[1]
    apps = workday.loads[1]
    assert isinstance(apps, DesktopApps)
    # 512M / 10 = 53687091.2 bytes = 13107.2 pages -> 13107 pages.
    assert apps.step == Size(512 * M, 13_107 * PAGE)
    # 1G / 10 = 107374182.4 bytes = 26214.4 pages -> 26214 pages.
    assert apps.start == Size(1 * G, 26_214 * PAGE)
    assert apps.count == 3
    assert apps.step_interval == 10.0
    # 300M / 10 = 31457280 bytes = 7680 pages exactly.
    assert scaled.services["jellyfin"].memory == Size(300 * M, 7_680 * PAGE)
    assert scaled.strategy("container-low").swap == Size(0, 0)


def test_scaling_keeps_durations() -> None:
    original = load_scenario(EXAMPLE)
    scaled = original.scaled(3 * G)
    assert [phase.duration for phase in scaled.phases] == [60.0, 300.0, 120.0]
    spike = scaled.phases[1].loads[4]
    assert isinstance(spike, MlSpike)
    assert spike.hold == 30.0


def test_scaling_leaves_original_alone() -> None:
    original = load_scenario(EXAMPLE)
    original.scaled(3 * G)
    assert original.strategy("seed").memory_high == Size(8 * G, 8 * G)
    assert BUILTIN_STRATEGIES["seed"].memory_high == Size(8 * G, 8 * G)


def test_scaling_twice_starts_from_modelled() -> None:
    original = load_scenario(EXAMPLE)
    once = original.scaled(3 * G)
    again = once.scaled(6 * G)
    assert again.strategy("seed").memory_max == Size(10 * G, 2 * G)
    assert again == original.scaled(6 * G)


def test_size_text() -> None:
    assert str(Size(8 * G, 8 * G)) == "8.0G"
    assert str(Size(8 * G, 858_992_640)) == "8.0G (lab 819M)"
