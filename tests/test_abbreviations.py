"""indexer.abbreviations: the file format, query-time expansion, the librarian's file."""

from __future__ import annotations

import os
import time
from importlib import resources

import pytest

from indexer.abbreviations import (
    LIBRARIAN_FILE,
    SHIPPED_FILE,
    AbbreviationSource,
    Abbreviations,
    Expansion,
    default_abbreviations,
)
from indexer.analysis import syllable_keys
from indexer.conffile import RECHECK_SECONDS

TPHCM = ("thành", "phố", "hồ", "chí", "minh")


def table(text: str) -> Abbreviations:
    parsed, problems = Abbreviations.parse(text, "test.txt")
    assert problems == []
    return parsed


def expand(abbreviations: Abbreviations, query: str) -> list[Expansion]:
    return abbreviations.expansions(syllable_keys(query))


def alternatives(abbreviations: Abbreviations, query: str) -> set[tuple[str, ...]]:
    """The alternatives of a query that is one form from end to end."""
    keys = syllable_keys(query)
    (found,) = abbreviations.expansions(keys)
    assert (found.start, found.end) == (0, len(keys))
    return set(found.alternatives)


def shipped_text() -> str:
    return resources.files("indexer").joinpath(SHIPPED_FILE).read_text(encoding="utf-8")


# --- the file format ---


def test_parse_skips_comments_and_blank_lines_and_reports_bad_lines():
    text = (
        "# section: places\n"
        "\n"
        "TP.HCM = Thành phố Hồ Chí Minh   # the largest city\n"
        "   \n"
        "lonely form\n"
        "CLB = = câu lạc bộ\n"
        "Hòa Bình = Hoà Bình\n"
        "HLV = huấn luyện viên\n"
    )
    parsed, problems = Abbreviations.parse(text, "list.txt")
    assert len(parsed) == 2
    assert [p.split(": ", 1)[0] for p in problems] == ["list.txt:5", "list.txt:6", "list.txt:7"]
    assert alternatives(parsed, "HLV") == {("huấn", "luyện", "viên")}
    assert expand(parsed, "CLB") == []


def test_forms_are_normalized_so_punctuation_and_tone_style_do_not_matter():
    parsed = table("TP.HCM = TP HCM = Thành phố Hồ Chí Minh\nthuỷ điện = TĐ\n")
    assert alternatives(parsed, "tp hcm") == {TPHCM}
    assert alternatives(parsed, "THỦY ĐIỆN") == {("tđ",)}


# --- expansion ---


def test_abbreviation_expands_to_full_name_and_back():
    shipped = default_abbreviations()
    assert TPHCM in alternatives(shipped, "TP.HCM")
    assert {("tp", "hcm"), ("tphcm",)} <= alternatives(shipped, "Thành phố Hồ Chí Minh")
    assert ("câu", "lạc", "bộ") in alternatives(shipped, "CLB")
    assert ("clb",) in alternatives(shipped, "câu lạc bộ")
    assert ("việt", "nam") in alternatives(shipped, "VN")
    assert ("vn",) in alternatives(shipped, "Việt Nam")


def test_words_typed_without_marks_match_syllable_by_syllable():
    shipped = default_abbreviations()
    found = alternatives(shipped, "thanh pho ho chi minh")
    assert {("tp", "hcm"), ("tphcm",)} <= found
    assert TPHCM not in found  # the query already finds the form it spells
    assert ("câu", "lạc", "bộ") in alternatives(shipped, "CLB")
    assert ("clb",) in alternatives(shipped, "cau lac bo")
    assert ("clb",) in alternatives(shipped, "câu lac bộ")


def test_a_mark_typed_means_that_spelling():
    parsed = table("HN = Hà Nội\n")
    assert expand(parsed, "hà nôi") == []
    assert expand(parsed, "hả nội") == []


def test_expansion_positions_in_a_longer_query():
    found = expand(default_abbreviations(), "giá BĐS ở TP.HCM tăng")
    assert [(e.start, e.end) for e in found] == [(1, 2), (3, 5)]
    assert ("bất", "động", "sản") in found[0].alternatives
    assert TPHCM in found[1].alternatives


def test_longest_form_wins():
    parsed = table("ĐT = đội tuyển\nVN = Việt Nam\nĐTVN = đội tuyển Việt Nam\n")
    assert expand(parsed, "đội tuyển Việt Nam thắng") == [Expansion(0, 4, (("đtvn",),))]


def test_forms_found_do_not_overlap_and_are_found_left_to_right():
    parsed = table("an ninh = AN\nninh bình = NB\nbình dương = BD\n")
    found = expand(parsed, "an ninh bình dương")
    assert [(e.start, e.end, e.alternatives) for e in found] == [
        (0, 2, (("an",),)),
        (2, 4, (("bd",),)),
    ]


