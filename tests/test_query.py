"""indexer.query: what people type is text first; only a few things are syntax."""

from __future__ import annotations

import pytest

from indexer.query import MAX_QUERY_CHARS, MAX_TERMS, parse


def units(text):
    """The required groups as plain tuples: [[(keys, phrase, title_only), ...], ...]."""
    return [[(u.keys, u.phrase, u.title_only) for u in group] for group in parse(text).required]


def excluded(parsed):
    return [(u.keys, u.phrase) for u in parsed.excluded]


def only_keys(text):
    return parse(text).display_keys()


# --------------------------------------------------------------------------- punctuation is text


@pytest.mark.parametrize(
    "text, keys",
    [
        ("Hà Nội - Việt Nam", ["hà", "nội", "việt", "nam"]),
        ("Bão số 3: thiệt hại nặng", ["bão", "số", "3", "thiệt", "hại", "nặng"]),
        ("Vì sao giá vàng tăng?", ["vì", "sao", "giá", "vàng", "tăng"]),
        ("giá* vàng", ["giá", "vàng"]),
        ("Bộ trưởng 'nói thẳng'", ["bộ", "trưởng", "nói", "thẳng"]),
        ("Luật (sửa đổi) năm 2024", ["luật", "sửa", "đổi", "năm", "2024"]),
        ("COVID-19 tại TP.HCM", ["covid", "19", "tại", "tp", "hcm"]),
        ("a AND b NOT c", ["a", "and", "b", "not", "c"]),
        ("(((", []),
    ],
)
def test_headline_punctuation_is_text(text, keys):
    parsed = parse(text)
    assert parsed.display_keys() == keys
    assert parsed.excluded == []
    assert all(not u.phrase and not u.title_only for u in parsed.all_units())


def test_plain_words_are_one_all_of_run():
    assert units("Đảng bộ Khối") == [[(("đảng", "bộ", "khối"), False, False)]]


def test_spaced_dash_is_not_an_exclusion():
    parsed = parse("Hà Nội - Huế")
    assert parsed.excluded == []
    assert parsed.display_keys() == ["hà", "nội", "huế"]


def test_hyphen_inside_a_word_is_not_an_exclusion():
    parsed = parse("Việt-Nam x-y")
    assert parsed.excluded == []
    assert parsed.display_keys() == ["việt", "nam", "x", "y"]


def test_unknown_field_is_text():
    parsed = parse("Thời sự: bão lũ")
    assert parsed.display_keys() == ["thời", "sự", "bão", "lũ"]
    parsed = parse("foo:bar baz")
    assert parsed.display_keys() == ["foo", "bar", "baz"]
    assert not any(u.title_only for u in parsed.all_units())


def test_colon_in_a_time_or_url_is_text():
    assert only_keys("lúc 10:30 sáng") == ["lúc", "10", "30", "sáng"]
    assert only_keys("https://vnexpress.net") == ["https", "vnexpress", "net"]


def test_query_keys_are_normalized():
    assert only_keys("HOÀ BÌNH") == ["hòa", "bình"]
    assert only_keys("Thuỵ Khuê") == ["thụy", "khuê"]


# --------------------------------------------------------------------------- phrases


def test_quotes_make_a_phrase():
    assert units('"Đảng bộ Khối"') == [[(("đảng", "bộ", "khối"), True, False)]]


def test_unclosed_quote_runs_to_the_end():
    assert units('giá "vàng miếng tăng') == [
        [(("giá",), False, False)],
        [(("vàng", "miếng", "tăng"), True, False)],
    ]


def test_phrase_between_words_keeps_order():
    assert units('tin "cơ quan" mới') == [
        [(("tin",), False, False)],
        [(("cơ", "quan"), True, False)],
        [(("mới",), False, False)],
    ]


def test_one_word_phrase_is_a_plain_word():
    assert units('"đường"') == [[(("đường",), False, False)]]


def test_phrase_without_diacritics():
    parsed = parse('"dang bo"')
    assert not parsed.accented
    assert units('"dang bo"') == [[(("dang", "bo"), True, False)]]


def test_empty_quotes_are_ignored():
    assert units('"" nhà') == [[(("nhà",), False, False)]]


# --------------------------------------------------------------------------- exclusion


def test_minus_word_is_excluded():
    parsed = parse("đảng -khối")
    assert units("đảng -khối") == [[(("đảng",), False, False)]]
    assert excluded(parsed) == [(("khối",), False)]


def test_minus_phrase_is_excluded_as_phrase():
    parsed = parse('đảng -"cơ quan"')
    assert excluded(parsed) == [(("cơ", "quan"), True)]
    assert parsed.display_keys() == ["đảng"]


def test_excluded_words_are_not_highlighted():
    assert "khối" not in parse("đảng -khối").display_keys()


def test_only_exclusion_is_an_empty_query():
    parsed = parse("-khối")
    assert parsed.is_empty
    assert excluded(parsed) == [(("khối",), False)]


# --------------------------------------------------------------------------- OR


def test_or_between_two_words():
    assert units("hà OR huế") == [[(("hà",), False, False), (("huế",), False, False)]]


