"""Property-based fuzzing of what hostile users and broken files can reach.

No exception may escape the query parser, the query builder, the highlighter or the
article reader, and every offset must stay inside the text it points into.
"""

from __future__ import annotations

import string
import unicodedata
from html import unescape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.analysis import SYLLABLE_RE, fold, match_form
from indexer.articles import ArchiveFile, ArticleError, read_article
from indexer.engine import array_request, whoosh_query
from indexer.highlight import find_spans, mark, marks_for, snippet
from indexer.query import MAX_QUERY_CHARS, MAX_TERMS, build_plan, parse

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐ"
QUERY_CHARS = st.sampled_from(
    list(VIETNAMESE + VIETNAMESE.upper() + string.punctuation + " \t\n\x00\x1b-\"'():*?")
)
queries = st.one_of(
    st.text(QUERY_CHARS, max_size=200),
    st.text(max_size=200),
    st.lists(st.sampled_from(["OR", "-", '"', "title:", "tieude:", "(", ")", "*", "a*", "~2",
                              "Đảng", "bộ", "dang", "hoà"]), max_size=40).map(" ".join),
)
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(queries)
def test_any_query_parses_into_bounded_terms_and_builds(text):
    parsed = parse(text)
    assert len(parsed.display_keys()) + sum(len(u.keys) for u in parsed.excluded) <= MAX_TERMS
    assert len(parsed.text) <= MAX_QUERY_CHARS
    for key in parsed.display_keys():
        assert SYLLABLE_RE.fullmatch(key)
    plan = build_plan(text)
    if not plan.is_empty:
        for relaxed in (False, True):
            whoosh_query(plan, relaxed)
            array_request(plan, relaxed)


@FUZZ
@given(st.text(max_size=400), queries)
def test_highlights_stay_inside_the_text_and_escape_everything(text, query):
    spans = find_spans(text, marks_for(build_plan(query)))
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        previous_end = end
    html = str(mark(text, spans))
    assert "<script" not in html.lower().replace("&lt;script", "")
    snippet_html, snippet_text = snippet(text, spans)
    assert "<" not in str(snippet_html).replace("<mark>", "").replace("</mark>", "")
    # one line of running text, whose marks are exactly the HTML's
    assert "\n" not in snippet_text
    plain = str(snippet_html).replace("<mark>", "").replace("</mark>", "")
    assert unescape(plain) == snippet_text


@FUZZ
@given(st.text(max_size=300))
def test_normal_forms_keep_length(text):
    text = unicodedata.normalize("NFC", text)
    assert len(match_form(text)) == len(text)
    assert len(fold(text)) == len(text)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_file_reads_or_is_rejected_with_a_reason(tmp_path, data, suffix):
    path = tmp_path / f"bai{suffix}"
    path.write_bytes(data)
    stat = path.stat()
    file = ArchiveFile(id=path.name, path=str(path), size=stat.st_size, mtime=stat.st_mtime)
    try:
        article = read_article(tmp_path, file)
    except ArticleError as err:
        assert err.id == path.name and err.reason
    else:
        assert article.title.strip() and article.body.strip()
        assert unicodedata.is_normalized("NFC", article.body)
