"""What people really type: one query plan for matching, ranking, highlighting and paging.

A small archive written for these cases, indexed for real; every test is a search as a
reader would make it, and what the page would show.
"""

from __future__ import annotations

import re

import pytest

from helpers import write_article
from indexer import spelling
from indexer.build import build
from indexer.search import ArchiveSearcher, SearchParams

MARK_RE = re.compile(r"<mark>(.*?)</mark>")

LAI_SUAT = "kinh-te/han-quoc-lai-suat.txt"
KIEM_TOAN = "kinh-te/kiem-toan-dau-tien.txt"
KIEM_NHIEM = "kinh-te/kiem-nhiem.txt"
TPHCM_SHORT = "xa-hoi/tphcm-ket-xe.txt"
TPHCM_LONG = "xa-hoi/thanh-pho-ket-xe.txt"
KY_LUAT = "chinh-tri/can-bo-ky-luat.txt"
HOC_LUAT = "chinh-tri/can-bo-hoc-luat.txt"
DANG_BO = "chinh-tri/dang-bo-khoi.txt"
VIET_BAC = "lich-su/chien-khu-viet-bac.txt"
BAC_VIET = "lich-su/viet-bac-mua-lua.txt"  # the words of the phrase, apart
HUE = "van-hoa/hue.txt"
HOA_BINH = "thoi-su/hoa-binh.txt"  # old tone placement
HA_NOI = "van-hoa/ha-noi.txt"
HA_TITLE = "van-hoa/ha-giang.txt"
BAO = "thoi-su/bao-so-7.txt"
BONG_DA = "the-thao/bong-da-viet-nam.txt"
SEA_GAMES = "the-thao/sea-games.txt"
THU_TUONG = "chinh-tri/thu-tuong.txt"
BAU_CU = "the-gioi/bau-cu-my.txt"
MY_PHAM = "doi-song/my-pham.txt"
FOOTBALL_PAGES = 23


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    root = tmp_path_factory.mktemp("plan")
    archive = root / "archive"
    write_article(archive, LAI_SUAT, "Hàn Quốc giảm lãi suất cơ bản",
                  "Ngân hàng trung ương Hàn Quốc hôm qua giảm lãi suất cơ bản xuống 3%.")
    write_article(archive, KIEM_TOAN, "3 công ty đầu tiên được hoạt động kiểm toán",
                  "Bộ Tài chính cho phép 3 công ty đầu tiên hoạt động kiểm toán độc lập.")
    for n in range(6):
        write_article(archive, f"kinh-te/kiem-toan-{n}.txt", f"Kiểm toán nhà nước năm {n}",
                      "Kiểm toán nhà nước công bố kết quả kiểm toán ngân sách.")
    write_article(archive, KIEM_NHIEM, "Giám đốc kiêm kế toán",
                  "Ở 3 công ty đầu tiên, giám đốc được hoạt động kiêm cả việc dạy toán.")
    write_article(archive, TPHCM_SHORT, "TP.HCM: kẹt xe giờ cao điểm",
                  "Nhiều tuyến đường ở TP.HCM kẹt xe kéo dài vào giờ cao điểm.")
    write_article(archive, TPHCM_LONG, "Thành phố Hồ Chí Minh chống kẹt xe",
                  "Thành phố Hồ Chí Minh mở thêm đường để giảm kẹt xe.")
    write_article(archive, KY_LUAT, "Cán bộ bị kỷ luật",
                  "Ba cán bộ xã bị kỷ luật vì làm sai quy định.")
    write_article(archive, HOC_LUAT, "Cán bộ đi học luật",
                  "Cán bộ tư pháp xã được cử đi học luật tại Hà Nội.")
    write_article(archive, DANG_BO, "Đảng bộ Khối họp",
                  "Đảng bộ Khối các cơ quan Trung ương họp tổng kết; khách từ chiến khu Việt Bắc.")
    write_article(archive, VIET_BAC, "Về thăm chiến khu Việt Bắc",
                  "Đoàn cựu chiến binh về thăm chiến khu Việt Bắc ở Thái Nguyên.")
    write_article(archive, BAC_VIET, "Việt Bắc mùa lúa",
                  "Ở Việt Bắc, chiến sĩ giúp dân; khu tái định cư mới.")
    write_article(archive, HUE, "Festival Huế khai mạc", "Lễ hội ở cố đô Huế thu hút du khách.")
    write_article(archive, HOA_BINH, "Thuỷ điện Hoà Bình xả lũ", "Nhà máy thuỷ điện Hoà Bình mở cửa xả.")
    write_article(archive, HA_NOI, "Hà Nội đón khách du lịch",
                  "Thủ đô Hà Nội đón nhiều khách trong dịp lễ.")
    write_article(archive, HA_TITLE, "Hà Giang mùa hoa tam giác mạch",
                  "Du khách từ nội thành Hà Nội lên cao nguyên đá.")
    write_article(archive, BAO, "Bão số 7 đổ bộ",
                  "Theo Trung tâm Dự báo, bão số 7 đã đổ bộ; cảnh báo mưa lớn.")
    write_article(archive, BONG_DA, "Bóng đá Việt Nam đã sẵn sàng",
                  "Đội tuyển bóng đá Việt Nam đã tập luyện suốt năm qua cho giải năm nay.")
    write_article(archive, SEA_GAMES, "SEA Games đã khai mạc",
                  "Đội tuyển bóng đá nữ thi đấu trận mở màn.")
    for n in range(3):
        write_article(archive, f"the-thao/doi-tuyen-{n}.txt", f"Bóng đá Việt Nam số {n}",
                      "Đội tuyển bóng đá Việt Nam thi đấu ở Việt Nam.")
        write_article(archive, f"chinh-tri/thu-tuong-{n}.txt", f"Thủ tướng tiếp khách {n}",
                      "Thủ tướng Chính phủ tiếp đoàn khách quốc tế.")
    write_article(archive, THU_TUONG, "Thủ tướng thăm miền Trung",
                  "Thủ tướng đến thăm bà con vùng lũ.")
    write_article(archive, BAU_CU, "Bầu cử Mỹ: hai ứng viên tranh luận",
                  "Cuộc bầu cử Mỹ năm nay có hai ứng viên chính.")
    write_article(archive, MY_PHAM, "Mỹ phẩm giả tràn lan",
                  "Trước ngày bầu cử hội đồng, chợ bán nhiều mỹ phẩm giả; mỹ phẩm giá rẻ.")
    for n in range(FOOTBALL_PAGES):
        write_article(archive, f"the-thao/tin-{n:02d}.txt", f"Tin thể thao số {n}",
                      "Trận đấu bóng " + "đá " * (1 + n % 4) + f"vòng {n}.")
    build(archive, root / "index", jobs=1)
    s = ArchiveSearcher(root / "index", archive_root=archive)
    yield s
    s.close()


