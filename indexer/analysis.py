"""Vietnamese text analysis shared by indexing and querying.

Documents and queries go through the same functions so that they always meet in the same
form: NFC, lowercase, one tone-mark placement style, and (for diacritics-insensitive
matching) a folded form with every mark removed and đ→d.

Every transformation used for matching text that is displayed (``match_form`` and
``folded_match_form``) is length-preserving, so a character offset found in the normalized
copy is the same offset in the text the reader sees. That is what lets highlighting mark
exactly the words on screen without re-running the word segmenter.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from whoosh.analysis import Filter, Token, Tokenizer

SYLLABLE_RE = re.compile(r"[^\W_]+")
"""A syllable is a run of letters and digits; punctuation never becomes part of a term."""

_TONES = {
    # tone: (for a, for e, for y) in the old style where the mark sits on the second vowel
    "grave": ("à", "è", "ỳ"),
    "acute": ("á", "é", "ý"),
    "hook": ("ả", "ẻ", "ỷ"),
    "tilde": ("ã", "ẽ", "ỹ"),
    "dot": ("ạ", "ẹ", "ỵ"),
}
_MARKED_O = {"grave": "ò", "acute": "ó", "hook": "ỏ", "tilde": "õ", "dot": "ọ"}
_MARKED_U = {"grave": "ù", "acute": "ú", "hook": "ủ", "tilde": "ũ", "dot": "ụ"}


def _tone_style_table() -> dict[str, str]:
    """Map old-style open syllable endings ("oà", "oẻ", "uỷ") to the mark-on-first-vowel style."""
    table: dict[str, str] = {}
    for tone, (a, e, y) in _TONES.items():
        table["o" + a] = _MARKED_O[tone] + "a"
        table["o" + e] = _MARKED_O[tone] + "e"
        table["u" + y] = _MARKED_U[tone] + "y"
    return table


_TONE_STYLE = _tone_style_table()
# Only at the end of a syllable: "hoàng" keeps its mark on "a" in both styles. One
# character class per position rather than an alternation of the pairs, and the "q"
# checked only where a pair is found: the regular expression engine then scans a text
# several times faster.
_TONE_STYLE_RE = re.compile(
    "[ou][" + "".join(sorted({pair[1] for pair in _TONE_STYLE})) + r"](?![^\W_])"
)


def _fold_table() -> dict[int, int]:
    """Map every precomposed Latin letter to its base letter, one character to one character."""
    table: dict[int, int] = {ord("đ"): ord("d"), ord("Đ"): ord("D")}
    for code in range(0x00C0, 0x1EFA):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            table[code] = ord(base)
    return table


_FOLD = _fold_table()
_FOLD_ARRAY = np.arange(0x10000, dtype=np.uint32)
_FOLD_ARRAY[list(_FOLD)] = list(_FOLD.values())
_FOLD_WORDS_ARRAY = np.where([chr(c).isalnum() for c in range(0x10000)],
                             _FOLD_ARRAY, ord(" ")).astype(np.uint32)
_NOT_WORD_RE = re.compile(r"[\W_]")
_FOLD_BY_ARRAY_FROM = 64
"""Texts this long or longer are folded through ``_FOLD_ARRAY``: ``str.translate`` with a
dict costs about 190 ns a character, a lookup over the UTF-32 code points about 25 (a
results page folds ten article bodies to mark them)."""


def lower_same_length(text: str) -> str:
    """Lowercase without ever changing the length: "İ", the one character whose lowercase
    is two, stays as it is (the text around it is lowered as if it ended there)."""
    if "İ" not in text:
        return text.lower()
    return "İ".join(piece.lower() for piece in text.split("İ"))


def normalize_tone_style(lowercase_text: str) -> str:
    """Put tone marks of open syllables in one style: "hoà" → "hòa", "thuỷ" → "thủy"."""
    def restyled(found: re.Match) -> str:
        pair, start = found.group(), found.start()
        # After "q" the "u" belongs to the consonant ("quý"), so it is left alone.
        if start and lowercase_text[start - 1] == "q":
            return pair
        return _TONE_STYLE.get(pair, pair)

    return _TONE_STYLE_RE.sub(restyled, lowercase_text)


def match_form(text: str) -> str:
    """Lowercase, one tone-mark style; same length as ``text`` (which must already be NFC)."""
    return normalize_tone_style(lower_same_length(text))


def fold(text: str) -> str:
    """Remove every tone and vowel mark and map đ→d; same length as ``text``."""
    return _through_table(text, _FOLD_ARRAY) or text.translate(_FOLD)


def fold_words(text: str) -> str:
    """``fold``, with every character that is not a letter or digit made a space; same
    length as ``text``. A syllable then stands whole exactly where it has a space or an
    end on each side, which ``str.find`` can look for (``whole_word_spans``)."""
    return _through_table(text, _FOLD_WORDS_ARRAY) or _NOT_WORD_RE.sub(" ", fold(text))


def _through_table(text: str, table: np.ndarray) -> str | None:
    """``text`` mapped character by character through ``table`` (indexed by code point),
    or None when it is too short to be worth it or reaches beyond the table."""
    if len(text) < _FOLD_BY_ARRAY_FROM:
        return None
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if points.max() > 0xFFFF:
        return None
    return table[points].tobytes().decode("utf-32-le", "surrogatepass")


def each_same_length(transform: Callable[[str], str], texts: list[str]) -> list[str]:
    """``transform`` of each text, in one call over all of them joined by line breaks.

    For the text functions here that keep the length and work within a line (``fold``,
    ``match_form``): a hundred titles cost one call, and folding goes through the array
    path (a title alone is too short for it)."""
    joined = transform("\n".join(texts))
    out, start = [], 0
    for text in texts:
        out.append(joined[start:start + len(text)])
        start += len(text) + 1
    return out


def spaced_words(text: str) -> str:
    """``text`` lowercased and folded (``fold_words``) between two spaces: the form
    ``whole_word_spans`` searches, made once per text however many words are looked for.
    A character's offset in ``text`` is its offset here minus one."""
    return f" {fold_words(lower_same_length(text))} "


