"""Write the readable reports of a run next to its report.json."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lab.report.html import render_html
from lab.report.junit import render_junit
from lab.report.markdown import append_step_summary, render_summary
from lab.report.results import write_text_atomic
from lab.report.run_folder import load_run

log = logging.getLogger(__name__)


def write_all(folder: Path, report: dict[str, Any]) -> list[Path]:
    """Write junit.xml, summary.md and report.html into folder and return their paths.

    The summary is also appended to $GITHUB_STEP_SUMMARY when that variable is set.
    """
    recorded = load_run(folder, report)
    summary = render_summary(recorded)
    written = []
    for name, text in (("junit.xml", render_junit(report)), ("summary.md", summary),
                       ("report.html", render_html(recorded))):  # fmt: skip
        path = folder / name
        write_text_atomic(path, text)
        written.append(path)
    step_summary = append_step_summary(summary)
    if step_summary:
        log.info("Appended the summary to %s", step_summary)
    return written
