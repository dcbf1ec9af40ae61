"""'Có phải bạn muốn tìm': restore diacritics and correct typos from the archive's own words.

The vocabulary is the index itself: every folded syllable and every folded compound maps
to its most frequent written form, counted in occurrences rather than documents
(so "Khối" written nine times in one article beats "khỏi" written once). A query typed without marks is restored greedily, the
longest known compound first, so context picks "đảng bộ" over "dạng bó". A syllable that
the archive does not know at all is replaced by its most frequent neighbour within one edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import SYLLABLE_RE, fold, nfc
from .query import FIELD_ALIASES

MAX_COMPOUND = 3


@dataclass
class Vocabulary:
    syllables: dict[str, tuple[str, int]]  # folded syllable → (written form, occurrences)
    compounds: dict[str, tuple[str, int]]  # "dang_bo" → ("đảng_bộ", doc frequency)

    @classmethod
    def from_reader(cls, reader) -> "Vocabulary":
        return cls(_best_forms(reader, "syl"), _best_forms(reader, "word"))

    def restore(self, folded_keys: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(folded_keys):
            for size in range(min(MAX_COMPOUND, len(folded_keys) - i), 1, -1):
                found = self.compounds.get("_".join(folded_keys[i : i + size]))
                if found:
                    out.extend(found[0].split("_"))
                    i += size
                    break
            else:
                found = self.syllables.get(folded_keys[i])
                out.append(found[0] if found else folded_keys[i])
                i += 1
        return out


def _best_forms(reader, fieldname: str) -> dict[str, tuple[str, int]]:
    best: dict[str, tuple[str, int]] = {}
    for term, info in reader.iter_field(fieldname):
        written = term.decode("utf-8") if isinstance(term, bytes) else term
        freq = int(info.weight())
        key = fold(written)
        if key not in best or freq > best[key][1]:
            best[key] = (written, freq)
    return best


def suggestable_syllables(text: str) -> list[tuple[tuple[int, int], str]]:
    """The syllables of a query a suggestion may rewrite: all but field names ("title:")."""
    text = nfc(text)
    out = []
    for match in SYLLABLE_RE.finditer(text):
        if text.startswith(":", match.end()) and match.group().lower() in FIELD_ALIASES:
            continue
        out.append((match.span(), match.group()))
    return out


def restore_text(query: str, spans: list[tuple[int, int]], restored: list[str]) -> str:
    """Put restored syllables back into the user's text, keeping its punctuation and case."""
    text = nfc(query)
    pieces: list[str] = []
    pos = 0
    for (start, end), new in zip(spans, restored):
        pieces.append(text[pos:start])
        old = text[start:end]
        if old[:1].isupper():
            new = new[:1].upper() + new[1:]
        if old.isupper() and len(old) > 1:
            new = new.upper()
        pieces.append(new)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def correct_typos(reader, folded_keys: list[str]) -> list[str]:
    """Replace folded syllables absent from the archive by their most frequent near neighbour."""
    fixed = []
    for key in folded_keys:
        if key.isdigit() or reader.doc_frequency("fold", key):
            fixed.append(key)
            continue
        candidates = [
            (reader.doc_frequency("fold", c), c)
            for c in reader.terms_within("fold", key, 1)
        ]
        fixed.append(max(candidates)[1] if candidates else key)
    return fixed