def test_or_binds_the_adjacent_syllables_only():
    assert units("bão OR lũ miền trung") == [
        [(("bão",), False, False), (("lũ",), False, False)],
        [(("miền", "trung"), False, False)],
    ]
    assert units("tin bão OR lũ") == [
        [(("tin",), False, False)],
        [(("bão",), False, False), (("lũ",), False, False)],
    ]


def test_or_between_phrases():
    assert units('"đại dương" OR "lãi suất"') == [
        [(("đại", "dương"), True, False), (("lãi", "suất"), True, False)]
    ]


def test_lowercase_or_is_a_word():
    assert units("hà or huế") == [[(("hà", "or", "huế"), False, False)]]


@pytest.mark.parametrize("text", ["OR", "OR OR", "OR huế", "huế OR"])
def test_dangling_or_is_ignored(text):
    keys = parse(text).display_keys()
    assert "or" not in keys
    assert keys == (["huế"] if "huế" in text else [])


# --------------------------------------------------------------------------- title:


def test_title_field_word():
    assert units("title:đường") == [[(("đường",), False, True)]]


def test_title_field_applies_to_one_word_only():
    assert units("title:đường tàu") == [[(("đường",), False, True)], [(("tàu",), False, False)]]


# --------------------------------------------------------------------------- operators bind to words


def test_minus_excludes_the_whole_vietnamese_word():
    parsed = parse("cán bộ -kỷ luật")
    assert units("cán bộ -kỷ luật") == [[(("cán", "bộ"), False, False)]]
    assert excluded(parsed) == [(("kỷ", "luật"), False)]


def test_or_joins_whole_words_on_each_side():
    assert units("Hà Nội OR Huế") == [[(("hà", "nội"), False, False), (("huế",), False, False)]]
    assert units("Huế OR Hà Nội") == [[(("huế",), False, False), (("hà", "nội"), False, False)]]


def test_title_field_applies_to_the_whole_word():
    assert units("title:Hà Nội mới") == [[(("hà", "nội"), False, True)],
                                         [(("mới",), False, False)]]


def test_words_typed_without_marks_bind_by_the_archives_compounds():
    known = {("ky", "luat"), ("ha", "noi")}.__contains__
    parsed = parse("can bo -ky luat", known)
    assert excluded(parsed) == [(("ky", "luat"), False)]
    assert [[u.keys for u in g] for g in parse("ha noi OR hue", known).required] == [
        [("ha", "noi"), ("hue",)]]
    # without the archive's word list, pyvi alone leaves unmarked syllables apart
    assert excluded(parse("can bo -ky luat")) == [(("ky",), False)]


def test_title_field_phrase_and_aliases():
    assert units('title:"lãi suất"') == [[(("lãi", "suất"), True, True)]]
    assert units("tieude:bão") == [[(("bão",), False, True)]]
    assert units("TITLE:bão") == [[(("bão",), False, True)]]
    assert units("tiêuđề:bão") == [[(("bão",), False, True)]]


def test_excluded_title_word():
    parsed = parse("bão -title:lũ")
    assert parsed.display_keys() == ["bão"]
    assert [u.keys for u in parsed.excluded] == [("lũ",)]


# --------------------------------------------------------------------------- bounds


def test_long_query_is_truncated_and_flagged():
    text = "nhà " * 200  # 800 characters
    parsed = parse(text)
    assert parsed.truncated
    assert len(parsed.text) == MAX_QUERY_CHARS


def test_query_at_the_limit_is_not_flagged():
    text = "a" * MAX_QUERY_CHARS
    parsed = parse(text)
    assert not parsed.truncated
    assert parsed.text == text


def test_number_of_terms_is_bounded():
    text = " ".join(f"từ{i}" for i in range(100))
    assert len(text) < MAX_QUERY_CHARS
    parsed = parse(text)
    assert len(parsed.display_keys()) == MAX_TERMS
    assert parsed.display_keys()[:3] == ["từ0", "từ1", "từ2"]


def test_terms_bound_counts_phrases_and_exclusions():
    text = '"' + " ".join(["ba"] * 40) + '" -khác'
    parsed = parse(text)
    total = len(parsed.display_keys()) + sum(len(u.keys) for u in parsed.excluded)
    assert total <= MAX_TERMS


def test_dropping_terms_sets_the_truncated_flag():
    text = " ".join(f"từ{i}" for i in range(100))
    assert len(text) < MAX_QUERY_CHARS
    assert parse(text).truncated


@pytest.mark.parametrize("text", ["", "   ", "\n\t", '""', '"', "-", "- -", "OR", "(((", "?!", "* : -"])
def test_empty_or_operator_only_queries(text):
    parsed = parse(text)
    assert parsed.is_empty
    assert parsed.display_keys() == []
    assert not parsed.truncated


def test_none_query_is_empty():
    assert parse(None).is_empty


def test_accented_flag():
    assert parse("đường").accented
    assert not parse("duong").accented
    assert parse("Duong Hòa").accented


def test_folded_unit_keys():
    (group,) = parse("Đường Hoà").required
    assert group[0].keys == ("đường", "hòa")
    assert group[0].folded == ("duong", "hoa")