def search(searcher, q, **kw):
    return searcher.search(SearchParams(q=q, **kw))


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def marks_in(searcher, q, article_id) -> list[str]:
    view = searcher.article(article_id, q=q, related=0)
    html = str(view.title_html) + "".join(str(p) for p in view.paragraphs_html)
    return MARK_RE.findall(html)


# --------------------------------------------------------------------------- typos


@pytest.mark.parametrize("q", ["Hàn Quốc giảm lãii suất", "han quoc giam laii suat",
                               "Hànn Quốc giảm lãi suất cơ bản"])
def test_one_typo_in_a_headline_still_finds_it_first(searcher, q):
    results = search(searcher, q)
    assert ids(results)[0] == LAI_SUAT
    assert results.corrected is not None and "lãi suất" in results.corrected.lower()


@pytest.fixture(scope="module")
def commoner_spellings(tmp_path_factory):
    """An archive where the right answer to each typo below is the rarer spelling: only
    the marks the reader typed tell it apart."""
    root = tmp_path_factory.mktemp("marks")
    archive = root / "archive"
    for n in range(12):
        write_article(archive, f"doi-song/khoi-{n}.txt", f"Khỏi bệnh sau {n} tuần",
                      "Bệnh nhân đã khỏi bệnh, đủ sức khỏe để ra viện và dự lễ.")
    write_article(archive, "chinh-tri/dang-bo-khoi.txt", "Đảng bộ Khối các cơ quan",
                  "Đảng bộ Khối các cơ quan Trung ương tổ chức hội nghị.")
    write_article(archive, "doi-song/dung-vo-ly.txt", "Đừng chấp nhận sự vô lý",
                  "Đừng im lặng trước đòi hỏi vô lý.")
    write_article(archive, "kinh-te/ngan-hang.txt", "Ngân hàng giảm lãi suất",
                  "Ngân hàng nhà nước giảm lãi suất điều hành.")
    write_article(archive, "the-gioi/hag.txt", "Ông Hag đến thăm", "Ông Hag đến thăm Hà Nội.")
    build(archive, root / "index", jobs=1)
    searcher = ArchiveSearcher(root / "index")
    yield searcher
    searcher.close()


