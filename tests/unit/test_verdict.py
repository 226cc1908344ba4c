"""Journal parsing, cgroup attribution, pressure windows, outcomes and expectation results."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from lab.errors import LabError
from lab.observe.journal import (
    Killer,
    KillReason,
    parse_manager_line,
    parse_oomd_kills,
    parse_oomd_line,
    unit_cgroup,
    unit_of_cgroup,
)
from lab.observe.outcome import (
    EvidenceSource,
    Observations,
    OomdXattrs,
    OomKillCount,
    PodmanState,
    UnitOutcome,
    UnitState,
    decide_outcomes,
)
from lab.observe.timeline import (
    CgroupSample,
    PressureSummary,
    Sample,
    WatchedCgroup,
    count_oom_kills,
    measure_pressure,
    parse_timeline,
)
from lab.scenario import Expectation, Finding, Outcome
from lab.verdict import Status, check_expectations, pressure_above, record_findings

USER = "/user.slice/user-1000.slice/user@1000.service"
APP_SLICE = f"{USER}/app.slice"
CONTAINER_SLICE = f"{USER}/container.slice"

# Recorded on the development VM (Debian trixie, systemd 257) with container.slice at
# MemoryHigh=400M and no swap.
RECORDED_KILL = (
    "Killed /user.slice/user-1000.slice/user@1000.service/container.slice/immich.service due to "
    "memory pressure for /user.slice/user-1000.slice/user@1000.service/container.slice being "
    "90.52% > 80.00% for > 20s with reclaim activity"
)


# systemd-oomd notices


def test_recorded_kill_line() -> None:
    kill = parse_oomd_line(RECORDED_KILL)
    assert kill is not None
    assert kill.cgroup == f"{CONTAINER_SLICE}/immich.service"
    assert kill.watched == CONTAINER_SLICE
    assert kill.reason is KillReason.MEMORY_PRESSURE
    assert kill.pressure == 90.52
    assert kill.limit == 80.0
    assert kill.duration == "20s"
    assert kill.marked is False
    assert kill.line == RECORDED_KILL


def test_kill_line_with_journal_prefix() -> None:
    line = f"Mar 03 12:00:01 lab systemd-oomd[321]: {RECORDED_KILL}\n"
    kill = parse_oomd_line(line)
    assert kill is not None
    assert kill.cgroup == f"{CONTAINER_SLICE}/immich.service"
    assert kill.line == line.strip()


def test_marked_pressure_line() -> None:
    line = (
        f"Marked {APP_SLICE}/app-gnome-firefox-4242.scope for killing due to memory pressure "
        f"for {USER} being 57.97% > 50.00% for > 1min 30s with reclaim activity"
    )
    kill = parse_oomd_line(line)
    assert kill is not None
    assert kill.marked is True
    assert kill.cgroup == f"{APP_SLICE}/app-gnome-firefox-4242.scope"
    assert kill.watched == USER
    assert kill.pressure == 57.97
    assert kill.limit == 50.0
    assert kill.duration == "1min 30s"


@pytest.mark.parametrize(("verb", "marked"), [("Killed", False), ("Marked", True)])
def test_swap_kill_line(verb: str, marked: bool) -> None:
    middle = " for killing" if marked else ""
    line = (
        f"{verb} {APP_SLICE}/jellyfin.service{middle} due to memory used (31000000000) / total "
        "(32000000000) and swap used (7600000000) / total (8000000000) being more than 90.00%"
    )
    kill = parse_oomd_line(line)
    assert kill is not None
    assert kill.reason is KillReason.SWAP
    assert kill.marked is marked
    assert kill.cgroup == f"{APP_SLICE}/jellyfin.service"
    assert kill.watched is None
    assert kill.limit == 90.0
    assert kill.pressure is None


@pytest.mark.parametrize(
    "line",
    [
        "Started systemd-oomd.service - Userspace Out-Of-Memory (OOM) Killer.",
        f"Memory pressure for {APP_SLICE} is 90.00% > 80.00% for > 20s with reclaim activity",
        "jellyfin.service: Main process exited, code=killed, status=9/KILL",
        "",
    ],
)
def test_other_lines_are_not_kills(line: str) -> None:
    assert parse_oomd_line(line) is None


def test_parse_oomd_kills_keeps_order() -> None:
    second = RECORDED_KILL.replace("immich.service", "jellyfin.service", 1)
    kills = parse_oomd_kills(["noise", RECORDED_KILL, "more noise", second])
    assert [kill.cgroup.rsplit("/", 1)[1] for kill in kills] == [
        "immich.service",
        "jellyfin.service",
    ]


# The service manager's per-unit lines


def test_manager_oomd_line() -> None:
    line = "systemd[1565]: app-firefox-1.scope: systemd-oomd killed 3 process(es) in this unit."
    message = parse_manager_line(line)
    assert message is not None
    assert message.unit == "app-firefox-1.scope"
    assert message.killer is Killer.OOMD
    assert message.count == 3


def test_manager_oomd_line_some() -> None:
    message = parse_manager_line(
        "jellyfin.service: systemd-oomd killed some process(es) in this unit."
    )
    assert message is not None
    assert message.count is None


@pytest.mark.parametrize(
    "text",
    [
        "A process of this unit has been killed by the OOM killer.",
        "A process has been killed by the OOM killer.",
    ],
)
def test_manager_kernel_line(text: str) -> None:
    message = parse_manager_line(f"Sep 23 14:09:18 lab systemd[919]: jellyfin.service: {text}")
    assert message is not None
    assert message.unit == "jellyfin.service"
    assert message.killer is Killer.KERNEL


def test_manager_line_ignores_other_lines() -> None:
    assert parse_manager_line("jellyfin.service: Failed with result 'oom-kill'.") is None


# Attribution of cgroups to units


@pytest.mark.parametrize(
    ("cgroup", "unit", "unit_path"),
    [
        (
            f"{CONTAINER_SLICE}/jellyfin.service/libpod-payload-0123abcd",
            "jellyfin.service",
            f"{CONTAINER_SLICE}/jellyfin.service",
        ),
        (
            f"{APP_SLICE}/jellyfin.service/runtime",
            "jellyfin.service",
            f"{APP_SLICE}/jellyfin.service",
        ),
        (f"{APP_SLICE}/jellyfin.service", "jellyfin.service", f"{APP_SLICE}/jellyfin.service"),
        (
            f"{APP_SLICE}/app-gnome-firefox-4242.scope",
            "app-gnome-firefox-4242.scope",
            f"{APP_SLICE}/app-gnome-firefox-4242.scope",
        ),
        ("/system.slice/nginx.service", "nginx.service", "/system.slice/nginx.service"),
    ],
)
def test_unit_of_killed_cgroup(cgroup: str, unit: str, unit_path: str) -> None:
    assert unit_cgroup(cgroup) == (unit, unit_path)
    assert unit_of_cgroup(cgroup) == unit


@pytest.mark.parametrize("cgroup", [USER, APP_SLICE, CONTAINER_SLICE, "/", "/user.slice"])
def test_slices_belong_to_no_unit(cgroup: str) -> None:
    assert unit_of_cgroup(cgroup) is None


# The timeline


def reading(full_avg10: float = 0.0, oom_kill: int = 0) -> CgroupSample:
    return CgroupSample(
        memory_current=100 << 20,
        memory_high=None,
        memory_max=None,
        some_avg10=full_avg10,
        full_avg10=full_avg10,
        full_total=0,
        pgscan=0,
        oom_kill=oom_kill,
    )


def timeline(values: Sequence[float | None], path: str = APP_SLICE) -> list[Sample]:
    """One sample per second; None leaves the cgroup out of that sample."""
    return [
        Sample(
            t=float(t),
            cgroups={} if value is None else {path: reading(value)},
            mem_available=1 << 30,
            swap_total=0,
            swap_free=0,
        )
        for t, value in enumerate(values)
    ]


def sample_line(t: float, full_avg10: float) -> str:
    cgroup = {
        "memory_current": 1,
        "memory_high": None,
        "memory_max": 1024,
        "some_avg10": full_avg10,
        "full_avg10": full_avg10,
        "full_total": 5,
        "pgscan": 7,
        "oom_kill": 0,
    }
    return json.dumps(
        {
            "t": t,
            "cgroups": {APP_SLICE: cgroup},
            "mem_available": 10,
            "swap_total": 20,
            "swap_free": 15,
        }
    )


def test_parse_timeline() -> None:
    text = sample_line(0.0, 1.5) + "\n" + sample_line(1.0, 2.5) + "\n"
    samples = parse_timeline(text)
    assert [sample.t for sample in samples] == [0.0, 1.0]
    first = samples[0].cgroups[APP_SLICE]
    assert first.full_avg10 == 1.5
    assert first.memory_high is None
    assert first.memory_max == 1024
    assert first.pgscan == 7
    assert samples[1].swap_free == 15


def test_parse_timeline_invalid_line() -> None:
    text = sample_line(0.0, 1.0) + '\n{"t": 1}\n' + sample_line(2.0, 1.0) + "\n"
    with pytest.raises(LabError, match=r"run\.jsonl line 2"):
        parse_timeline(text, "run.jsonl")


def test_parse_timeline_skips_unfinished_last_line() -> None:
    text = sample_line(0.0, 1.0) + "\n" + sample_line(1.0, 1.0)[:30]
    assert len(parse_timeline(text)) == 1


def test_parse_timeline_rejects_time_going_back() -> None:
    text = sample_line(5.0, 1.0) + "\n" + sample_line(4.0, 1.0) + "\n"
    with pytest.raises(LabError, match="line 2"):
        parse_timeline(text)


# Pressure windows

WATCHED = WatchedCgroup(APP_SLICE, limit=80.0, duration=20.0)
# t=0..9 at 50 %, t=10..35 at 90 % (25 s from first to last), t=36 at 70 %,
# t=37..40 at 95 % (3 s).
SERIES: list[float | None] = [*[50.0] * 10, *[90.0] * 26, 70.0, *[95.0] * 4]


def test_pressure_condition_met() -> None:
    summary = measure_pressure(timeline(SERIES), WATCHED)
    assert summary.samples == 41
    assert summary.peak_full_avg10 == 95.0
    assert summary.peak_t == 37.0
    assert summary.longest_above == 25.0
    assert summary.seconds_above == 28.0
    assert summary.condition_met is True


def test_pressure_too_short() -> None:
    watched = WatchedCgroup(APP_SLICE, limit=80.0, duration=30.0)
    summary = measure_pressure(timeline(SERIES), watched)
    assert summary.longest_above == 25.0
    assert summary.condition_met is False


def test_pressure_at_limit_is_not_above() -> None:
    summary = measure_pressure(timeline([80.0] * 40), WATCHED)
    assert summary.peak_full_avg10 == 80.0
    assert summary.seconds_above == 0.0
    assert summary.condition_met is False


def test_pressure_gap_splits_stretch() -> None:
    series = list(SERIES)
    series[20] = None  # the cgroup is missing from the sample at t=20
    summary = measure_pressure(timeline(series), WATCHED)
    # t=10..19 is 9 s, t=21..35 is 14 s, t=37..40 is 3 s.
    assert summary.longest_above == 14.0
    assert summary.seconds_above == 26.0
    assert summary.samples == 40
    assert summary.condition_met is False


def test_pressure_window() -> None:
    summary = measure_pressure(timeline(SERIES), WATCHED, start=36.0)
    assert summary.samples == 5
    assert summary.longest_above == 3.0
    assert summary.condition_met is False
    early = measure_pressure(timeline(SERIES), WATCHED, end=9.0)
    assert early.peak_full_avg10 == 50.0


def test_pressure_single_reading_counts_zero() -> None:
    summary = measure_pressure(timeline([10.0, 99.0, 10.0]), WATCHED)
    assert summary.peak_full_avg10 == 99.0
    assert summary.seconds_above == 0.0


def test_pressure_without_readings() -> None:
    summary = measure_pressure(timeline([90.0] * 30, path=CONTAINER_SLICE), WATCHED)
    assert summary.samples == 0
    assert summary.peak_t is None
    assert summary.condition_met is False


def test_pressure_describe_names_peak() -> None:
    text = measure_pressure(timeline([48.2, 10.0]), WATCHED).describe()
    assert APP_SLICE in text
    assert "48.20%" in text
    assert "limit 80%" in text


# Kernel OOM kills counted from the timeline


def counter_timeline(values: Sequence[int | None], path: str) -> list[Sample]:
    return [
        Sample(
            t=float(t),
            cgroups={} if value is None else {path: reading(oom_kill=value)},
            mem_available=0,
            swap_total=0,
            swap_free=0,
        )
        for t, value in enumerate(values)
    ]


def test_oom_kills_from_baseline() -> None:
    path = f"{APP_SLICE}/jellyfin.service"
    assert count_oom_kills(counter_timeline([2, 2, 3, 3], path), path) == 1


def test_oom_kills_across_recreation() -> None:
    path = f"{APP_SLICE}/jellyfin.service"
    # One kill, then the service restarts with a new cgroup that counts one more.
    assert count_oom_kills(counter_timeline([0, 1, None, 0, 1], path), path) == 2
    # Recreated between two samples: the counter drops from 3 to 1.
    assert count_oom_kills(counter_timeline([0, 3, 1], path), path) == 4


def test_oom_kills_cgroup_created_later() -> None:
    path = f"{APP_SLICE}/jellyfin.service"
    assert count_oom_kills(counter_timeline([None, 1, 1], path), path) == 1
    assert count_oom_kills([], path) == 0


# Outcomes

JELLYFIN = f"{APP_SLICE}/jellyfin.service"


def running(unit: str, cgroup: str | None = None, restarts: int = 0) -> UnitState:
    return UnitState(unit, "active", "success", n_restarts=restarts, control_group=cgroup)


def sources(outcome: UnitOutcome) -> set[EvidenceSource]:
    return {item.source for item in outcome.evidence}


def test_outcome_oomd_from_recorded_line() -> None:
    outcomes = decide_outcomes(Observations(journal=[RECORDED_KILL]))
    immich = outcomes["immich.service"]
    assert immich.outcome is Outcome.OOMD
    assert immich.oomd_kills == 1
    assert immich.control_group == f"{CONTAINER_SLICE}/immich.service"
    assert sources(immich) == {EvidenceSource.OOMD_JOURNAL}
    assert immich.evidence[0].text == RECORDED_KILL


def test_outcome_oomd_then_restarted() -> None:
    kill = (
        f"Killed {JELLYFIN}/libpod-payload-abc due to memory pressure for {APP_SLICE} "
        "being 91.00% > 80.00% for > 20s with reclaim activity"
    )
    manager = "jellyfin.service: systemd-oomd killed 4 process(es) in this unit."
    observations = Observations(
        journal=[kill, manager],
        units=[UnitState("jellyfin.service", "active", "success", 1, 0, JELLYFIN)],
        xattrs=[OomdXattrs(f"{JELLYFIN}/libpod-payload-abc", ooms=1, kills=4)],
    )
    jellyfin = decide_outcomes(observations)["jellyfin.service"]
    assert jellyfin.outcome is Outcome.OOMD
    assert jellyfin.oomd_kills == 1
    assert jellyfin.restarts == 1
    assert sources(jellyfin) == {
        EvidenceSource.OOMD_JOURNAL,
        EvidenceSource.MANAGER_JOURNAL,
        EvidenceSource.OOMD_XATTR,
        EvidenceSource.UNIT_STATE,
    }
    assert jellyfin.shows(Outcome.OOMD)
    assert jellyfin.shows(Outcome.KILLED)
    assert jellyfin.shows(Outcome.RESTARTED)
    assert not jellyfin.shows(Outcome.SURVIVED)
    assert not jellyfin.shows(Outcome.KERNEL_OOM)
    assert not jellyfin.shows(Outcome.FAILED)


def test_outcome_kernel_oom_from_memory_events() -> None:
    observations = Observations(
        units=[running("jellyfin.service", JELLYFIN)],
        oom_kill_counts=[OomKillCount(f"{JELLYFIN}/libpod-payload-abc", baseline=0, final=2)],
    )
    jellyfin = decide_outcomes(observations)["jellyfin.service"]
    assert jellyfin.outcome is Outcome.KERNEL_OOM
    assert jellyfin.kernel_oom_kills == 2
    assert EvidenceSource.MEMORY_EVENTS in sources(jellyfin)
    assert jellyfin.shows(Outcome.KILLED)
    assert not jellyfin.shows(Outcome.OOMD)


def test_outcome_kernel_oom_from_timeline() -> None:
    samples = counter_timeline([0, 0, 1], JELLYFIN)
    jellyfin = decide_outcomes(Observations(samples=samples))["jellyfin.service"]
    assert jellyfin.outcome is Outcome.KERNEL_OOM
    assert jellyfin.kernel_oom_kills == 1
    assert jellyfin.control_group == JELLYFIN


def test_outcome_kernel_oom_from_podman() -> None:
    observations = Observations(
        units=[running("jellyfin.service")],
        podman=[PodmanState("systemd-jellyfin", "jellyfin.service", oom_killed=True)],
    )
    jellyfin = decide_outcomes(observations)["jellyfin.service"]
    assert jellyfin.outcome is Outcome.KERNEL_OOM
    assert EvidenceSource.PODMAN in sources(jellyfin)


def test_outcome_kernel_oom_from_manager_line() -> None:
    line = "jellyfin.service: A process of this unit has been killed by the OOM killer."
    jellyfin = decide_outcomes(Observations(journal=[line]))["jellyfin.service"]
    assert jellyfin.outcome is Outcome.KERNEL_OOM


def test_outcome_unattributed_kill() -> None:
    state = UnitState("jellyfin.service", "failed", "oom-kill", 0)
    jellyfin = decide_outcomes(Observations(units=[state]))["jellyfin.service"]
    assert jellyfin.outcome is Outcome.KILLED
    assert jellyfin.oomd_kills == 0
    assert jellyfin.kernel_oom_kills == 0
    assert jellyfin.shows(Outcome.KILLED)
    assert jellyfin.shows(Outcome.FAILED)
    assert not jellyfin.shows(Outcome.OOMD)


def test_outcome_failed() -> None:
    state = UnitState("grafana.service", "failed", "exit-code", 0)
    grafana = decide_outcomes(Observations(units=[state]))["grafana.service"]
    assert grafana.outcome is Outcome.FAILED
    assert not grafana.was_killed
    assert grafana.evidence[0].text == "ActiveState=failed Result=exit-code"


def test_outcome_restarted_without_kill() -> None:
    state = UnitState("loki.service", "active", "success", n_restarts=5, n_restarts_baseline=3)
    loki = decide_outcomes(Observations(units=[state]))["loki.service"]
    assert loki.outcome is Outcome.RESTARTED
    assert loki.restarts == 2
    assert any("3 → 5" in item.text for item in loki.evidence)


def test_outcome_survived_names_evidence() -> None:
    vaultwarden = decide_outcomes(Observations(units=[running("vaultwarden.service")]))[
        "vaultwarden.service"
    ]
    assert vaultwarden.outcome is Outcome.SURVIVED
    assert vaultwarden.restarts == 0
    assert [item.supports for item in vaultwarden.evidence] == [Outcome.SURVIVED]


def test_xattr_attempt_without_kill_is_no_evidence() -> None:
    observations = Observations(
        units=[running("jellyfin.service")],
        xattrs=[OomdXattrs(f"{JELLYFIN}/libpod-payload-abc", ooms=1, kills=0)],
    )
    jellyfin = decide_outcomes(observations)["jellyfin.service"]
    assert jellyfin.outcome is Outcome.SURVIVED


def test_oomd_kill_count_is_per_notice() -> None:
    lines = [RECORDED_KILL, RECORDED_KILL.replace("90.52%", "88.10%")]
    immich = decide_outcomes(Observations(journal=lines))["immich.service"]
    assert immich.oomd_kills == 2


# Expectations

CONTAINER_JELLYFIN = f"{CONTAINER_SLICE}/jellyfin.service"


def survived(cgroup: str | None = CONTAINER_JELLYFIN) -> dict[str, UnitOutcome]:
    return decide_outcomes(Observations(units=[running("jellyfin.service", cgroup)]))


def pressure(path: str, peak: float, longest: float, duration: float = 20.0) -> PressureSummary:
    return PressureSummary(
        watched=WatchedCgroup(path, limit=80.0, duration=duration),
        samples=100,
        peak_full_avg10=peak,
        peak_t=50.0,
        seconds_above=longest,
        longest_above=longest,
        condition_met=longest >= duration,
    )


def expect(outcome: Outcome, needs_pressure: bool | None = None) -> Expectation:
    if needs_pressure is None:
        needs_pressure = outcome is Outcome.SURVIVED
    return Expectation("jellyfin.service", outcome, needs_pressure, service="jellyfin")


def check_one(
    expectation: Expectation,
    outcomes: dict[str, UnitOutcome],
    pressures: Sequence[PressureSummary] = (),
) -> tuple[Status, str]:
    (result,) = check_expectations([expectation], outcomes, pressures)
    return result.status, result.reason


def test_survived_under_pressure_passes() -> None:
    pressures = [pressure(CONTAINER_SLICE, peak=91.0, longest=25.0)]
    status, _ = check_one(expect(Outcome.SURVIVED), survived(), pressures)
    assert status is Status.PASS


def test_survived_without_pressure_is_inconclusive() -> None:
    pressures = [pressure(CONTAINER_SLICE, peak=48.2, longest=0.0)]
    status, reason = check_one(expect(Outcome.SURVIVED), survived(), pressures)
    assert status is Status.INCONCLUSIVE
    assert "48.20%" in reason
    assert CONTAINER_SLICE in reason


def test_pressure_on_sibling_slice_does_not_count() -> None:
    pressures = [
        pressure(APP_SLICE, peak=95.0, longest=60.0),
        pressure(CONTAINER_SLICE, peak=30.0, longest=0.0),
    ]
    (result,) = check_expectations([expect(Outcome.SURVIVED)], survived(), pressures)
    assert result.status is Status.INCONCLUSIVE
    assert [item.watched.path for item in result.pressure] == [CONTAINER_SLICE]


def test_pressure_on_user_manager_counts() -> None:
    pressures = [pressure(USER, peak=85.0, longest=21.0)]
    status, _ = check_one(expect(Outcome.SURVIVED), survived(), pressures)
    assert status is Status.PASS


def test_no_watched_ancestor_is_inconclusive() -> None:
    status, reason = check_one(expect(Outcome.SURVIVED), survived(), [])
    assert status is Status.INCONCLUSIVE
    assert "no watched cgroup contains" in reason


def test_unknown_cgroup_is_inconclusive() -> None:
    pressures = [pressure(USER, peak=85.0, longest=21.0)]
    status, reason = check_one(expect(Outcome.SURVIVED), survived(cgroup=None), pressures)
    assert status is Status.INCONCLUSIVE
    assert "unknown" in reason


def test_survived_without_needing_pressure_passes() -> None:
    status, _ = check_one(expect(Outcome.SURVIVED, needs_pressure=False), survived(), [])
    assert status is Status.PASS


def test_killed_unit_fails_survived_even_without_pressure() -> None:
    outcomes = decide_outcomes(
        Observations(journal=[RECORDED_KILL.replace("immich.service", "jellyfin.service", 1)])
    )
    status, reason = check_one(expect(Outcome.SURVIVED), outcomes, [])
    assert status is Status.FAIL
    assert "observed oomd" in reason


def test_oomd_expectation() -> None:
    outcomes = decide_outcomes(
        Observations(journal=[RECORDED_KILL.replace("immich.service", "jellyfin.service", 1)])
    )
    assert check_one(expect(Outcome.OOMD), outcomes)[0] is Status.PASS
    assert check_one(expect(Outcome.KILLED), outcomes)[0] is Status.PASS
    assert check_one(expect(Outcome.KERNEL_OOM), outcomes)[0] is Status.FAIL


def test_kill_expected_but_survived() -> None:
    assert check_one(expect(Outcome.OOMD), survived())[0] is Status.FAIL
    no_pressure = [pressure(CONTAINER_SLICE, peak=40.0, longest=0.0)]
    status, _ = check_one(expect(Outcome.OOMD, needs_pressure=True), survived(), no_pressure)
    assert status is Status.INCONCLUSIVE


def test_unobserved_unit_is_inconclusive() -> None:
    (result,) = check_expectations([expect(Outcome.SURVIVED, needs_pressure=False)], {}, [])
    assert result.status is Status.INCONCLUSIVE
    assert result.observed is None
    assert "jellyfin.service" in result.reason


def test_pressure_above_root() -> None:
    root = pressure("/", peak=90.0, longest=30.0)
    assert pressure_above(CONTAINER_JELLYFIN, [root]) == (root,)
    assert pressure_above(None, [root]) == ()


def test_pressure_above_needs_whole_component() -> None:
    lookalike = pressure(f"{USER}/container.slic", peak=90.0, longest=30.0)
    assert pressure_above(CONTAINER_JELLYFIN, [lookalike]) == ()


# Findings


def test_findings_are_recorded_not_failed() -> None:
    findings = [
        Finding("jellyfin.service", "jellyfin", Outcome.OOMD, "open question"),
        Finding("jellyfin.service", "jellyfin", Outcome.SURVIVED),
        Finding("jellyfin.service", "jellyfin"),
        Finding("ocis.service", "ocis", Outcome.SURVIVED),
    ]
    records = record_findings(findings, survived(), [pressure(USER, 85.0, 21.0)])
    assert [record.matches for record in records] == [False, True, None, None]
    assert records[0].observed is not None
    assert records[0].observed.outcome is Outcome.SURVIVED
    assert len(records[0].pressure) == 1
    assert records[3].observed is None
    assert not hasattr(records[0], "status")


def test_overlapping_counters_are_not_added() -> None:
    # memory.events is hierarchical: the service's count includes its payload's kill.
    counts = [
        OomKillCount(JELLYFIN, baseline=0, final=1),
        OomKillCount(f"{JELLYFIN}/libpod-payload-abc", baseline=0, final=1),
    ]
    jellyfin = decide_outcomes(Observations(oom_kill_counts=counts))["jellyfin.service"]
    assert jellyfin.kernel_oom_kills == 1
    assert len(jellyfin.evidence) == 2
