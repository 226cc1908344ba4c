"""Read a results folder back: report.json with each strategy's timeline and journal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lab.errors import BadInput
from lab.observe.timeline import Sample, parse_timeline
from lab.report.results import results_root


@dataclass(frozen=True)
class StrategyRecord:
    """One strategy's recorded files. `wall_offset` maps a sample's `t` to Unix time (t + offset)."""

    name: str
    samples: list[Sample]
    journal: list[str]
    wall_offset: float | None


@dataclass(frozen=True)
class RecordedRun:
    """A results folder: the report and, per strategy name, its timeline and journal."""

    folder: Path
    report: dict[str, Any]
    strategies: dict[str, StrategyRecord]

    def record(self, strategy: str) -> StrategyRecord:
        """Return the strategy's files, or an empty record when the folder has none of them."""
        return self.strategies.get(strategy, StrategyRecord(strategy, [], [], None))


def load_run(folder: Path, report: dict[str, Any] | None = None) -> RecordedRun:
    """Read report.json (unless given) and each strategy's timeline and journal from folder."""
    if report is None:
        report = read_report(folder)
    strategies = {run["strategy"]: _load_strategy(folder, run["strategy"]) for run in report["runs"]}
    return RecordedRun(folder, report, strategies)


def read_report(folder: Path) -> dict[str, Any]:
    path = folder / "report.json"
    if not path.is_file():
        raise BadInput(
            f"no report.json in {folder}", hint="give a folder that `./slicelab scenario.run` wrote"
        )
    try:
        report: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise BadInput(f"invalid JSON in {path}: {error}") from error
    return report


def _load_strategy(folder: Path, strategy: str) -> StrategyRecord:
    timeline = folder / f"timeline-{strategy}.jsonl"
    journal = folder / f"journal-{strategy}.txt"
    text = timeline.read_text() if timeline.is_file() else ""
    lines = journal.read_text().splitlines() if journal.is_file() else []
    return StrategyRecord(strategy, parse_timeline(text, str(timeline)), lines, _wall_offset(text))


def _wall_offset(text: str) -> float | None:
    """Return `wall - t` of the first sample, or None when the timeline has no `wall` field."""
    first = text.split("\n", 1)[0]
    try:
        data = json.loads(first)
        return float(data["wall"]) - float(data["t"])
    except (ValueError, KeyError, TypeError):
        # An empty timeline, one unfinished line (parse_timeline skips it) or no `wall`.
        return None


def journal_time(line: str) -> float | None:
    """Return the Unix time of a `journalctl -o short-iso` line, or None without a timestamp."""
    stamp = line.split(" ", 1)[0]
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def find_run(name: str | None) -> Path:
    """Resolve a results folder: a path, a folder name under results/, or the latest run."""
    if name is None:
        return latest_run()
    path = Path(name)
    for candidate in (path, results_root() / name):
        if (candidate / "report.json").is_file():
            return candidate
    raise BadInput(f"no results folder with a report.json at {name!r}",
                   hint=f"give a path or a folder name under {results_root()}")  # fmt: skip


def latest_run() -> Path:
    """Return the newest folder under results/ that has a report.json (names start with a timestamp)."""
    root = results_root()
    folders = sorted(p for p in root.glob("*") if (p / "report.json").is_file()) if root.is_dir() else []
    if not folders:
        raise BadInput(f"no scenario results under {root}", hint="run one: `./slicelab scenario.run NAME`")
    return folders[-1]