@pytest.mark.parametrize("q, corrected", [
    ("Đảng bộ Khốii các cơ quan", "Đảng bộ Khối các cơ quan"),
    ("đừg chấp nhận", "đừng chấp nhận"),
    ("ngân hàg giảm lãi suất", "ngân hàng giảm lãi suất"),
])
def test_a_typo_is_corrected_to_the_word_its_typed_marks_spell(commoner_spellings, q,
                                                                corrected):
    """"Khốii" is one letter from "Khối" and from the commoner "khỏi": the "ố" typed
    decides. "hàg" is not the name "Hag": a syllable typed with marks is Vietnamese."""
    results = search(commoner_spellings, q)
    assert results.corrected == corrected
    assert results.hits


@pytest.fixture(scope="module")
def typo_in_the_archive(tmp_path_factory):
    """An archive where one article has the typo "việ" (so the syllable exists), many
    say "bệnh viện" and "Ông Hai", and rare names, "Khobar" and "Ông Hag", stand in one."""
    root = tmp_path_factory.mktemp("rare")
    archive = root / "archive"
    for n in range(spelling.FAR_MORE_LIKELY + 5):
        write_article(archive, f"y-te/benh-vien-{n}.txt", f"Bệnh viện tỉnh số {n}",
                      "Bệnh viện tỉnh nhận thêm bệnh nhân. Ông Hai về thăm.")
    write_article(archive, "y-te/go-nham.txt", "Tin vắn", "Bệnh nhân được đưa vào việ.")
    write_article(archive, "the-gioi/hag.txt", "Ông Hag về thăm", "Ông Hag về thăm quê.")
    write_article(archive, "the-gioi/khobar.txt", "Dầu mỏ ở Khobar",
                  "Thành phố Khobar của Ả Rập Xê Út.")
    build(archive, root / "index", jobs=1)
    searcher = ArchiveSearcher(root / "index")
    yield searcher
    searcher.close()


def test_a_typo_that_exists_in_one_article_is_corrected_by_its_neighbours(
        typo_in_the_archive):
    """"việ" is in the archive once, by mistake; next to "bệnh" the archive has "viện" in
    every other article: the far likelier query is searched, and the page says so."""
    results = search(typo_in_the_archive, "bệnh việ tỉnh")
    assert results.corrected == "bệnh viện tỉnh"
    assert results.total == spelling.FAR_MORE_LIKELY + 5


@pytest.mark.parametrize("q, first", [("Khobar Ả Rập", "the-gioi/khobar.txt"),
                                      ("việ", "y-te/go-nham.txt"),
                                      ("ông Hag", "the-gioi/hag.txt")])
def test_a_rare_word_is_searched_as_typed_where_the_archive_writes_it_so(typo_in_the_archive,
                                                                         q, first):
    """No likelier neighbour ("Khobar"), no neighbour at all ("việ"), or a name the archive
    writes beside the same neighbour ("ông Hag", though "ông Hai" is in every other
    article): not a typo."""
    results = search(typo_in_the_archive, q)
    assert results.corrected is None
    assert ids(results)[0] == first


def test_the_page_offers_the_search_exactly_as_typed(searcher):
    as_typed = search(searcher, "Hàn Quốc giảm lãii suất", spell=False)
    assert as_typed.corrected is None
    # still recall-safe: the headline holds every other word
    assert ids(as_typed)[0] == LAI_SUAT


def test_a_query_with_one_known_word_never_returns_nothing(searcher):
    results = search(searcher, "xqzvw Huế")
    assert HUE in ids(results)


def test_a_typo_inside_quotes_is_corrected_too(searcher):
    results = search(searcher, '"chiến khu Việt Bắcc"')
    assert set(ids(results)) == {VIET_BAC, DANG_BO}
    assert results.corrected == '"chiến khu Việt Bắc"'


def test_a_phrase_found_nowhere_falls_back_to_its_words(searcher):
    results = search(searcher, '"Việt Bắc chiến khu"')
    assert results.relaxed
    assert {VIET_BAC, BAC_VIET} <= set(ids(results))


# --------------------------------------------------------------------------- tone marks