def whole_word_spans(spaced: str, word: str) -> list[tuple[int, int]]:
    """Where ``word`` (one syllable) stands whole in the text ``spaced`` was made from
    (``spaced_words``). ``str.find`` runs in C: over a news article it is several times
    faster than a regular expression with boundaries, and with the spaces around it, it
    finds only whole syllables ("an" is not looked at inside every "thanh")."""
    target = f" {word} "
    found = []
    at = spaced.find(target)
    while at >= 0:
        found.append((at, at + len(word)))
        # The space after this one may be the space before the next.
        at = spaced.find(target, at + len(word) + 1)
    return found


def folded_match_form(text: str) -> str:
    return fold(match_form(text))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def has_diacritics(text: str) -> bool:
    """True when the user typed at least one Vietnamese mark (so exact spelling matters)."""
    lowered = nfc(text).lower()
    return fold(lowered) != lowered


def syllable_keys(text: str) -> list[str]:
    """The normalized syllables of a query or document (NFC first, so NFD input matches)."""
    return SYLLABLE_RE.findall(match_form(nfc(text)))


@dataclass(frozen=True)
class Span:
    """A segmented word: offsets into the original (display) text."""

    start: int
    end: int
    syllables: int  # pyvi pieces that hold letters or digits: over 1 means a compound


@lru_cache(maxsize=1)
def load_segmenter():
    """pyvi takes one to several seconds to import and unpickle its model: load it once,
    and only when needed.

    Unpickling writes the model (640 kB) to a temporary file that only a normal interpreter
    exit removes: every process that ends through ``os._exit`` (each sub-writer of a build)
    or a kill would leave one behind in the temp folder. crfsuite holds the model in memory
    once the tagger is open, so the file goes as soon as it is.
    """
    from pyvi import ViTokenizer

    model = ViTokenizer.ViTokenizer.model
    if model.tagger_ is None:
        raise RuntimeError("pyvi's segmentation model did not load")
    model.modelfile.cleanup()
    return ViTokenizer.ViTokenizer