def test_d_for_dstroke_only_when_that_spelling_is_no_other_groups_form():
    parsed = table("DN = doanh nghiệp\nĐN = Đà Nẵng\nĐH = đại học\n")
    assert alternatives(parsed, "dn") == {("doanh", "nghiệp")}
    assert alternatives(parsed, "ĐN") == {("đà", "nẵng")}
    assert alternatives(parsed, "dh") == {("đại", "học")}
    assert alternatives(parsed, "ĐH") == {("đại", "học")}


def test_an_abbreviation_never_matches_other_marks():
    parsed = table("HĐND = Hội đồng nhân dân\n")
    assert expand(parsed, "hdnd") != []
    assert expand(parsed, "hđnđ") == []


# --- the shipped list ---


def test_shipped_list_parses_without_problems_and_is_large():
    parsed, problems = Abbreviations.parse(shipped_text(), SHIPPED_FILE)
    assert problems == []
    assert len(parsed) >= 100
    assert len(default_abbreviations()) == len(parsed)


def test_shipped_groups_are_distinct():
    """A form on two lines would silently join two groups into one."""
    lines = [line for line in shipped_text().splitlines() if line.split("#", 1)[0].strip()]
    assert len(default_abbreviations()) == len(lines)


@pytest.mark.parametrize(
    "query", ["anh", "nga", "lao", "ai", "tha", "vat", "bot", "ca", "tu", "y", "duc", "nhat"]
)
def test_shipped_list_leaves_ordinary_words_alone(query):
    assert expand(default_abbreviations(), query) == []


def test_shipped_list_keeps_ambiguous_dn_for_doanh_nghiep():
    assert alternatives(default_abbreviations(), "DN") == {("doanh", "nghiệp")}


# --- merging and the librarian's file ---


def test_merged_joins_groups_that_share_a_form():
    base = table("TP.HCM = Thành phố Hồ Chí Minh\nCLB = câu lạc bộ\n")
    local = table("Sài Gòn = TPHCM = TP HCM\nHLV = huấn luyện viên\n")
    merged = base.merged(local)
    assert len(merged) == 3
    assert alternatives(merged, "Sài Gòn") == {("tp", "hcm"), TPHCM, ("tphcm",)}
    assert len(base) == 2  # unchanged


def test_merged_group_bridges_two_groups():
    base = table("A1 = B1\nC1 = D1\n")
    merged = base.merged(table("B1 = C1\n"))
    assert len(merged) == 1
    assert alternatives(merged, "a1") == {("b1",), ("c1",), ("d1",)}


def write(path, text: str, mtime_step: int = 0) -> None:
    path.write_text(text, encoding="utf-8")
    if mtime_step:
        stamp = time.time() + mtime_step
        os.utime(path, (stamp, stamp))


def test_missing_librarian_file_gives_the_shipped_list(tmp_path):
    source = AbbreviationSource(tmp_path)
    assert source.current() is default_abbreviations()
    assert source.problems == []
    assert AbbreviationSource(None).current() is default_abbreviations()


def test_librarian_file_is_merged_and_reread_after_an_edit(tmp_path):
    conf = tmp_path / LIBRARIAN_FILE
    write(conf, "\ufeffSài Gòn = TP.HCM  # joins the shipped group\nnot a group\n")
    source = AbbreviationSource(tmp_path)

    first = source.current()
    assert len(first) == len(default_abbreviations())
    assert ("sài", "gòn") in alternatives(first, "TPHCM")
    assert len(source.problems) == 1 and source.problems[0].startswith(f"{conf}:2: ")

    write(conf, "Xứ Nẫu = Bình Định\n", mtime_step=10)
    assert source.current() is first  # checked at most once per second

    time.sleep(RECHECK_SECONDS + 0.05)
    second = source.current()
    assert len(second) == len(default_abbreviations()) + 1
    assert alternatives(second, "xu nau") == {("bình", "định")}
    assert ("sài", "gòn") not in alternatives(second, "TPHCM")
    assert source.problems == []

    conf.unlink()
    time.sleep(RECHECK_SECONDS + 0.05)
    assert source.current() is default_abbreviations()


def test_unreadable_librarian_file_is_reported_and_shipped_list_kept(tmp_path):
    conf = tmp_path / LIBRARIAN_FILE
    conf.write_bytes(b"TP.HCM = S\xe0i G\xf2n\n")  # Latin-1, not UTF-8
    source = AbbreviationSource(tmp_path)
    assert source.current() is default_abbreviations()
    assert len(source.problems) == 1 and source.problems[0].startswith(str(conf))


def test_forms_are_shown_as_the_file_writes_them():
    table, _ = Abbreviations.parse("TP.HCM = Thành phố Hồ Chí Minh\n", "test.conf")
    (expansion,) = table.expansions(["tp", "hcm"])
    assert [table.written(f) for f in expansion.alternatives] == ["Thành phố Hồ Chí Minh"]
    merged = default_abbreviations().merged(table)
    assert merged.written(("tp", "hcm")) == "TP.HCM"