def test_a_wrong_tone_mark_does_not_hide_the_headline(searcher):
    results = search(searcher, "3 công ty đầu tiên được hoạt động kiêm toán")
    assert ids(results)[0] == KIEM_TOAN
    assert results.corrected == "3 công ty đầu tiên được hoạt động kiểm toán"


@pytest.mark.parametrize("q", ["hoà bình", "hòa bình", "thủy điện Hòa Bình"])
def test_old_and_new_tone_placement_are_one_spelling(searcher, q):
    results = search(searcher, q)
    assert results.corrected is None
    assert ids(results)[0] == HOA_BINH


# --------------------------------------------------------------------------- abbreviations


@pytest.mark.parametrize("q", ["TP.HCM kẹt xe", "Thành phố Hồ Chí Minh kẹt xe",
                               "tphcm ket xe", "thanh pho ho chi minh ket xe"])
def test_tphcm_and_its_long_form_find_the_same_articles(searcher, q):
    results = search(searcher, q)
    assert set(ids(results)[:2]) == {TPHCM_SHORT, TPHCM_LONG}
    assert results.expansions


def test_the_librarians_abbreviations_apply_without_a_restart(searcher, tmp_path):
    archive = searcher.abbreviations.path.parent
    assert HUE not in ids(search(searcher, "CĐH"))
    searcher.abbreviations.path.write_text("CĐH = cố đô Huế\n", encoding="utf-8")
    try:
        searcher.abbreviations._checked = float("-inf")  # look at the file at the next search
        results = search(searcher, "CĐH")
        assert ids(results) == [HUE]
        assert results.expansions == [("CĐH", ["cố đô Huế"])]
    finally:
        (archive / "abbreviations.conf").unlink()


def test_an_abbreviation_written_out_counts_as_one_word_of_the_query(tmp_path):
    """"OPEC" written out is seven syllables: an article that names the organisation once in
    full, in passing, does not outrank the one about OPEC and oil prices."""
    archive = tmp_path / "archive"
    write_article(archive, "kinh-te/opec.txt", "OPEC giữ sản lượng",
                  "OPEC họp bàn về giá dầu. Các nước OPEC giữ sản lượng, giá dầu thô tăng.")
    write_article(archive, "xa-hoi/dai-su.txt", "Đại sứ mới nhận nhiệm vụ",
                  "Ông từng làm việc cho Tổ chức các nước xuất khẩu dầu mỏ. "
                  "Giá dầu không phải việc của ông lúc này; ông lo việc lãnh sự.")
    for n in range(8):
        write_article(archive, f"kinh-te/cho-{n}.txt", f"Giá cả tuần {n}",
                      "Giá rau và giá thịt ổn định; các nước trong khu vực nhập khẩu gạo.")
    build(archive, tmp_path / "index", jobs=1)
    searcher = ArchiveSearcher(tmp_path / "index")
    try:
        results = search(searcher, "OPEC giá dầu")
        assert results.expansions
        assert ids(results) == ["kinh-te/opec.txt", "xa-hoi/dai-su.txt"]
    finally:
        searcher.close()


# --------------------------------------------------------------------------- operators


def test_minus_excludes_the_whole_word(searcher):
    found = ids(search(searcher, "cán bộ -kỷ luật"))
    assert HOC_LUAT in found and KY_LUAT not in found


def test_or_joins_whole_words(searcher):
    found = set(ids(search(searcher, "Hà Nội OR Huế")))
    assert {HUE, HA_NOI} <= found


def test_title_field_applies_to_the_whole_word(searcher):
    assert ids(search(searcher, "title:Hà Nội")) == [HA_NOI]


@pytest.mark.parametrize("q, first, excluded", [
    ("dang bo khoi", DANG_BO, None),
    ('"chiến khu Việt Bắc"', VIET_BAC, BAC_VIET),
    ("cán bộ -kỷ luật", HOC_LUAT, KY_LUAT),
    ("Hà Nội OR Huế", None, None),
    ("title:Hà Nội", HA_NOI, HA_TITLE),
])
def test_every_example_of_the_syntax_help_does_what_it_says(searcher, client_page, q, first,
                                                            excluded):
    assert f"<code>{q}</code>".replace('"', "&#34;") in client_page or \
        f"<code>{q}</code>" in client_page, "the home page shows this example"
    found = ids(search(searcher, q))
    if first is not None:
        assert found[0] == first
    if excluded is not None:
        assert excluded not in found
    if q == "Hà Nội OR Huế":
        assert {HUE, HA_NOI} <= set(found)


