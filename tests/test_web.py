"""The website and JSON API through Flask's test client, on a small temporary index."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from indexer.search import MAX_PAGE, MAX_PER_PAGE
from webapp import SEARCHER_KEY, create_app, formatting, serve
from webapp.links import page_window
from webfixtures import SEED_ID, XSS, XSS_ID, build_index

SEED_TITLE_MARKED = "<mark>Đảng bộ Khối</mark>"


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> tuple[Path, Path]:
    return build_index(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def app(paths):
    archive, index = paths
    return create_app({"INDEX_ROOT": index, "ARCHIVE_ROOT": archive, "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def hit_ids(body: str) -> list[str]:
    """Article ids of the result links, in order."""
    return [html.unescape(m) for m in re.findall(r'class="hit__title"><a href="/article/([^"?]+)', body)]


def total(body: str) -> int:
    match = re.search(r"Tìm thấy ([\d.]+) kết quả", body)
    return int(match.group(1).replace(".", "")) if match else 0


def link_to(body: str, text: str) -> str:
    """The href of the first link whose text (tags removed) contains ``text``."""
    for href, inner in re.findall(r'<a[^>]*href="([^"]*)"[^>]*>(.*?)</a>', body, re.S):
        if text in html.unescape(re.sub(r"<[^>]+>", "", inner)):
            return html.unescape(href)
    raise AssertionError(f"no link with text {text!r}")


# --------------------------------------------------------------------------- home page


def test_home_has_labelled_autofocus_search_box_syntax_and_article_count(client):
    body = page(client, "/")
    assert re.search(r'<label[^>]*for="q"', body)
    assert re.search(r'<input[^>]*id="q"[^>]*name="q"[^>]*autofocus', body)
    assert "Kho lưu trữ hiện có <strong>14</strong> bài báo" in body
    assert "ngoặc kép" in body and "dang bo khoi" in body
    assert '<html lang="vi">' in body


def test_every_page_links_opensearch_stylesheet_and_script_files(client):
    for url in ["/", "/search?q=lúa", f"/article/{SEED_ID}", "/khong-co"]:
        body = client.get(url).get_data(as_text=True)
        assert 'rel="search" type="application/opensearchdescription+xml"' in body, url
        assert 'href="/static/style.css"' in body
        # No inline script or style: the CSP forbids them.
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
        assert "<style" not in body and " style=" not in body, url


def test_static_files_are_served(client):
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "text/css" in css.content_type
    assert ":focus-visible" in css.get_data(as_text=True)
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.content_type


# --------------------------------------------------------------------------- search results


def test_query_without_diacritics_highlights_title_with_diacritics(client):
    body = page(client, "/search?q=dang+bo+khoi")
    assert hit_ids(body) == [SEED_ID]
    assert SEED_TITLE_MARKED in body
    snippet = body.split('<p class="hit__snippet">')[1].split("</p>")[0]
    assert SEED_TITLE_MARKED in snippet


def test_total_and_time_are_written_the_vietnamese_way_in_a_live_region(client):
    body = page(client, "/search?q=lúa+gạo")
    live = re.search(r'<div class="status" role="status" aria-live="polite">(.*?)</div>',
                     body, re.S).group(1)
    assert re.search(r"Tìm thấy 9 kết quả \(\d+,\d\d giây\)", live)


def test_vietnamese_number_and_duration_formats():
    assert formatting.number(1234) == "1.234"
    assert formatting.number(1234567) == "1.234.567"
    assert formatting.seconds(50) == "0,05"
    assert formatting.seconds(1234.5) == "1,23"
    assert formatting.date("2024-05-01") == "01/05/2024"
    assert formatting.date("khoảng 1990") == "khoảng 1990"


def test_hit_shows_linked_title_date_category_author_and_snippet(client):
    body = page(client, "/search?q=" + quote("giá lúa gạo"))
    first = body.split('<li class="hit">')[1].split("</li>")[0]
    href = re.search(r'<a href="([^"]+)"', first).group(1)
    assert urlsplit(html.unescape(href)).path == "/article/kinh-te/gia-lua-gao-tang.txt"
    assert parse_qs(urlsplit(html.unescape(href)).query) == {"q": ["giá lúa gạo"]}
    assert "<mark>Giá lúa gạo</mark> tăng mạnh" in first
    assert '<time datetime="2024-05-01">01/05/2024</time>' in first
    assert ">Kinh tế</a>" in first and "Minh Anh" in first
    assert '<p class="hit__snippet">' in first and "<mark>" in first.split("hit__snippet")[1]


def test_exact_diacritics_rank_before_other_spellings(client):
    marked = hit_ids(page(client, "/search?q=" + quote("đường")))
    assert marked[0] == "xa-hoi/mo-rong-duong-vanh-dai.txt"
    assert len(marked) == len(hit_ids(page(client, "/search?q=duong"))) == 3


def test_search_without_query_asks_for_one(client):
    body = page(client, "/search")
    assert "Bạn muốn tìm gì?" in body
    assert 'class="hits"' not in body


# --------------------------------------------------------------------------- facets and filters


def test_facets_list_counts_and_add_a_filter_that_can_be_removed(client):
    body = page(client, "/search?q=lúa+gạo")
    for heading in ("Chuyên mục", "Năm", "Tác giả"):
        assert f'<h2 class="facet__title">{heading}</h2>' in body
    assert re.search(r'Nông nghiệp</span>\s*<span class="facet__count">7</span>', body)
    href = link_to(body, "Nông nghiệp")
    assert parse_qs(urlsplit(href).query) == {"q": ["lúa gạo"], "category": ["Nông nghiệp"]}

    filtered = page(client, href)
    assert total(filtered) == 7
    assert all(i.startswith("nong-nghiep/") for i in hit_ids(filtered))
    assert 'class="chip"' in filtered and "Chuyên mục:" in filtered
    remove = link_to(filtered, "Chuyên mục:")
    assert parse_qs(urlsplit(remove).query) == {"q": ["lúa gạo"]}
    assert total(page(client, remove)) == 9


def test_year_and_author_facets_filter(client):
    body = page(client, "/search?q=lúa+gạo")
    by_year = page(client, link_to(body, "2023"))
    assert total(by_year) == 3
    assert re.findall(r'<time datetime="(\d{4})', by_year) == ["2023"] * 3
    by_author = page(client, link_to(body, "Minh Anh"))
    assert hit_ids(by_author) == ["kinh-te/gia-lua-gao-tang.txt"]


def test_publisher_is_shown_in_results_and_offered_as_a_facet(client):
    body = page(client, "/search?q=lúa+gạo")
    assert '<h2 class="facet__title">Báo</h2>' in body
    assert re.search(r'Tuổi Trẻ</span>\s*<span class="facet__count">1</span>', body)
    first = body.split('<li class="hit">')[1].split("</li>")[0]
    assert re.search(r'class="hit__publisher" href="[^"]*publisher=[^"]*">Tuổi Trẻ</a>', first)
    by_publisher = page(client, link_to(body, "VnExpress"))
    assert hit_ids(by_publisher) == ["kinh-te/xuat-khau-gao-ky-luc.txt"]
    assert "Báo:</span> VnExpress" in by_publisher
    api = client.get("/api/search?q=lúa+gạo&publisher=VnExpress").get_json()
    assert [h["publisher"] for h in api["hits"]] == ["VnExpress"]
    assert api["facets"]["publisher"] == [{"value": "VnExpress", "count": 1}]


def test_publisher_facet_is_not_offered_when_no_article_has_one(client):
    body = page(client, "/search?q=" + quote('"lịch thời vụ"'))
    assert total(body) == 7
    assert '<h2 class="facet__title">Báo</h2>' not in body


def test_article_page_names_its_publisher(client):
    body = page(client, "/article/van-hoa/festival-hue.txt")
    assert '<span class="article__publisher">Tuổi Trẻ</span>' in body


def test_categories_are_shown_by_name_even_from_a_link_with_the_folder_name(client):
    body = page(client, "/search?q=lúa+gạo&category=nong-nghiep")
    assert total(body) == 7
    assert "Chuyên mục:</span> Nông nghiệp" in body
    assert re.search(r'is-active"[^>]*>\s*<span class="facet__value">Nông nghiệp</span>', body)
    assert "nong-nghiep" not in body.split('class="hits"')[0]


def test_active_facet_value_links_to_its_removal(client):
    body = page(client, "/search?q=lúa+gạo&category=kinh-te")
    active = re.search(r'<a class="facet__link is-active" href="([^"]+)"', body).group(1)
    assert parse_qs(urlsplit(html.unescape(active)).query) == {"q": ["lúa gạo"]}


def test_several_filters_combine_and_clear_all_removes_them(client):
    body = page(client, "/search?q=lúa+gạo&category=nong-nghiep&year=2019")
    assert total(body) == 2
    clear = link_to(body, "Xóa tất cả bộ lọc")
    assert parse_qs(urlsplit(clear).query) == {"q": ["lúa gạo"]}


def test_date_range_filters_and_is_shown_as_chips(client):
    body = page(client, "/search?q=lúa+gạo&from=2023-01-01&to=2023-12-31")
    assert total(body) == 3
    assert "Từ ngày:</span> 01/01/2023" in body and "Đến ngày:</span> 31/12/2023" in body
    assert 'name="from" value="2023-01-01"' in body


def test_reversed_date_range_is_swapped_for_pages(client):
    body = page(client, "/search?q=lúa+gạo&from=2023-12-31&to=2023-01-01")
    assert total(body) == 3


@pytest.mark.parametrize("bad", ["2024-13-45", "hôm qua", "2024-02-30", "20240101", "x" * 300])
def test_bad_dates_are_ignored_by_pages(client, bad):
    body = page(client, "/search?q=lúa+gạo&from=" + quote(bad) + "&to=" + quote(bad))
    assert total(body) == 9


def test_bad_year_is_ignored_by_pages(client):
    assert total(page(client, "/search?q=lúa+gạo&year=20x4")) == 9


def test_facet_values_with_vietnamese_text_round_trip_through_the_url(client):
    body = page(client, "/search?q=bản+tin")
    href = link_to(body, "Ban Nông nghiệp")
    assert "author=Ban+N%C3%B4ng+nghi%E1%BB%87p" in href or "author=Ban%20N" in href
    assert total(page(client, href)) == 7


# --------------------------------------------------------------------------- paging and sorting


def test_numbered_paging_with_previous_and_next(client):
    first = page(client, "/search?q=lúa+gạo&per_page=2")
    assert 'aria-label="Phân trang"' in first
    assert '<span class="pagination__page is-current" aria-current="page">1</span>' in first
    assert 'rel="prev"' not in first
    nxt = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    assert parse_qs(urlsplit(html.unescape(nxt)).query)["page"] == ["2"]
    second = page(client, html.unescape(nxt))
    assert '<ol class="hits" start="3">' in second
    assert 'rel="prev"' in second and 'rel="next"' in second
    last = page(client, "/search?q=lúa+gạo&per_page=2&page=5")
    assert 'rel="next"' not in last and len(hit_ids(last)) == 1
    pages = [hit_ids(page(client, f"/search?q=lúa+gạo&per_page=2&page={n}")) for n in range(1, 6)]
    assert len({i for p in pages for i in p}) == 9


@pytest.mark.parametrize("value", ["abc", "-3", "0", "1.5", "", "  ", "+1"])
def test_bad_page_numbers_show_the_first_page(client, value):
    body = page(client, "/search?q=lúa+gạo&per_page=2&page=" + quote(value))
    assert '<ol class="hits" start="1">' in body


@pytest.mark.parametrize("value", ["999", "99999999999999999999", "9" * 5000])
def test_page_past_the_end_redirects_to_the_last_page(client, value):
    response = client.get("/search?q=lúa+gạo&per_page=2&page=" + value)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.location).query)["page"] == ["5"]


def test_per_page_is_clamped(client):
    assert len(hit_ids(page(client, "/search?q=lúa+gạo&per_page=100000"))) == 9
    assert len(hit_ids(page(client, "/search?q=lúa+gạo&per_page=0"))) == 1
    assert len(hit_ids(page(client, "/search?q=lúa+gạo&per_page=nhiều"))) == 9


def test_page_window_marks_gaps():
    assert page_window(1, 1) == [1]
    assert page_window(1, 0) == []
    assert page_window(5, 20) == [1, 2, 3, 4, 5, 6, 7, None, 20]
    assert page_window(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_window(MAX_PAGE, MAX_PAGE)[-1] == MAX_PAGE


def dates(body: str) -> list[str]:
    return re.findall(r'<time datetime="([\d-]+)"', body)


def test_sort_newest(client):
    newest = dates(page(client, "/search?q=lúa+gạo&sort=newest"))
    assert newest == sorted(newest, reverse=True) and len(newest) == 9


def test_sort_oldest(client):
    oldest = dates(page(client, "/search?q=lúa+gạo&sort=oldest"))
    assert oldest == sorted(oldest) and len(oldest) == 9


def test_api_sort_oldest(client):
    data = client.get("/api/search?q=lúa+gạo&sort=oldest&per_page=2").get_json()
    assert [h["date"] for h in data["hits"]] == ["2019-02-01", "2019-08-01"]


def test_sort_by_date_and_the_date_filter_are_offered_only_when_a_result_has_a_date(client):
    dated = page(client, "/search?q=lúa+gạo")
    assert 'class="sort"' in dated and "Mới nhất" in dated
    assert 'class="facet date-filter"' in dated and 'name="from"' in dated
    for url in ("/search?q=dang+bo+khoi", "/search?category=" + quote("Chính trị")):
        undated = page(client, url)
        assert total(undated) == 1, url
        assert 'class="sort"' not in undated and "Mới nhất" not in undated, url
        assert "date-filter" not in undated and 'name="from"' not in undated, url
    assert client.get("/api/search?q=dang+bo+khoi").get_json()["dated"] == 0
    assert client.get("/api/search?q=lúa+gạo").get_json()["dated"] == 9


def test_facets_come_before_the_results_in_the_page_with_a_way_past_them(client):
    body = page(client, "/search?q=lúa+gạo")
    facets, hits = body.index('<aside class="facets"'), body.index('<ol class="hits"')
    assert facets < hits
    skip = re.search(r'<a class="facets__skip" href="#([^"]+)">([^<]+)</a>', body)
    assert skip and body.index(skip.group(0)) < body.index('<section class="facet">')
    assert skip.group(2) == "Bỏ qua bộ lọc, đến kết quả"
    target = re.search(rf'<div class="results-main" id="{skip.group(1)}" tabindex="-1">', body)
    assert target and facets < target.start() < hits


def test_sort_links_mark_the_current_order(client):
    relevance = page(client, "/search?q=lúa+gạo")
    assert '<span class="sort__item is-active" aria-current="true">Liên quan nhất</span>' in relevance
    assert parse_qs(urlsplit(link_to(relevance, "Mới nhất")).query)["sort"] == ["newest"]


def test_unknown_sort_falls_back_to_relevance(client):
    body = page(client, "/search?q=lúa+gạo&sort=" + quote("'; DROP"))
    assert '<span class="sort__item is-active" aria-current="true">Liên quan nhất</span>' in body


def test_sort_and_filters_survive_paging(client):
    body = page(client, "/search?q=lúa+gạo&sort=newest&category=nong-nghiep&per_page=2")
    nxt = html.unescape(re.search(r'rel="next" href="([^"]+)"', body).group(1))
    assert parse_qs(urlsplit(nxt).query) == {
        "q": ["lúa gạo"], "page": ["2"], "per_page": ["2"], "category": ["Nông nghiệp"],
        "sort": ["newest"],
    }


# --------------------------------------------------------------------------- notes and empty state


def test_a_misspelt_query_shows_results_for_the_correction(client):
    body = page(client, "/search?q=festivl+hue")
    assert "Đang hiển thị kết quả cho" in body
    assert hit_ids(body) == ["van-hoa/festival-hue.txt"]
    href = link_to(body, "festival huế")
    assert parse_qs(urlsplit(href).query) == {"q": ["festival huế"]}
    assert hit_ids(page(client, href)) == ["van-hoa/festival-hue.txt"]
    as_typed = link_to(body, "festivl hue")
    assert parse_qs(urlsplit(as_typed).query) == {"q": ["festivl hue"], "spell": ["0"]}
    exact = page(client, as_typed)
    assert "Đang hiển thị kết quả cho" not in exact


def test_suggestion_links_to_that_search(client):
    body = page(client, "/search?q=festival+hue")
    assert "Có phải bạn muốn tìm:" in body
    href = link_to(body, "festival huế")
    assert parse_qs(urlsplit(href).query) == {"q": ["festival huế"]}
    assert hit_ids(page(client, href)) == ["van-hoa/festival-hue.txt"]


def test_relaxed_results_say_not_all_words_matched(client):
    body = page(client, "/search?q=lúa+gạo+festival")
    assert "Không có bài nào chứa tất cả các từ" in body
    assert total(body) >= total(page(client, "/search?q=lúa+gạo"))  # any of the words
    assert "Không có bài nào chứa tất cả các từ" not in page(client, "/search?q=lúa+gạo")


def test_empty_state_offers_tips_and_removing_filters(client):
    body = page(client, "/search?q=zzzxq")
    assert "Không tìm thấy bài báo nào cho “zzzxq”" in body
    assert "Kiểm tra lại chính tả" in body
    assert 'class="hits"' not in body
    filtered = page(client, "/search?q=festival&category=kinh-te")
    assert "Không tìm thấy bài báo nào" in filtered
    again = link_to(filtered, "Tìm lại trong toàn bộ kho")
    assert hit_ids(page(client, again)) == ["van-hoa/festival-hue.txt"]


def test_over_long_query_still_answers_with_a_note(client):
    q = "lúa gạo " + "x" * 600
    body = page(client, "/search?q=" + quote(q))
    assert "chỉ 500 ký tự đầu tiên" in body
    data = client.get("/api/search?q=" + quote(q)).get_json()
    assert data["truncated"] is True


def test_timed_out_search_says_results_may_be_incomplete(app, client, monkeypatch):
    searcher = app.extensions[SEARCHER_KEY]
    original = searcher.search

    def slow(params, **kwargs):
        results = original(params, **kwargs)
        results.timed_out = True
        return results

    monkeypatch.setattr(searcher, "search", slow)
    assert "kết quả có thể chưa đầy đủ" in page(client, "/search?q=lúa")


@pytest.mark.parametrize("q", ["lúa\x00gạo", "lúa\x1bgạo", "lúa\r\ngạo\t", "\x00\x01\x02"])
def test_control_characters_in_the_query_are_dropped(client, q):
    response = client.get("/search?q=" + quote(q))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", body)
    api = client.get("/api/search?q=" + quote(q))
    if q.startswith("lúa"):
        assert api.get_json()["query"] == "lúa gạo"
        assert total(body) == 9
    else:
        assert api.status_code == 400


# --------------------------------------------------------------------------- articles


def test_article_page_highlights_the_query_carried_from_results(client):
    body = page(client, f"/article/{SEED_ID}?q=dang+bo+khoi")
    assert f'<h1 class="article__title">70 năm truyền thống {SEED_TITLE_MARKED}' in body
    assert body.count("<mark>") > 10
    assert "Bỏ tô sáng" in body and "Quay lại kết quả cho “dang bo khoi”" in body
    plain = page(client, f"/article/{SEED_ID}")
    assert "<mark>" not in plain.split('class="article"')[1]


def test_a_quoted_phrase_is_shown_in_one_pair_of_quotes(client):
    assert formatting.quoted('"đảng bộ khối"') == "“đảng bộ khối”"
    assert formatting.quoted('"đảng bộ" khối') == "“\"đảng bộ\" khối”"
    body = page(client, f"/article/{SEED_ID}?q=%22dang+bo+khoi%22")
    assert "Quay lại kết quả cho “dang bo khoi”" in body
    hostile = page(client, f"/article/{SEED_ID}?q=%22%3Cscript%3Ex%22")
    assert "“&lt;script&gt;x”" in hostile and "<script>x" not in hostile


def test_article_page_shows_metadata_source_tags_and_related(client):
    body = page(client, "/article/kinh-te/gia-lua-gao-tang.txt")
    assert '<time datetime="2024-05-01">01/05/2024</time>' in body
    assert "Minh Anh" in body and "kinh-te" in body
    assert ('<a href="https://example.vn/kinh-te/gia-lua-gao-tang" '
            'rel="noopener nofollow">') in body
    assert '<li class="tag">nông nghiệp</li>' in body
    related = body.split('id="related-title"')[1]
    links = re.findall(r'<a href="/article/([^"]+)"', related)
    assert 1 <= len(links) <= 5 and "kinh-te/gia-lua-gao-tang.txt" not in links
    for article_id in links:
        page(client, "/article/" + article_id)


def test_article_paragraphs_are_separate(client):
    body = page(client, "/article/xa-hoi/ngu-dan-ra-khoi.txt")
    assert body.count("<p>", body.index("article__body")) >= 2


def test_unknown_article_is_a_vietnamese_404(client):
    body = page(client, "/article/kinh-te/khong-ton-tai.txt", 404)
    assert "Không tìm thấy trang" in body and "Lỗi 404" in body
    assert "Traceback" not in body


TRAVERSALS = [
    "/article/../../etc/passwd",
    "/article/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/article/%2E%2E/%2E%2E/etc/passwd",
    "/article/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/article/kinh-te/..%2f..%2f..%2fetc/passwd",
    "/article//etc/passwd",
    "/article/%2fetc%2fpasswd",
    "/article/..\\..\\windows\\win.ini",
    "/article/kinh-te%5c..%5cgia-lua-gao-tang.txt",
    "/article/kinh-te/gia-lua-gao-tang.txt%00.html",
    "/article/kinh-te/./gia-lua-gao-tang.txt",
    "/api/article/../../etc/passwd",
    "/api/article/%252e%252e%252fetc%252fpasswd",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_path_traversal_ids_are_404_without_any_lookup(app, client, monkeypatch, url):
    looked_up: list[str] = []
    searcher = app.extensions[SEARCHER_KEY]
    monkeypatch.setattr(searcher, "article", lambda article_id, **kw: looked_up.append(article_id))
    response = client.get(url)
    assert response.status_code == 404
    assert looked_up == []
    assert "root:" not in response.get_data(as_text=True)


def test_ids_are_only_looked_up_in_the_index_never_opened(paths, client):
    archive, _ = paths
    stray = archive / "kinh-te" / "chua-index.txt"
    stray.write_text("---\ntitle: Chưa vào chỉ mục\n---\nNội dung\n", encoding="utf-8")
    try:
        assert client.get("/article/kinh-te/chua-index.txt").status_code == 404
    finally:
        stray.unlink()


# --------------------------------------------------------------------------- escaping


def test_script_in_title_and_body_is_shown_escaped(client):
    results = page(client, "/search?q=thử+nghiệm+bảo+mật")
    assert hit_ids(results)[0] == XSS_ID
    article = page(client, "/article/" + XSS_ID)
    for body in (results, article):
        assert XSS not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<img" not in body
    assert "&lt;img src=x onerror=alert(2)&gt;" in article


def test_javascript_source_url_is_not_linked(client):
    body = page(client, "/article/" + XSS_ID)
    assert "javascript:" not in body
    assert "Nguồn:" not in body


def test_query_with_markup_is_escaped_everywhere(client):
    q = '"><script>alert(1)</script>'
    for url in ("/search?q=" + quote(q), f"/article/{SEED_ID}?q=" + quote(q)):
        body = page(client, url)
        assert "<script>alert" not in body and '"><script' not in body
        assert "&lt;script&gt;" in body
    data = client.get("/api/search?q=" + quote(q)).get_json()
    assert all("<script>" not in h["snippet"] for h in data["hits"])


def test_facet_values_with_markup_are_escaped(client):
    body = page(client, "/search?q=lúa&author=" + quote("<b>x</b>"))
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body


# --------------------------------------------------------------------------- JSON API


def test_api_search_shape(client):
    response = client.get("/api/search?q=dang+bo+khoi")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert {"query", "total", "page", "per_page", "took_ms", "hits", "facets", "suggestion",
            "relaxed"} <= set(data)
    assert data["query"] == "dang bo khoi" and data["total"] == 1 and data["page"] == 1
    hit = data["hits"][0]
    assert set(hit) == {"id", "path", "title", "url", "snippet", "snippet_text", "date",
                        "category", "author", "publisher", "score"}
    assert hit["id"] == hit["path"] == SEED_ID
    assert hit["title"] == "70 năm truyền thống Đảng bộ Khối các cơ quan Trung ương"
    assert hit["category"] == "Chính trị" and hit["author"] == "Quỳnh Hoa" and hit["date"] is None
    assert "<mark>" in hit["snippet"] and "<mark>" not in hit["snippet_text"]
    assert isinstance(hit["score"], float) and isinstance(data["took_ms"], float)
    assert client.get(hit["url"]).status_code == 200
    assert data["facets"]["category"] == [{"value": "Chính trị", "count": 1}]
    assert "Đảng bộ Khối" in response.get_data(as_text=True)  # UTF-8, not \u escapes


def test_api_search_parameters_match_the_page(client):
    data = client.get("/api/search?q=lúa+gạo&per_page=2&page=2&sort=newest"
                      "&category=nong-nghiep").get_json()
    assert data["total"] == 7 and data["page"] == 2 and data["per_page"] == 2
    assert [h["date"] for h in data["hits"]] == ["2023-02-01", "2020-08-01"]
    ranged = client.get("/api/search?q=lúa+gạo&from=2023-01-01&to=2023-12-31").get_json()
    assert ranged["total"] == 3
    assert client.get("/api/search?q=lúa+gạo&year=2019").get_json()["total"] == 2
    assert client.get("/api/search?q=festivl+hue").get_json()["corrected"] == "festival huế"
    assert client.get("/api/search?q=festival+hue").get_json()["suggestion"] == "festival huế"
    assert client.get("/api/search?q=festivl+hue&spell=0").get_json()["corrected"] is None
    assert client.get("/api/search?q=lúa+gạo+festival").get_json()["relaxed"] is True


@pytest.mark.parametrize("query,parameter", [
    ("q=lúa&page=abc", "page"),
    ("q=lúa&page=0", "page"),
    ("q=lúa&page=-1", "page"),
    (f"q=lúa&page={MAX_PAGE + 1}", "page"),
    ("q=lúa&page=" + "9" * 5000, "page"),
    ("q=lúa&per_page=0", "per_page"),
    (f"q=lúa&per_page={MAX_PER_PAGE + 1}", "per_page"),
    ("q=lúa&sort=best", "sort"),
    ("q=lúa&from=2024-13-01", "from"),
    ("q=lúa&to=yesterday", "to"),
    ("q=lúa&from=2024-02-01&to=2024-01-01", "to"),
    ("q=lúa&year=20x4", "year"),
    ("q=lúa&spell=maybe", "spell"),
    ("q=", "q"),
])
def test_api_bad_parameters_are_400_naming_the_parameter(client, query, parameter):
    response = client.get("/api/search?" + query)
    assert response.status_code == 400 and response.is_json
    data = response.get_json()
    assert data["parameter"] == parameter and parameter in data["error"]


def test_api_article_shape(client):
    data = client.get("/api/article/kinh-te/gia-lua-gao-tang.txt").get_json()
    assert data["id"] == data["path"] == "kinh-te/gia-lua-gao-tang.txt"
    assert data["title"] == "Giá lúa gạo tăng mạnh tại Đồng bằng sông Cửu Long"
    assert data["body"].startswith("Những ngày đầu tháng Năm")
    assert data["date"] == "2024-05-01" and data["author"] == "Minh Anh"
    assert data["category"] == "Kinh tế" and data["tags"] == ["nông nghiệp", "lúa gạo"]
    assert data["source_url"] == "https://example.vn/kinh-te/gia-lua-gao-tang"
    assert data["publisher"] == "Tuổi Trẻ"
    assert 1 <= len(data["related"]) <= 5
    assert set(data["related"][0]) == {"id", "title", "url"}


def test_api_errors_are_json(client):
    missing = client.get("/api/article/kinh-te/khong-co.txt")
    assert missing.status_code == 404 and missing.get_json()["status"] == 404
    unknown = client.get("/api/khong-co")
    assert unknown.status_code == 404 and unknown.is_json


# --------------------------------------------------------------------------- health, opensearch


def test_healthz_reports_documents_reindex_time_and_version(client):
    data = client.get("/healthz").get_json()
    assert data["status"] == "ok" and data["documents"] == 14
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", data["last_reindex"])
    assert data["version"] == "0.1.0"


def test_missing_index_gives_503_pages_then_works_once_built(tmp_path):
    index = tmp_path / "index"
    app = create_app({"INDEX_ROOT": index, "TESTING": True})
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["documents"] == 0
    for url in ("/", "/search?q=lúa", f"/article/{SEED_ID}"):
        response = client.get(url)
        assert response.status_code == 503
        assert "Chưa có chỉ mục" in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    api = client.get("/api/search?q=lúa")
    assert api.status_code == 503 and api.is_json

    build_index(tmp_path)
    assert client.get("/healthz").status_code == 200
    assert total(page(client, "/search?q=lúa+gạo")) == 9


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    xml = response.get_data(as_text=True)
    assert "<OpenSearchDescription" in xml
    assert 'template="/search?q={searchTerms}"' in xml  # no public address configured


def test_no_url_is_built_from_the_host_header(app):
    """A client can send any Host; a cache in front of the site would pass its answer on."""
    client = app.test_client()
    for url in ("/opensearch.xml", "/static//style.css", "/search?q=gạo&page=99", "/",
                "/search?q=gạo", "/api/search?q=gạo", f"/article/{SEED_ID}",
                f"/api/article/{SEED_ID}", "/khong-co"):
        response = client.get(url, headers={"Host": "evil.example"})
        assert "evil.example" not in response.headers.get("Location", ""), url
        assert b"evil.example" not in response.data, url


def test_opensearch_uses_the_configured_public_url(paths, monkeypatch):
    archive, index = paths
    monkeypatch.setenv("VNSEARCH_PUBLIC_URL", "https://tracuu.example.vn/")
    app = create_app({"INDEX_ROOT": index, "ARCHIVE_ROOT": archive, "TESTING": True})
    xml = app.test_client().get("/opensearch.xml", headers={"Host": "evil.example"}).get_data(
        as_text=True)
    assert 'template="https://tracuu.example.vn/search?q={searchTerms}"' in xml
    served = create_app({"INDEX_ROOT": index, "SERVED_URL": serve.served_url("::1", 8000),
                         "PUBLIC_URL": None})
    assert 'template="http://[::1]:8000/api/search?q={searchTerms}"' in served.test_client().get(
        "/opensearch.xml").get_data(as_text=True)
    assert serve.served_url("0.0.0.0", 8000) is None


@pytest.mark.parametrize("value", ["javascript:alert(1)", "tracuu.example.vn",
                                   "https://tracuu.example.vn/?q=1"])
def test_bad_public_url_is_a_clear_error(tmp_path, value):
    with pytest.raises(ValueError, match="PUBLIC_URL must be the site's http"):
        create_app({"INDEX_ROOT": tmp_path, "PUBLIC_URL": value})


def test_api_article_gives_only_the_source_links_the_page_shows(client):
    unsafe = client.get(f"/api/article/{XSS_ID}").get_json()
    assert unsafe["source_url"] is None  # front matter said javascript:alert(1)
    safe = client.get("/api/article/kinh-te/gia-lua-gao-tang.txt").get_json()
    assert safe["source_url"] == "https://example.vn/kinh-te/gia-lua-gao-tang"


# --------------------------------------------------------------------------- headers, errors


@pytest.mark.parametrize("url", ["/", "/search?q=lúa", "/api/search?q=lúa", "/healthz",
                                 "/static/style.css", "/khong-co", "/api/search?page=x"])
def test_security_headers_on_every_response(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert headers["X-Frame-Options"] == "DENY"


def test_unexpected_errors_are_vietnamese_pages_without_traceback(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app.extensions[SEARCHER_KEY], "search", broken)
    response = client.get("/search?q=lúa")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Đã có lỗi xảy ra" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    api = client.get("/api/search?q=lúa")
    assert api.status_code == 500 and api.is_json
    assert "secret" not in api.get_data(as_text=True)


def test_wrong_method_is_405_in_vietnamese(client):
    response = client.post("/search?q=lúa")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "Phương thức không được hỗ trợ" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- settings, serve


def test_settings_come_from_file_then_environment_then_argument(tmp_path, monkeypatch):
    settings = tmp_path / "settings.py"
    settings.write_text('INDEX_ROOT = "/from/file"\nARCHIVE_ROOT = "/from/file"\n'
                        "SEARCH_TIME_LIMIT = 1.5\n")
    monkeypatch.setenv("VNSEARCH_CONFIG", str(settings))
    monkeypatch.delenv("VNSEARCH_INDEX", raising=False)
    monkeypatch.delenv("VNSEARCH_ARCHIVE", raising=False)
    app = create_app()
    assert app.config["INDEX_ROOT"] == Path("/from/file")
    assert app.config["SEARCH_TIME_LIMIT"] == 1.5
    monkeypatch.setenv("VNSEARCH_INDEX", "/from/env")
    app = create_app()
    assert app.config["INDEX_ROOT"] == Path("/from/env")
    assert app.config["ARCHIVE_ROOT"] == Path("/from/file")
    app = create_app({"INDEX_ROOT": tmp_path})
    assert app.config["INDEX_ROOT"] == tmp_path
    assert app.extensions[SEARCHER_KEY].index_root == tmp_path


def test_gunicorn_options_use_separate_buffering_workers():
    options = serve.gunicorn_options("127.0.0.1", 8123, None)
    assert options["bind"] == "127.0.0.1:8123"
    assert options["worker_class"] == "webapp.serve.BufferingWorker"
    assert serve.BufferingWorker.__module__ == "webapp.serve"
    assert options["preload_app"] is False
    assert options["workers"] == serve.default_workers() >= 1
    assert serve.gunicorn_options("::1", 80, 3)["bind"] == "[::1]:80"
    assert serve.gunicorn_options("::1", 80, 3)["workers"] == 3


def test_serve_falls_back_to_waitress_without_gunicorn(tmp_path, monkeypatch, capsys):
    served = {}

    def no_gunicorn(*args):
        raise ImportError("no fcntl on this platform")

    def fake_serve(app, host, port, threads, **options):
        served.update(app=app, host=host, port=port, threads=threads, **options)
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "gunicorn_server", no_gunicorn)
    monkeypatch.setitem(sys.modules, "waitress", type(sys)("waitress"))
    sys.modules["waitress"].serve = fake_serve
    serve.run(tmp_path / "index", tmp_path / "archive", "127.0.0.1", 8124, 2)
    out = capsys.readouterr()
    assert "Serving on http://127.0.0.1:8124/" in out.out
    assert "No search index in the folder" in out.err
    assert served["threads"] == 2 and served["port"] == 8124
    assert served["clear_untrusted_proxy_headers"] is False  # the librarian's page reads them
    assert served["app"].config["INDEX_ROOT"] == (tmp_path / "index").resolve()


def test_a_filter_alone_lists_its_articles_newest_first(client):
    response = client.get("/api/search?category=nong-nghiep")
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 7
    dates = [hit["date"] for hit in data["hits"] if hit["date"]]
    assert dates == sorted(dates, reverse=True)
    page = client.get("/search?category=nong-nghiep")
    assert "Tìm thấy 7 kết quả" in page.get_data(as_text=True)


HOSTILE_QUERIES = [
    "lúa " * 2500,  # 10,000 characters
    " ".join(f"từ{i}" for i in range(1000)),  # 1,000 terms
    "OR AND NOT - -- ( ) \" :",
    '"lúa gạo',
    "((((lúa gạo",
    "(" * 200 + "lúa" + ")" * 200,
    "*",
    "a*",
    "lúa~2 gạo~",
    "lúa\x00gạo\x07",
    "title: author: category:",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_never_fail_and_are_never_reflected_raw(client, q):
    page_response = client.get("/search", query_string={"q": q})
    assert page_response.status_code == 200
    body = page_response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "Traceback" not in body
    api = client.get("/api/search", query_string={"q": q})
    assert api.status_code in (200, 400)
    assert api.is_json and api.headers["X-Content-Type-Options"] == "nosniff"
    assert "Traceback" not in api.get_data(as_text=True)


def test_a_served_worker_loads_pyvi_before_its_first_query(tmp_path):
    """The first query with an operator must not wait for pyvi's model: the app factory
    every worker runs loads it (checked in a fresh interpreter, where nothing else has)."""
    probe = (
        "import sys; from pathlib import Path\n"
        "from indexer import analysis\n"
        "from webapp import serve\n"
        "assert analysis.load_segmenter.cache_info().currsize == 0\n"
        "serve.app_factory(Path(sys.argv[1]), Path(sys.argv[2]))()\n"
        "print(analysis.load_segmenter.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "index"),
                           str(tmp_path / "archive")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