def _features(pieces: list[str]) -> list[dict]:
    """pyvi's CRF features (``ViTokenizer.word2features``), computed once per piece.

    Same keys and values as pyvi's own function, which recomputes the lowercase form, case
    flags and dictionary look-ups of each neighbour up to five times; this is most of
    pyvi's cost, so it is worth doing once.
    """
    tokenizer = load_segmenter()
    bi_grams, tri_grams = tokenizer.bi_grams, tokenizer.tri_grams
    lower = [p.lower() for p in pieces]
    title = [p.istitle() for p in pieces]
    upper = [p.isupper() for p in pieces]
    n = len(pieces)
    bigram = [f"{lower[i]} {lower[i + 1]}" in bi_grams for i in range(n - 1)]
    trigram = [f"{lower[i]} {lower[i + 1]} {lower[i + 2]}" in tri_grams for i in range(n - 2)]
    features = []
    for i in range(n):
        f = {
            "bias": 1.0,
            "word.lower()": lower[i],
            "word.isupper()": upper[i],
            "word.istitle()": title[i],
            "word.isdigit()": pieces[i].isdigit(),
        }
        if i > 0:
            f["-1:word.lower()"] = lower[i - 1]
            f["-1:word.istitle()"] = title[i - 1]
            f["-1:word.isupper()"] = upper[i - 1]
            f["-1:word.bi_gram()"] = bigram[i - 1]
            if i > 1:
                f["-2:word.tri_gram()"] = trigram[i - 2]
        if i < n - 1:
            f["+1:word.lower()"] = lower[i + 1]
            f["+1:word.istitle()"] = title[i + 1]
            f["+1:word.isupper()"] = upper[i + 1]
            f["+1:word.bi_gram()"] = bigram[i]
            if i < n - 2:
                f["+2:word.tri_gram()"] = trigram[i]
        features.append(f)
    return features


def segment(text: str) -> list[Span]:
    """Segment NFC ``text`` into words with pyvi and map each word back onto ``text``.

    pyvi's syllabelizer only cuts its NFC input into pieces, so walking those pieces and the
    input side by side, left to right, gives each word's exact span, every repeat included.
    The joining rule is pyvi's own (``ViTokenizer.tokenize``), applied to its model's labels.
    """
    tokenizer = load_segmenter()
    _, pieces = tokenizer.sylabelize(text)
    if not pieces:
        return []
    labels = tokenizer.model.predict_single(_features(pieces))
    spans: list[Span] = []
    pos = 0
    start = end = -1
    words = 0
    previous = ""
    punctuation = string.punctuation
    for piece, label in zip(pieces, labels):
        found = text.find(piece, pos)
        if found < 0:
            continue
        pos = found + len(piece)
        if piece.isspace():
            previous = piece
            continue
        joins = (
            start >= 0
            and label == "I_W"
            and piece not in punctuation
            and previous not in punctuation
            and not piece[0].isdigit()
            and not previous[0].isdigit()
            and not (piece[0].istitle() and not previous[0].istitle())
        )
        if not joins:
            if words:
                spans.append(Span(start, end, words))
            start, words = found, 0
        if piece[0].isalnum() or piece[-1].isalnum():
            words += 1
        end = pos
        previous = piece
    if words:
        spans.append(Span(start, end, words))
    return spans


SECTION_BREAK = "\x1e"
"""Joins title and body in one field value; positions jump across it (see GAP_POSITIONS)."""
GAP_POSITIONS = 16
"""How far apart title and body positions sit, so no phrase spans the two."""


@lru_cache(maxsize=8)
def _segment_once(text: str) -> tuple[Span, ...]:
    """Several fields analyse the same text (with and without marks): segment it once."""
    return tuple(segment(text))


@lru_cache(maxsize=8)
def _match_form_once(text: str) -> str:
    return match_form(text)


@lru_cache(maxsize=8)
def _syllables_once(text: str) -> tuple[str, ...]:
    return tuple(SYLLABLE_RE.findall(_match_form_once(text)))


