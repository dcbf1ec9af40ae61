"""Relevance: the known failure modes of Vietnamese search, and the evaluation on real data.

The small cases are hand-written documents, one per failure mode described in the
evaluation notes; the last test runs ``vnsearch eval``'s code on the corpus sample with
floors a little below the targets, so a ranking regression fails CI.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import pytest

from conftest import EVAL_QUERIES, needs_corpus
from helpers import write_article
from indexer.build import build
from indexer.evaluate import load_queries, run_eval
from indexer.search import ArchiveSearcher, SearchParams

DOCS = {
    "a/nha-hat.txt": ("Thư của nàng gửi nhà hát lớn",
                      "Nàng viết thư cho nhà hát, nơi nàng từng hát những bài ca đầu tiên."),
    "a/hat-nhan.txt": ("Pakistan xây nhà máy điện hạt nhân mới",
                       "Nàng thư ký nói nhà máy hạt nhân sẽ hoạt động năm tới."),
    "b/su-tu.txt": ("Chuyến du lịch của hoàng tử",
                    "Hoàng tử đi du lịch châu Phi và gặp một đàn sư tử trong công viên."),
    "b/lich-su.txt": ("Lịch sử đội cận vệ của giáo hoàng",
                      "Trong lịch sử, đội cận vệ tử vì đạo được giáo hoàng tôn vinh; du khách "
                      "đến xem lễ đổi gác sư đoàn."),
    "c/det-may.txt": ("Mỹ - Trung đạt hiệp định dệt may",
                      "Hai bên ký hiệp định về hàng dệt may sau nhiều vòng đàm phán an ninh."),
    "c/det-khac.txt": ("Mỹ và Trung Quốc đàm phán thương mại",
                       "Hiệp định thương mại chưa đạt được, hàng dệt vẫn bị áp thuế."),
    "d/duong.txt": ("Tuyến đường mới mở ở Hà Nội", "Con đường dài hai cây số vừa thông xe."),
    "d/duong-2.txt": ("Đại dương xanh", "Sinh vật dưới đại dương cần được bảo vệ."),
    "e/papaverine.txt": ("Điều trị cương dương bằng papaverine",
                         "Thuốc papaverine được tiêm vào dương vật; cái họa của việc lạm dụng "
                         "là tình trạng cương kéo dài."),
    "e/cuong-duong.txt": ("Cương dương vật gây đau",
                          "Tình trạng cương dương vật kéo dài gây đau đớn cho người bệnh."),
    "f/da-day.txt": ("Dạ dày nhím chữa bệnh dạ dày?",
                     "Nhiều người tin dạ dày nhím chữa được bệnh dạ dày, nhưng bác sĩ khuyên "
                     "thận trọng."),
    "f/hoa-binh.txt": ("Khoẻ mạnh và hoà bình", "Uỷ ban hoà giải họp về sức khoẻ cộng đồng."),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    root = tmp_path_factory.mktemp("relevance")
    for rel, (title, body) in DOCS.items():
        write_article(root / "archive", rel, title, body)
    build(root / "archive", root / "index", jobs=1)
    found = ArchiveSearcher(root / "index")
    yield found
    found.close()


def first(searcher: ArchiveSearcher, q: str) -> str | None:
    results = searcher.search(SearchParams(q=q), facets=False, snippets=False, suggest=False)
    return results.hits[0].id if results.hits else None


def test_diacritics_typed_do_not_collide_with_homographs(searcher):
    assert first(searcher, "thư nàng nhà hát") == "a/nha-hat.txt"


def test_compounds_beat_the_same_syllables_scattered(searcher):
    assert first(searcher, "sư tử du lịch hoàng tử") == "b/su-tu.txt"
    assert first(searcher, "su tu du lich hoang tu") == "b/su-tu.txt"


def test_headline_punctuation_is_text_and_syllables_are_never_stop_words(searcher):
    assert first(searcher, "Mỹ - Trung đạt hiệp định dệt may") == "c/det-may.txt"
    assert first(searcher, "my - trung dat hiep dinh det may") == "c/det-may.txt"
    assert first(searcher, "Dạ dày nhím chữa bệnh dạ dày?") == "f/da-day.txt"
    assert first(searcher, "an ninh") == "c/det-may.txt"


def test_exact_diacritics_outrank_folded_matches(searcher):
    assert first(searcher, "đường") == "d/duong.txt"
    assert first(searcher, "dương") == "d/duong-2.txt"


def test_full_coverage_beats_a_title_with_one_word(searcher):
    assert first(searcher, "cương cái họa papaverine dương vật") == "e/papaverine.txt"


def test_tone_style_and_unicode_form_never_matter(searcher):
    import unicodedata

    for q in ("hoà bình khoẻ", "hòa bình khỏe", unicodedata.normalize("NFD", "hòa bình khỏe"),
              "ủy ban hòa giải", "uỷ ban hoà giải"):
        assert first(searcher, q) == "f/hoa-binh.txt", q


def test_one_rare_or_misspelled_word_does_not_empty_the_results(searcher):
    results = searcher.search(SearchParams(q="papaverine dương vật xyzzyq"), facets=False)
    assert results.relaxed
    assert results.hits[0].id == "e/papaverine.txt"


# Floors a little below the targets of the relevance work (targets: 0.97, 0.93, 0.98, 0.95,
# 0.90 and 0.95 overall on the full core); the sample holds only ~30 queries, so one miss
# moves a kind by about 0.15 and the per-kind floors stay loose.
OVERALL_FLOOR = 0.90
KIND_FLOOR = 0.75


@needs_corpus
def test_eval_on_the_corpus_sample_stays_above_the_floors(corpus_sample):
    if not EVAL_QUERIES.is_file():
        pytest.skip(f"no evaluation queries at {EVAL_QUERIES}")
    stems = {record["id"] for record in corpus_sample.records}
    items = [q for q in load_queries(EVAL_QUERIES) if q.relevant & stems]
    assert len(items) >= 15, "the sample should hold a tenth of the public queries"
    report = run_eval(corpus_sample.index, items)
    metrics = report.as_dict(failures=10)
    print("\n" + json.dumps(metrics, ensure_ascii=False, indent=1))
    assert metrics["metrics"]["all"]["mrr"] >= OVERALL_FLOOR
    for kind, row in metrics["metrics"].items():
        assert row["mrr"] >= KIND_FLOOR, (kind, row)
    assert all(PurePosixPath(o.first.split(" — ")[0]).stem for o in report.outcomes if o.first)
