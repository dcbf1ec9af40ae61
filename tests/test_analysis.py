"""indexer.analysis: normalization, folding, segmentation with offsets, analysed forms."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from helpers import SEED_TITLE, seed_text

from indexer.analysis import (
    GAP_POSITIONS,
    SECTION_BREAK,
    CompoundTokenizer,
    FoldFilter,
    PairTokenizer,
    Span,
    SyllableTokenizer,
    each_same_length,
    fold,
    fold_words,
    folded_match_form,
    has_diacritics,
    lower_same_length,
    match_form,
    normalize_tone_style,
    segment,
    spaced_words,
    syllable_keys,
    term_texts,
    whole_word_spans,
)
from indexer.engine import _evidence
from indexer.query import build_plan
from indexer.schema import build_schema


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --------------------------------------------------------------------------- NFC / NFD


@pytest.mark.parametrize(
    "text",
    [
        SEED_TITLE,
        "Việt Nam đẩy mạnh hợp tác với Nhật Bản",
        "Người dân Thừa Thiên Huế đón Tết",
        "Ủy ban nhân dân tỉnh Khánh Hòa",
    ],
)
def test_nfd_and_nfc_input_give_the_same_keys(text):
    decomposed = nfd(text)
    assert decomposed != text  # the fixture really is decomposed differently
    assert syllable_keys(decomposed) == syllable_keys(text)
    # NFD must not split a syllable at a combining mark ("Việt" → "vie", "t")
    assert len(syllable_keys(decomposed)) == len(text.split())


def test_nfd_keys_are_whole_words():
    assert syllable_keys(nfd("Việt Nam")) == ["việt", "nam"]
    assert syllable_keys(nfd("ĐẢNG BỘ")) == ["đảng", "bộ"]


# --------------------------------------------------------------------------- tone style


@pytest.mark.parametrize(
    "old, new",
    [
        ("hoà", "hòa"),
        ("hoá", "hóa"),
        ("hoả", "hỏa"),
        ("hoạ", "họa"),
        ("hoã", "hõa"),
        ("thuỵ", "thụy"),
        ("thuỷ", "thủy"),
        ("uỷ", "ủy"),
        ("khoẻ", "khỏe"),
        ("xoè", "xòe"),
        ("Hoà Bình", "Hòa Bình"),
        ("HOÀ", "HÒA"),
        ("Uỷ ban", "Ủy ban"),
    ],
)
def test_tone_styles_normalize_equal(old, new):
    assert old != new
    assert match_form(old) == match_form(new)
    assert syllable_keys(old) == syllable_keys(new)
    # the mark-on-first-vowel style is the one kept
    assert match_form(old) == new.lower()


@pytest.mark.parametrize("word", ["hoàng", "quý", "quỳnh", "hoài", "khoảng", "thuyền", "quà", "loét"])
def test_tone_style_leaves_closed_syllables_and_qu_alone(word):
    assert match_form(word) == word
    assert normalize_tone_style(word) == word


def test_tone_style_only_at_syllable_end_inside_longer_text():
    text = "hoàng hoà quý uỷ hoàn"
    assert match_form(text) == "hoàng hòa quý ủy hoàn"


# --------------------------------------------------------------------------- folding


def test_fold_removes_every_mark_and_maps_d_bar():
    assert fold("Đảng bộ Khối các cơ quan Trung ương") == "Dang bo Khoi cac co quan Trung uong"
    assert fold("đường dương đương") == "duong duong duong"
    vowels = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    assert fold(vowels) == "a" * 17 + "e" * 11 + "i" * 5 + "o" * 17 + "u" * 11 + "y" * 5 + "d"
    assert fold(vowels.upper()) == fold(vowels).upper()


def test_fold_keeps_case_folded_match_form_is_lowercase():
    assert fold("ĐẢNG") == "DANG"
    assert folded_match_form("ĐẢNG Bộ") == "dang bo"
    assert folded_match_form("Hoà") == folded_match_form("hòa") == "hoa"


@pytest.mark.parametrize(
    "text",
    [
        "Đảng bộ Khối các cơ quan Trung ương",
        "İstanbul và Hoà Bình",
        "İ",
        "ẞ straße ǅ ﬁ",
        "THUỶ ĐIỆN HOÀ BÌNH",
        seed_text()[:2000],
    ],
)
def test_match_form_and_fold_are_length_preserving(text):
    assert len(match_form(text)) == len(text)
    assert len(fold(text)) == len(text)
    assert len(folded_match_form(text)) == len(text)
    assert len(lower_same_length(text)) == len(text)


def test_dotted_capital_i_does_not_shift_offsets():
    text = "İ Đảng bộ"
    form = folded_match_form(text)
    assert len(form) == len(text)
    start = form.index("dang bo")
    assert text[start : start + 7] == "Đảng bộ"


def test_has_diacritics():
    assert has_diacritics("đường")
    assert has_diacritics("Đ")
    assert has_diacritics(nfd("hòa"))
    assert not has_diacritics("duong")
    assert not has_diacritics("Dang Bo 2024")


# --------------------------------------------------------------------------- segmentation


@pytest.fixture(scope="module")
def seed_spans():
    text = seed_text()
    return text, segment(text)


def test_segment_spans_are_slices_of_the_original(seed_spans):
    text, spans = seed_spans
    assert spans, "the seed article must segment into words"
    for span in spans:
        piece = text[span.start : span.end]
        assert piece == piece.strip()
        assert piece  # non-empty
        assert span.syllables == len(re.findall(r"[^\W_]+", piece))
        assert span.syllables >= 1


def test_segment_spans_are_increasing_and_non_overlapping(seed_spans):
    _, spans = seed_spans
    for before, after in zip(spans, spans[1:]):
        assert before.start < before.end <= after.start < after.end


def test_segment_covers_every_syllable_exactly_once(seed_spans):
    text, spans = seed_spans
    covered = sum(span.syllables for span in spans)
    assert covered == len(re.findall(r"[^\W_]+", text))


def test_dang_bo_is_one_compound_at_every_occurrence(seed_spans):
    text, spans = seed_spans
    occurrences = [m.span() for m in re.finditer(r"(?<![^\W_])Đảng bộ(?![^\W_])", text)]
    assert len(occurrences) >= 15  # the seed article repeats it many times
    by_span = {(s.start, s.end): s for s in spans}
    missing = [text[a : b + 15] for a, b in occurrences if (a, b) not in by_span]
    assert missing == []
    assert all(by_span[o].syllables == 2 for o in occurrences)


def test_segment_maps_repeats_to_their_own_offsets():
    text = "Hà Nội mưa to. Hà Nội ngập nặng. Người Hà Nội vui."
    spans = segment(text)
    found = [(s.start, s.end) for s in spans if text[s.start : s.end] == "Hà Nội"]
    expected = [m.span() for m in re.finditer("Hà Nội", text)]
    assert found == expected
    assert len(found) == 3


def test_segment_empty_and_punctuation_only():
    assert segment("") == []
    assert segment(" ... ?!") == []


def test_segment_never_joins_across_punctuation():
    text = "Đảng, bộ; Khối."
    for span in segment(text):
        piece = text[span.start : span.end]
        assert not re.search(r"[,;.]", piece), piece


def test_segment_offsets_with_odd_spacing():
    text = "  Đảng bộ\n\nKhối\tcác  cơ quan  "
    spans = segment(text)
    words = [text[s.start : s.end] for s in spans]
    assert "".join(words).replace(" ", "") == "ĐảngbộKhốicáccơquan"
    for s in spans:
        assert isinstance(s, Span)
        assert 0 <= s.start < s.end <= len(text)


# --------------------------------------------------------------------------- Whoosh analyzers


def _terms(analyzer, text):
    return [t.text for t in analyzer(text)]


SYLLABLES = SyllableTokenizer()
FOLDED = SyllableTokenizer() | FoldFilter()
COMPOUNDS = CompoundTokenizer()
FOLDED_COMPOUNDS = CompoundTokenizer() | FoldFilter()


def test_analyzers_give_syllables_folded_and_compounds():
    syllables = _terms(SYLLABLES, SEED_TITLE)
    assert syllables == [
        "70", "năm", "truyền", "thống", "đảng", "bộ", "khối", "các", "cơ", "quan", "trung", "ương"
    ]
    assert _terms(FOLDED, SEED_TITLE) == [fold(s) for s in syllables]
    compounds = _terms(COMPOUNDS, SEED_TITLE)
    for word in ("đảng_bộ", "cơ_quan", "trung_ương", "truyền_thống"):
        assert word in compounds
    assert _terms(FOLDED_COMPOUNDS, SEED_TITLE) == [fold(c) for c in compounds]
    # single-syllable words are never compounds
    assert all("_" in c for c in compounds)


def test_pairs_are_adjacent_folded_syllables_within_a_section():
    pairs = PairTokenizer() | FoldFilter()
    text = "Khối các, Cơ quan" + SECTION_BREAK + "Trung ương"
    assert _terms(pairs, text) == ["khoi_cac", "cac_co", "co_quan", "trung_uong"]
    positions = [t.pos for t in pairs(text, positions=True)]
    assert positions[:3] == [0, 1, 2] and positions[3] > 4  # no pair across title and body


def test_analyzers_normalize_tone_style_in_every_form():
    old, new = "Uỷ ban hoà giải", "Ủy ban hòa giải"
    assert _terms(SYLLABLES, old) == _terms(SYLLABLES, new) == ["ủy", "ban", "hòa", "giải"]
    assert _terms(FOLDED, old) == ["uy", "ban", "hoa", "giai"]
    assert _terms(COMPOUNDS, old) == _terms(COMPOUNDS, new)


def test_analyzers_on_empty_text():
    assert _terms(SYLLABLES, "") == _terms(COMPOUNDS, "") == []


def test_token_offsets_point_into_the_original_text():
    text = SEED_TITLE + SECTION_BREAK + "Đảng bộ Khối họp. Đảng bộ Khối bầu cử."
    for analyzer in (SYLLABLES, FOLDED, COMPOUNDS):
        for token in analyzer(text, chars=True, positions=True):
            original = text[token.startchar:token.endchar]
            assert fold(original.lower().replace(" ", "_")) == fold(token.text)
    compound_spans = [
        text[t.startchar:t.endchar] for t in COMPOUNDS(text, chars=True) if t.text == "đảng_bộ"
    ]
    assert compound_spans == ["Đảng bộ"] * 3


def test_title_and_body_positions_are_apart():
    text = "Hà Nội" + SECTION_BREAK + "mưa lớn"
    positions = {t.text: t.pos for t in FOLDED(text, positions=True)}
    assert positions == {"ha": 0, "noi": 1, "mua": 2 + GAP_POSITIONS, "lon": 3 + GAP_POSITIONS}


def test_a_querys_compound_evidence_meets_the_documents_compounds():
    """Every 2- and 3-syllable run of the query is looked up among the article's pyvi
    words, so a compound matches whatever pyvi would have made of the query alone."""
    document = _terms(FOLDED_COMPOUNDS, "Đảng bộ Khối các cơ quan Trung ương")
    plan = build_plan("dang bo khoi cac co quan trung uong")
    grams = {t.text for t in _evidence(plan) if t.fieldname == "wfold"}
    assert set(document) <= grams


@pytest.mark.parametrize("field", ["syl", "fold", "pair", "word", "wfold", "tsyl", "tfold", "tword", "twfold"])
@pytest.mark.parametrize("text", [
    seed_text(),
    "Hoà bình\x1eThuỷ điện Hoà Bình: 2.400 MW, “đường dây 500 kV” – ĐBSCL; Nguyễn_Văn A.",
    "",
    "\x1e",
    "Ngắn",
])
def test_term_texts_are_the_tokens_of_the_analyzer(field, text):
    """Indexing takes plain term texts, queries and highlighting take Whoosh's tokens:
    both must be the same terms, or a query would miss what was indexed."""
    analyzer = build_schema()[field].analyzer
    assert term_texts(analyzer, text) == [token.text for token in analyzer(text)]


@given(st.lists(st.text(alphabet="aăâeêioôơuưyqđAĐÀÁẢẠÚỦỲỶ hoàuỷkQİΣ\n.", max_size=90),
                max_size=8))
def test_many_titles_in_one_call_equal_each_title_alone(titles):
    for transform in (fold, match_form):
        assert each_same_length(transform, titles) == [transform(t) for t in titles]


@given(st.text(alphabet="an hA_Ăn-.\n\x1e2İ", max_size=120),
       st.sampled_from(["an", "a", "h", "2", "nan"]))
def test_a_syllable_is_found_exactly_where_it_stands_whole(text, word):
    assert len(fold_words(lower_same_length(text))) == len(text)
    spaced = spaced_words(text)
    expected = [m.span() for m in re.finditer(rf"(?<![^\W_]){word}(?![^\W_])",
                                              fold(lower_same_length(text)))]
    assert whole_word_spans(spaced, word) == expected