@pytest.fixture(scope="module")
def client_page(searcher):
    from webapp import create_app

    app = create_app({"INDEX_ROOT": searcher.index_root, "TESTING": True})
    return app.test_client().get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- highlights


def test_bao_marks_the_storm_not_the_forecast(searcher):
    assert marks_in(searcher, "bão", BAO) == ["Bão", "bão"]


def test_bong_da_marks_football_not_da(searcher):
    marked = marks_in(searcher, "bóng đá", BONG_DA)
    assert "đã" not in " ".join(marked).lower()
    assert marked.count("Bóng đá") + marked.count("bóng đá") == 2


def test_a_title_without_the_word_does_not_mark_its_other_spelling(searcher):
    """The body has "bóng đá": the title's "đã" is another word, on the page and in the hit."""
    assert marks_in(searcher, "bóng đá", SEA_GAMES) == ["bóng đá"]
    hit = next(h for h in search(searcher, "bóng đá", per_page=50).hits if h.id == SEA_GAMES)
    assert hit.title_spans == []
    assert [hit.snippet_text[s:e] for s, e in hit.snippet_spans] == ["bóng đá"]


def test_unmarked_viet_nam_marks_nam_not_nam_year(searcher):
    marked = " ".join(marks_in(searcher, "bong da viet nam", BONG_DA))
    assert "Việt Nam" in marked and "năm" not in marked


def test_a_mistyped_tone_still_marks_the_word(searcher):
    assert "Thủ tướng" in marks_in(searcher, "thủ tưóng", THU_TUONG)


# --------------------------------------------------------------------------- ranking


def test_unmarked_election_query_prefers_the_us_election(searcher):
    found = ids(search(searcher, "bau cu My"))
    assert found[0] == BAU_CU
    assert MY_PHAM not in found or found.index(MY_PHAM) > found.index(BAU_CU)


@pytest.mark.parametrize("per_page", [3, 7, 10])
def test_every_match_is_on_exactly_one_page(searcher, per_page):
    first = search(searcher, "bóng đá", per_page=per_page)
    seen = []
    for page in range(1, first.pages + 1):
        seen += ids(search(searcher, "bóng đá", per_page=per_page, page=page))
    assert len(seen) == len(set(seen)) == first.total


def test_newest_or_oldest_first_shows_the_same_articles_as_by_relevance(tmp_path):
    """Ordering the results by date changes their order, never which articles match."""
    archive = tmp_path / "archive"
    write_article(archive, "xa-hoi/lien-ke.txt", "Thành phố Hồ Chí Minh mở đường",
                  "Thành phố Hồ Chí Minh mở thêm đường mới.", date="2005-03-01")
    write_article(archive, "xa-hoi/tach-roi.txt", "Bảo tàng mới",
                  "Một thành phố nhỏ có bảo tàng mang tên Hồ Chí Minh.", date="2004-06-01")
    write_article(archive, "xa-hoi/khong-ngay.txt", "Đường phố sạch",
                  "Thành phố Hồ Chí Minh ra quân làm sạch đường phố.")
    build(archive, tmp_path / "index", jobs=1)
    searcher = ArchiveSearcher(tmp_path / "index")
    try:
        for q in ["Thành phố Hồ Chí Minh", "thanh pho ho chi minh", '"Hồ Chí" thành phố']:
            relevance = search(searcher, q)
            newest, oldest = search(searcher, q, sort="newest"), search(searcher, q, sort="oldest")
            assert newest.total == oldest.total == relevance.total, q
            assert set(ids(newest)) == set(ids(oldest)) == set(ids(relevance)), q
        assert ids(newest) == ["xa-hoi/lien-ke.txt", "xa-hoi/tach-roi.txt",
                               "xa-hoi/khong-ngay.txt"]
        assert ids(oldest) == ["xa-hoi/tach-roi.txt", "xa-hoi/lien-ke.txt",
                               "xa-hoi/khong-ngay.txt"]
    finally:
        searcher.close()


def test_corrections_stop_at_their_share_of_the_time_budget(searcher):
    """Correcting is a look-up per candidate spelling: on a hurried searcher it stops and
    the words are searched as typed, instead of the search overrunning its budget."""
    hurried = ArchiveSearcher(searcher.index_root, time_limit=0.0)
    try:
        assert hurried.search(SearchParams(q="Hàn Quốc giảm lãii suất")).corrected is None
    finally:
        hurried.close()
    assert search(searcher, "Hàn Quốc giảm lãii suất").corrected is not None
