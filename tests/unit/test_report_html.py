"""report.html: self-contained, with one inline PNG per strategy, and rendered by headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import numpy
from matplotlib.image import imread

from lab.report.html import render_html
from lab.report.outputs import write_all
from lab.report.run_folder import load_run, read_report
from lab.run import run
from tests.conftest import skip_or_fail
from tests.unit.report_runs import copy_test55, two_strategy_run

PNG_DATA = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def test_html_embeds_one_png_per_strategy(tmp_path: Path) -> None:
    page = render_html(load_run(two_strategy_run(tmp_path / "run")))
    images = PNG_DATA.findall(page)
    assert len(images) == 2
    for encoded in images:
        assert base64.b64decode(encoded).startswith(b"\x89PNG\r\n\x1a\n")


def test_html_loads_nothing_external(tmp_path: Path) -> None:
    page = render_html(load_run(two_strategy_run(tmp_path / "run"))).lower()
    for reference in ('src="http', 'href="http', 'src="//', "url(", "@import", "<script", "<link"):
        assert reference not in page


def test_html_escapes_report_text(tmp_path: Path) -> None:
    folder = copy_test55(tmp_path / "run")
    report = read_report(folder)
    report["description"] = "<b>bold</b> & more"
    page = render_html(load_run(folder, report))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "<b>bold</b>" not in page


def test_write_all_writes_three_files(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = copy_test55(tmp_path / "run")
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    written = write_all(folder, read_report(folder))
    assert [path.name for path in written] == ["junit.xml", "summary.md", "report.html"]
    assert all(path.stat().st_size > 0 for path in written)
    assert step_summary.read_text() == (folder / "summary.md").read_text()
    assert not list(folder.glob("*.partial"))


def test_html_screenshot_not_blank(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        skip_or_fail("chromium is not installed (Debian package chromium)")
    assert chromium is not None
    page = tmp_path / "report.html"
    page.write_text(render_html(load_run(two_strategy_run(tmp_path / "run"))))
    screenshot = tmp_path / "report.png"
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2200",
         f"--screenshot={screenshot}", page.as_uri()], timeout=120)  # fmt: skip
    pixels = imread(screenshot)[:, :, :3]
    colours = numpy.unique((pixels * 255).round().astype(numpy.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 100, f"only {len(colours)} distinct colours in {screenshot}"
    not_white = (pixels < 0.95).any(axis=2).mean()
    assert not_white > 0.05, f"{not_white:.1%} of the screenshot is not white"
