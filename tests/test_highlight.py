"""indexer.highlight: escape first, mark what the reader sees, merge adjacent syllables."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import Markup

from helpers import seed_text
from indexer.analysis import fold
from indexer.highlight import find_spans, mark, marks_for, snippet
from indexer.query import build_plan, parse

MARK_RE = re.compile(r"<mark>(.*?)</mark>")


def spans_for(text, words):
    """Spans for a query (or its words), as the search marks them: from the plan."""
    query = words if isinstance(words, str) else " ".join(words)
    return find_spans(text, marks_for(build_plan(query)))


def marked(text, keys, accented=None):
    return str(mark(text, spans_for(text, keys)))


def marks(html_text):
    return MARK_RE.findall(str(html_text))


# --------------------------------------------------------------------------- escaping


def test_text_is_escaped_and_marks_are_real_tags():
    text = 'Tin <script>alert("x")</script> & Đảng bộ'
    out = marked(text, ["đảng", "bộ"], True)
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "&amp;" in out
    assert marks(out) == ["Đảng bộ"]
    # unescaping the output without the marks gives back the text
    assert html.unescape(out.replace("<mark>", "").replace("</mark>", "")) == text


def test_markup_inside_a_match_is_escaped():
    text = "a<b & b>a"
    out = marked(text, ["a", "b"], False)
    assert "<b" not in out.replace("<mark>", "").replace("</mark>", "")
    assert html.unescape(MARK_RE.sub(r"\1", out)) == text


def test_query_word_script_highlights_escaped_text():
    out = marked("<script>x</script>", ["script"], False)
    assert out == "&lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt;"


def test_mark_returns_markup_and_no_spans_is_plain_escape():
    out = mark("a & b", [])
    assert isinstance(out, Markup)
    assert str(out) == "a &amp; b"


def test_entity_like_text_is_not_matched_inside_escapes():
    # "amp" and "lt" must only match real words, never the escape sequences we produce
    out = marked("a & b < c amp", ["amp", "lt"], False)
    assert marks(out) == ["amp"]
    assert "&amp; b &lt; c" in out


# --------------------------------------------------------------------------- merging


def test_adjacent_syllables_merge_into_one_mark():
    out = marked("Đại hội Đảng bộ Khối nhiệm kỳ mới", ["đảng", "bộ", "khối"], True)
    assert marks(out) == ["Đảng bộ Khối"]


def test_punctuation_or_line_break_splits_marks():
    assert marks(marked("Đảng, bộ Khối", ["đảng", "bộ", "khối"], True)) == ["Đảng", "bộ Khối"]
    assert marks(marked("Đảng bộ\nKhối", ["đảng", "bộ", "khối"], True)) == ["Đảng bộ", "Khối"]


def test_dang_bo_khoi_is_one_mark_at_every_repeat_in_the_seed():
    text = seed_text()
    occurrences = len(re.findall(r"(?<![^\W_])Đảng bộ Khối(?![^\W_])", text))
    assert occurrences == 5  # title + four in the body
    for keys, accented in ((["đảng", "bộ", "khối"], True), (["dang", "bo", "khoi"], False)):
        spans = spans_for(text, keys)
        assert sum(1 for a, b in spans if text[a:b] == "Đảng bộ Khối") == occurrences
        out = marked(text, keys, accented)
        assert out.count("<mark>Đảng bộ Khối</mark>") == occurrences
        # every span is a real slice of the text, in order, without overlaps
        for (a, b), (c, d) in zip(spans, spans[1:]):
            assert a < b <= c < d
        assert all(0 <= a < b <= len(text) for a, b in spans)


def test_every_repeat_is_marked_not_only_the_first():
    text = "Hà Nội mưa. Ở Hà Nội, người Hà Nội."
    spans = spans_for(text, ["hà", "nội"])
    assert [text[a:b] for a, b in spans] == ["Hà Nội"] * 3
    assert [a for a, _ in spans] == [m.start() for m in re.finditer("Hà Nội", text)]


def test_keys_match_whole_syllables_only():
    spans = spans_for("bộ trưởng bộ đội bội thu", "bộ")
    assert len(spans) == 2
    spans = spans_for("hoàng hoa hoan", "hoa")
    assert spans == [(6, 9)]


# --------------------------------------------------------------------------- diacritics


def test_folded_keys_highlight_accented_text():
    text = "Đại hội Đảng bộ Khối lần thứ nhất"
    assert marks(marked(text, ["dang", "bo"], False)) == ["Đảng bộ"]


def test_exact_spelling_first_when_accented():
    text = "đường làng và đại dương"
    assert marks(marked(text, ["đường"], True)) == ["đường"]
    assert marks(marked(text, ["duong"], False)) == ["đường", "dương"]


def test_accented_query_falls_back_to_folded_when_nothing_matches_exactly():
    text = "ra đại dương xanh"
    assert marks(marked(text, ["đường"], True)) == ["dương"]


def test_tone_style_of_text_and_query_do_not_matter():
    def q(text):  # keys as the search passes them: parsed, so normalized
        return parse(text).display_keys()

    assert marks(marked("Lễ hội hoà bình", q("hòa bình"), True)) == ["hoà bình"]
    assert marks(marked("Lễ hội hòa bình", q("hoà bình"), True)) == ["hòa bình"]
    assert marks(marked("Ủy ban xã", q("uỷ ban"), True)) == ["Ủy ban"]
    assert marks(marked("Uỷ ban xã", q("ủy ban"), True)) == ["Uỷ ban"]
    assert marks(marked("THUỶ ĐIỆN", q("thủy điện"), True)) == ["THUỶ ĐIỆN"]
    # no exact spelling in the text: the folded form is highlighted instead
    assert marks(marked("THUỶ ĐIỆN và thuỷ", q("thụy"), True)) == ["THUỶ", "thuỷ"]


def test_case_insensitive_and_dotted_capital_i_keeps_offsets():
    text = "İİ ĐẢNG BỘ họp"
    spans = spans_for(text, ["đảng", "bộ"])
    assert [text[a:b] for a, b in spans] == ["ĐẢNG BỘ"]


def test_no_keys_no_spans():
    assert spans_for("Đảng bộ", []) == []
    assert spans_for("Đảng bộ", [""]) == []
    assert spans_for("", ["đảng"]) == []


# --------------------------------------------------------------------------- snippets


def test_snippet_window_contains_the_marks():
    text = ("Mở đầu bài viết. " * 40) + "Tin về Đảng bộ Khối hôm nay." + (" Phần cuối." * 40)
    spans = spans_for(text, ["đảng", "bộ", "khối"])
    html_out, plain = snippet(text, spans)
    assert marks(html_out) == ["Đảng bộ Khối"]
    assert "Đảng bộ Khối" in plain
    assert plain.startswith("… ") and plain.endswith(" …")
    assert len(plain) <= 240 + 40  # about width, cut at word boundaries


def test_snippet_picks_the_window_with_most_matches():
    text = ("lúa " * 100) + "đê đê đê" + (" ngô" * 100) + " đê" + (" khoai" * 100)
    spans = spans_for(text, ["đê"])
    html_out, _ = snippet(text, spans)
    assert len(marks(html_out)) == 1  # the three adjacent ones merged
    assert marks(html_out) == ["đê đê đê"]


def test_snippet_shows_every_mark_its_window_was_chosen_for():
    # a single "có" early, the phrase about 220 characters later: the window picked for
    # holding both must also display both
    text = ("mở đầu " * 60) + "có" + (" ở giữa" * 31) + " không có đất sản xuất." + (" hết" * 80)
    spans = spans_for(text, ["không", "có", "đất", "sản", "xuất"])
    html_out, _ = snippet(text, spans)
    assert "không có đất sản xuất" in marks(html_out)


def test_phrase_is_marked_only_where_its_words_stand_together():
    text = "Không biết có ai không. Hộ nghèo ở đây không có, đất sản xuất thì có."
    spans = spans_for(text, '"khong co dat san xuat" nghèo')
    assert marks(mark(text, spans)) == ["nghèo", "không có, đất sản xuất"]


def test_snippet_of_a_short_text_is_the_whole_text():
    text = "Giá vàng & đô la tăng"
    spans = spans_for(text, ["vàng"])
    html_out, plain = snippet(text, spans)
    assert plain == text
    assert str(html_out) == "Giá <mark>vàng</mark> &amp; đô la tăng"


def test_snippet_reads_paragraphs_ending_in_sentences_as_running_text():
    text = "Đoạn một nói về bão.\n\nĐoạn hai nói về lũ và bão.\nDòng mới về bão."
    spans = spans_for(text, ["bão"])
    html_out, plain = snippet(text, spans)
    assert plain == "Đoạn một nói về bão. Đoạn hai nói về lũ và bão. Dòng mới về bão."
    assert "¶" not in plain
    assert marks(html_out) == ["bão", "bão", "bão"]
    assert html.unescape(MARK_RE.sub(r"\1", str(html_out))) == plain


def test_snippet_never_runs_on_past_a_heading_or_byline():
    text = ("Mưa lớn kéo dài suốt đêm qua ở miền Trung.\n\nQuỳnh Hoa\n\n"
            "Ảnh: Cơn bão số 9 đổ bộ\n\nBão số 9 đã suy yếu thành áp thấp nhiệt đới.")
    html_out, plain = snippet(text, spans_for(text, ["bão"]))
    # The two marks in the caption and the paragraph under it cannot share one window.
    assert plain in ("… Ảnh: Cơn bão số 9 đổ bộ …", "… Bão số 9 đã suy yếu thành áp thấp nhiệt đới.")
    assert "Quỳnh Hoa" not in plain


def test_snippet_prefers_a_paragraph_over_a_heading_holding_as_much():
    text = "Tin bão mới nhất\n\nCơn bão đang hướng vào đất liền. " + "Người dân được sơ tán. " * 20
    html_out, plain = snippet(text, spans_for(text, ["bão"]))
    assert plain.startswith("… Cơn bão đang hướng vào đất liền.")
    assert marks(html_out) == ["bão"]


def test_snippet_marks_stay_on_their_words_after_many_paragraph_joins():
    text = "".join(f"Câu {n} nhắc tới đê điều.\n\n" for n in range(12)).strip()
    html_out, plain = snippet(text, spans_for(text, ["đê"]))
    assert marks(html_out) == ["đê"] * plain.count(" đê ")
    assert html.unescape(MARK_RE.sub(r"\1", str(html_out))) == plain


def test_snippet_without_matches_starts_at_the_beginning():
    text = "Câu đầu tiên. " + "nội dung " * 100
    html_out, plain = snippet(text, [])
    assert plain.startswith("Câu đầu tiên.")
    assert marks(html_out) == []


def test_snippet_of_empty_text():
    html_out, plain = snippet("", [])
    assert plain == "" and str(html_out) == ""


@pytest.mark.parametrize("keys, accented", [(["đảng", "bộ", "khối"], True), (["trung", "uong"], False)])
def test_seed_snippet_marks_are_query_words(keys, accented):
    text = seed_text()
    spans = spans_for(text, keys)
    html_out, plain = snippet(text, spans)
    found = marks(html_out)
    assert found
    for piece in found:
        words = re.findall(r"[^\W_]+", piece.lower())
        assert all(fold(w) in {fold(k) for k in keys} for w in words)
    # the plain text is the HTML without tags
    assert html.unescape(MARK_RE.sub(r"\1", str(html_out))) == plain
    # the window is a piece of the text, read as running text on one line
    assert plain.strip("… ") in text.replace("\n\n", " ").replace("\n", " ")
