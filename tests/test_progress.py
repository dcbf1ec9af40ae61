"""Progress lines of a long index run when output is not a terminal (indexer.progress)."""

from __future__ import annotations

import io
import re

from click.testing import CliRunner

from helpers import write_small_archive
from indexer.cli import main
from indexer.i18n import number
from indexer.progress import progress_line, progress_lines


def test_a_line_says_how_far_how_fast_and_how_long_is_left():
    assert progress_line(1200, 5000, 10.0) == (
        "Indexing: 1,200 of 5,000 files (24%), 120 files/s, about 32 s left")
    assert progress_line(100, 50_000, 10.0) == (
        "Indexing: 100 of 50,000 files (0%), 10 files/s, about 1 h 23 min left")
    assert progress_line(1000, 5000, 60.0).endswith("17 files/s, about 4 min 00 s left")
    assert progress_line(0, 5000, 0.0) == "Indexing: 0 of 5,000 files (0%)"


def test_numbers_are_written_the_vietnamese_way_in_vietnamese(monkeypatch):
    """Thousands grouped with dots, decimals after a comma: "12,000 tệp" would read as
    twelve files."""
    monkeypatch.setenv("VNSEARCH_LANG", "vi")
    assert progress_line(12_000, 50_000, 10.0) == (
        "Đang lập chỉ mục: 12.000/50.000 tệp (24%), 1.200 tệp/giây, còn khoảng 32 giây")
    assert number(2.25, 1) == "2,2" and number(1_234_567) == "1.234.567"
    monkeypatch.setenv("VNSEARCH_LANG", "en")
    assert number(2.25, 1) == "2.2" and number(1_234_567) == "1,234,567"


def test_lines_come_every_interval_and_items_pass_unchanged():
    out = io.StringIO()
    items = ["a.txt", "b.txt", "c.txt"]
    assert list(progress_lines(items, every=0.0, stream=out)) == items
    lines = out.getvalue().splitlines()
    assert [re.match(r"Indexing: (\d) of 3 files", line)[1] for line in lines] == ["0", "1", "2"]


def test_a_short_run_prints_nothing():
    out = io.StringIO()
    assert list(progress_lines(list(range(1000)), stream=out)) == list(range(1000))
    assert out.getvalue() == ""


def test_index_without_a_terminal_draws_no_progress_bar(tmp_path):
    archive = write_small_archive(tmp_path / "archive")
    result = CliRunner().invoke(main, ["index", "--archive", str(archive),
                                       "--index", str(tmp_path / "index"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "it/s" not in result.output
