"""bench/operators.py: every search of its list is answered and timed on a real index."""

from __future__ import annotations

from bench import operators
from helpers import write_article
from indexer.build import build


def test_every_search_is_timed_with_its_matches(tmp_path, capsys):
    archive = tmp_path / "archive"
    for n in range(6):
        write_article(archive, f"the-thao/bai-{n}.txt", f"Bóng đá Việt Nam số {n}",
                      "Đội tuyển bóng đá Việt Nam tập ở Hà Nội; giá đất ở Huế tăng.",
                      date=f"2005-0{1 + n}-01", category="Thể thao")
    build(archive, tmp_path / "index", jobs=1)
    result = operators.main(["--index", str(tmp_path / "index"), "--runs", "2"])
    rows = result["table"].splitlines()[2:]
    assert len(rows) == len(operators.SEARCHES)
    matches = {row.split(" | ")[0].strip("| "): int(row.split(" | ")[2]) for row in rows}
    assert matches["short phrase"] == matches["words, newest first"] == 6
    assert matches["category alone"] == 6
    assert "Operators, date order and filters" in capsys.readouterr().out