def _sections(value: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for section in value.split(SECTION_BREAK):
        yield offset, section
        offset += len(section) + 1


class _VietnameseTokenizer(Tokenizer):
    """Shared plumbing: sections, positions and character offsets into ``value``."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def spans(self, section: str, form: str) -> Iterator[tuple[int, int, str]]:
        raise NotImplementedError

    def texts(self, value: str) -> list[str]:
        """The tokens' texts alone, which is all a posting needs (see ``term_texts``)."""
        texts: list[str] = []
        for _, section in _sections(value):
            texts.extend(self.section_texts(section))
        return texts

    def section_texts(self, section: str) -> list[str]:
        return [text for _, _, text in self.spans(section, _match_form_once(section))]

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for offset, section in _sections(value):
            for start, end, text in self.spans(section, match_form(section)):
                token.text = text
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = section[start:end]
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + offset + start
                    token.endchar = start_char + offset + end
                pos += 1
                yield token
            pos += GAP_POSITIONS


class SyllableTokenizer(_VietnameseTokenizer):
    """Every syllable, normalized (lowercase, one tone-mark style)."""

    def spans(self, section, form):
        for match in SYLLABLE_RE.finditer(form):
            yield match.start(), match.end(), match.group()

    def section_texts(self, section):
        return list(_syllables_once(section))


class CompoundTokenizer(_VietnameseTokenizer):
    """The multi-syllable words pyvi finds, normalized and joined by "_" ("đảng_bộ")."""

    def spans(self, section, form):
        for span in _segment_once(section):
            if span.syllables > 1:
                keys = SYLLABLE_RE.findall(form, span.start, span.end)
                if len(keys) > 1:
                    yield span.start, span.end, "_".join(keys)


def phrase_pattern(folded_words: list[str] | tuple[str, ...]) -> re.Pattern:
    """The folded syllables in a row in folded text, separated by anything but letters,
    digits and the title/body break, as the ``pair`` field counts adjacency.

    The pattern starts with the first syllable itself, and only then looks behind it for
    a letter: a pattern that starts with a look-behind is tried at every character, one
    that starts with text jumps from one place that text stands to the next (a phrase
    over 2,400 titles: 7 ms → 1 ms)."""
    gap = rf"(?:[^\w{SECTION_BREAK}]|_)+"
    first, *rest = map(re.escape, folded_words)
    return re.compile(first + rf"(?<![^\W_]{first})" + "".join(gap + word for word in rest)
                      + r"(?![^\W_])")


def pair_term(first: str, second: str) -> str:
    """How two adjacent syllables are indexed in the ``pair`` field and looked up there."""
    return f"{first}_{second}"


class PairTokenizer(_VietnameseTokenizer):
    """Every two adjacent syllables, joined by "_" ("khong_co"), at the first one's position.

    Consecutive pairs at consecutive positions spell out a phrase, so an exact phrase is
    matched by intersecting its pairs, which are rare, instead of its syllables, which for
    phrases of everyday words ("không có đất sản xuất") are each in half the archive.
    """

    def spans(self, section, form):
        previous = None
        for match in SYLLABLE_RE.finditer(form):
            if previous is not None:
                yield previous.start(), match.end(), pair_term(previous.group(), match.group())
            previous = match

    def section_texts(self, section):
        syllables = _syllables_once(section)
        return [pair_term(a, b) for a, b in zip(syllables, syllables[1:])]


class FoldFilter(Filter):
    """Diacritics-insensitive form of each token."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token

    @staticmethod
    def texts(texts: list[str]) -> list[str]:
        """Fold many token texts in one call (they never hold a space)."""
        return fold(" ".join(texts)).split(" ") if texts else []


def term_texts(analyzer, value: str) -> list[str]:
    """The texts of the tokens one of our analyzers makes of ``value``, without the tokens.

    Indexing asks for about a thousand terms per article in each of five fields. Through
    Whoosh's ``Token`` objects and generator chain that took as long as segmenting with
    pyvi (cProfile of a 5,000-article build); as lists of strings, with each section
    normalized and split into syllables once for all fields, a fraction of it.
    """
    tokenizer, *filters = getattr(analyzer, "items", [analyzer])
    texts = tokenizer.texts(value)
    for text_filter in filters:
        texts = text_filter.texts(texts)
    return texts
