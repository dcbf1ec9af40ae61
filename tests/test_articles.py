"""Reading, validating and scanning archive files (indexer.articles, indexer.boilerplate)."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
import unicodedata
from pathlib import Path

import pytest

from indexer.articles import (
    ArchiveFile,
    ArticleError,
    clean_text,
    read_article,
    scan_archive,
)
from indexer.boilerplate import (
    glued_byline, is_chrome, is_related_headline, strip_boilerplate, trim_trailing,
)

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "archive" / "chinh-tri" / "70-nam-truyen-thong-dang-bo-khoi-cac-co-quan-trung-uong.txt"

TITLE = "Nông dân Đồng Tháp trúng mùa xoài"
BODY = (
    "Năm nay, nhờ thời tiết thuận lợi, nhiều hộ nông dân ở huyện Cao Lãnh thu hoạch xoài "
    "sớm hơn mọi năm.\n\nGiá xoài cát Hòa Lộc được thương lái thu mua ở mức cao, người "
    "trồng phấn khởi."
)
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def entry(root: Path, rel: str) -> ArchiveFile:
    path = root / rel
    info = path.stat()
    return ArchiveFile(unicodedata.normalize("NFC", rel), str(path), info.st_size,
                       info.st_mtime)


def read(root: Path, rel: str, content: str | bytes, **kwargs):
    write(root, rel, content)
    return read_article(root, entry(root, rel), **kwargs)


def reject(root: Path, rel: str, content: str | bytes, **kwargs) -> str:
    with pytest.raises(ArticleError) as info:
        read(root, rel, content, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{unicodedata.normalize('NFC', rel)}: ")
    return info.value.reason


def cp1258(text: str) -> bytes:
    """Windows-1258 has precomposed â/ê/ô/ơ/ư/ă but separate tone marks."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in marks if c not in TONES))
            out += base.encode("cp1258") + "".join(c for c in marks if c in TONES).encode("cp1258")
    return bytes(out)


# --------------------------------------------------------------------------- plain text


def test_plain_text_first_line_is_title(tmp_path):
    article = read(tmp_path, "kinh-te/xoai.txt", f"\n\n  {TITLE}  \n\n{BODY}\n")
    assert article.title == TITLE
    assert article.body == BODY
    assert article.category == "kinh-te"
    assert (article.date, article.author, article.source_url, article.tags) == (None, None, None, ())


def test_file_in_root_has_no_category(tmp_path):
    assert read(tmp_path, "xoai.txt", f"{TITLE}\n{BODY}").category is None


def test_checksum_size_and_mtime_describe_the_raw_file(tmp_path):
    raw = f"{TITLE}\r\n\r\n{BODY}".encode("utf-8")
    article = read(tmp_path, "a.txt", raw)
    assert article.checksum == hashlib.sha256(raw).hexdigest()
    assert article.size == len(raw)
    assert article.mtime == (tmp_path / "a.txt").stat().st_mtime


def test_whitespace_is_tidied(tmp_path):
    messy = (
        f"{TITLE}\r\n\r\n\r\n\r\n  Đoạn\u00a0\u00a0một\tcó   nhiều\u200b khoảng trắng.  \r\n"
        "\r\n \t \r\nĐoạn hai &amp; &quot;trích dẫn&quot;.\r"
    )
    article = read(tmp_path, "a.txt", messy)
    assert article.body == 'Đoạn một có nhiều khoảng trắng.\n\nĐoạn hai & "trích dẫn".'


def test_clean_text_rules():
    assert clean_text("a\u00a0\u00a0b\u200b c") == "a b c"
    assert clean_text("x\r\ny\rz") == "x\ny\nz"
    assert clean_text("\n\n p1 \n\n\n\n p2 \n") == "p1\n\np2"
    assert clean_text("R&amp;D &lt;b&gt; &#273;") == "R&D <b> đ"
    assert clean_text("Vie\u0302\u0323t") == "Việt"


def test_nfd_and_mixed_content_becomes_nfc(tmp_path):
    nfd_title = unicodedata.normalize("NFD", TITLE)
    article = read(tmp_path, "a.txt", f"{nfd_title}\n\n{BODY}")
    assert article.title == TITLE
    assert unicodedata.is_normalized("NFC", article.body)


def test_many_short_lines(tmp_path):
    lines = "\n".join(f"dòng {n}" for n in range(100_000))
    started = time.perf_counter()
    article = read(tmp_path, "dai.txt", lines)
    assert time.perf_counter() - started < 10
    assert article.title == "dòng 0"
    assert article.body.endswith("dòng 99999")
    assert article.body.count("\n") == 99_998


# --------------------------------------------------------------------------- rejections


def test_empty_and_whitespace_only_files_are_rejected(tmp_path):
    assert "empty file" in reject(tmp_path, "rong.txt", b"")
    assert "empty file" in reject(tmp_path, "trang.txt", " \n\t\r\n\u00a0\n")


def test_one_line_file_has_no_body(tmp_path):
    assert "no body" in reject(tmp_path, "mot-dong.txt", TITLE + "\n")


def test_front_matter_without_any_text_has_no_title(tmp_path):
    assert "no title" in reject(tmp_path, "a.txt", "---\nauthor: Lan\n---\n\n")


def test_front_matter_title_without_body_has_no_body(tmp_path):
    assert "no body" in reject(tmp_path, "a.txt", f"---\ntitle: {TITLE}\n---\n")


def test_oversized_file_names_size_and_limit(tmp_path):
    reason = reject(tmp_path, "lon.txt", f"{TITLE}\n{BODY}", max_bytes=100)
    size = len(f"{TITLE}\n{BODY}".encode())
    assert f"{size:,} bytes" in reason and "100 bytes" in reason


def test_huge_file_rejected_before_reading(tmp_path):
    path = tmp_path / "khong-lo.txt"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk, and NUL bytes would fail anyway
    started = time.perf_counter()
    with pytest.raises(ArticleError, match="52,428,800 bytes, over the limit of 5,242,880"):
        read_article(tmp_path, entry(tmp_path, "khong-lo.txt"))
    assert time.perf_counter() - started < 1


def test_unreadable_file(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: root can read a file without read permission")
    path = write(tmp_path, "khoa.txt", f"{TITLE}\n{BODY}")
    path.chmod(0)
    with pytest.raises(ArticleError, match="permission denied"):
        read_article(tmp_path, entry(tmp_path, "khoa.txt"))


def test_file_deleted_after_scan(tmp_path):
    write(tmp_path, "a.txt", f"{TITLE}\n{BODY}")
    file = entry(tmp_path, "a.txt")
    (tmp_path / "a.txt").unlink()
    with pytest.raises(ArticleError, match="disappeared"):
        read_article(tmp_path, file)


def test_binary_content_is_rejected(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4
    assert "binary content" in reject(tmp_path, "anh.txt", png)
    controls = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17]) * 50 + b"abc"
    assert "mostly control bytes" in reject(tmp_path, "dieu-khien.txt", controls)


def test_article_error_message_and_pickling():
    err = ArticleError("thoi-su/a.txt", "no body")
    assert (str(err), err.id, err.reason) == ("thoi-su/a.txt: no body", "thoi-su/a.txt", "no body")
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.id, copy.reason) == (str(err), err.id, err.reason)


# --------------------------------------------------------------------------- encodings


def test_utf8_with_bom(tmp_path):
    article = read(tmp_path, "a.txt", b"\xef\xbb\xbf" + f"{TITLE}\n{BODY}".encode())
    assert article.title == TITLE


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path, codec):
    text = f"{TITLE}\r\n{BODY}"
    raw = text.encode("utf-16") if codec == "utf-16" else "\ufeff".encode(codec) + text.encode(codec)
    article = read(tmp_path, "a.txt", raw)
    assert (article.title, article.body) == (TITLE, BODY)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_rejected(tmp_path, codec):
    reason = reject(tmp_path, "a.txt", f"{TITLE}\n{BODY}".encode(codec))
    assert "UTF-16 without a byte-order mark" in reason


def test_windows_1258_is_decoded(tmp_path):
    article = read(tmp_path, "cu.txt", cp1258(f"{TITLE}\r\n{BODY}"))
    assert (article.title, article.body) == (TITLE, BODY)


def test_invalid_utf8_in_the_middle_names_the_line(tmp_path):
    raw = f"{TITLE}\n{BODY}\n".encode() + b"D\xf2ng h\xf4ng\n" + "Đoạn cuối.\n".encode()
    reason = reject(tmp_path, "hong.txt", raw)
    assert "invalid UTF-8 at line 5" in reason


def test_invalid_utf8_after_bom_names_the_line(tmp_path):
    raw = b"\xef\xbb\xbf" + f"{TITLE}\n".encode() + b"x\xff\n"
    assert "invalid UTF-8 at line 2" in reject(tmp_path, "a.txt", raw)


def test_other_legacy_encodings_are_unsupported(tmp_path):
    russian = "Новости\nЭто обычный текст статьи на русском языке.".encode("cp1251")
    assert "unsupported encoding" in reject(tmp_path, "nga.txt", russian)


# --------------------------------------------------------------------------- front matter

FULL_FRONT_MATTER = f"""---
title: "Khánh thành cầu Cần Thơ"
date: 2010-04-24T09:15:00+07:00
author: Trần Minh
category: Giao thông
source: https://example.vn/cau-can-tho.html
tags: [cầu, Cần Thơ, giao thông]
publisher: Báo Mẫu
ghi_chu: bất kỳ
---
{BODY}
"""


def test_front_matter_all_keys(tmp_path):
    article = read(tmp_path, "thoi-su/cau.txt", FULL_FRONT_MATTER)
    assert article.title == "Khánh thành cầu Cần Thơ"
    assert article.body == BODY
    assert article.date == "2010-04-24"
    assert article.author == "Trần Minh"
    assert article.category == "Giao thông"
    assert article.source_url == "https://example.vn/cau-can-tho.html"
    assert article.tags == ("cầu", "Cần Thơ", "giao thông")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-31", "2024-05-31"),
        ('"2024-05-31"', "2024-05-31"),
        ("2024-05-31T23:30:00Z", "2024-05-31"),
        ('"2024-05-31T23:30:00+07:00"', "2024-05-31"),
        ("2024-05-31 08:00:00", "2024-05-31"),
    ],
)
def test_front_matter_dates(tmp_path, value, expected):
    article = read(tmp_path, "a.txt", f"---\ndate: {value}\n---\n{TITLE}\n{BODY}")
    assert article.date == expected


def test_front_matter_with_windows_line_ends(tmp_path):
    text = f"---\r\ntitle: {TITLE}\r\ndate: 2024-02-30\r\n---\r\n{BODY}".replace("\n\n", "\r\n\r\n")
    assert "'date' on line 3" in reject(tmp_path, "a.txt", text)
    article = read(tmp_path, "b.txt", text.replace("2024-02-30", "2024-02-29"))
    assert (article.title, article.body, article.date) == (TITLE, BODY, "2024-02-29")


def test_comma_separated_tags(tmp_path):
    article = read(tmp_path, "a.txt", f"---\ntags: kinh tế,  xoài , ,Đồng Tháp\n---\n{TITLE}\n{BODY}")
    assert article.tags == ("kinh tế", "xoài", "Đồng Tháp")


def test_front_matter_without_title_uses_first_line(tmp_path):
    article = read(tmp_path, "a.txt", f"---\nauthor: Lan Anh\n---\n\n{TITLE}\n\n{BODY}")
    assert (article.title, article.body, article.author) == (TITLE, BODY, "Lan Anh")


def test_unclosed_front_matter(tmp_path):
    reason = reject(tmp_path, "a.txt", f"---\ntitle: {TITLE}\n\n{BODY}\n")
    assert "line 1" in reason and "never closed" in reason


def test_yaml_syntax_error_names_the_file_line(tmp_path):
    text = f"---\ntitle: {TITLE}\nauthor: [Lan, Anh\ndate: 2024-01-01\n---\n{BODY}\n"
    reason = reject(tmp_path, "a.txt", text)
    assert "YAML syntax error on line 4" in reason


def test_bad_date_names_line_and_format(tmp_path):
    reason = reject(tmp_path, "a.txt", f"---\ntitle: {TITLE}\n\ndate: tomorrow\n---\n{BODY}")
    assert "'date' on line 4" in reason
    assert "YYYY-MM-DD" in reason and "ISO 8601" in reason and "tomorrow" in reason


def test_tags_of_wrong_type(tmp_path):
    reason = reject(tmp_path, "a.txt", f"---\ntags:\n  chu_de: xoài\n---\n{TITLE}\n{BODY}")
    assert "'tags' on line 2" in reason and "a mapping" in reason


def test_title_of_wrong_type(tmp_path):
    reason = reject(tmp_path, "a.txt", f"---\ndate: 2024-01-02\ntitle: [a, b]\n---\n{BODY}")
    assert "'title' on line 3 must be text" in reason and "a list" in reason


def test_front_matter_that_is_not_key_value(tmp_path):
    assert "key: value" in reject(tmp_path, "a.txt", f"---\n- mot\n- hai\n---\n{TITLE}\n{BODY}")


# --------------------------------------------------------------------------- markdown

MARKDOWN = """---
tags: ghi chép
---
# Hội An *về đêm*

Phố cổ **lung linh** ánh đèn lồng, xem [bản đồ](https://example.vn/ban-do) để đi bộ.

- Chùa Cầu
- Nhà cổ `Tấn Ký`

> Một câu trích dẫn.

```
mã_nguồn = 1
```

<div class="quang-cao"><script>alert("x")</script></div>
"""


def test_markdown_markup_is_removed(tmp_path):
    article = read(tmp_path, "du-lich/hoi-an.md", MARKDOWN)
    assert article.title == "Hội An về đêm"
    assert article.tags == ("ghi chép",)
    assert article.body == (
        "Phố cổ lung linh ánh đèn lồng, xem bản đồ để đi bộ.\n\nChùa Cầu\n\n"
        "Nhà cổ Tấn Ký\n\nMột câu trích dẫn.\n\nmã_nguồn = 1"
    )


def test_markdown_front_matter_title_wins(tmp_path):
    article = read(tmp_path, "a.md", f"---\ntitle: {TITLE}\n---\n## Phần một\n\n{BODY}")
    assert article.title == TITLE
    assert article.body.startswith("Phần một\n\nNăm nay")


# --------------------------------------------------------------------------- html

PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Hà Nội mở rộng phố đi bộ quanh hồ Gươm</title>
<meta name="author" content="Nguyễn Văn An">
<meta name="keywords" content="phố cổ, đi bộ">
<meta property="article:published_time" content="2023-04-15T08:30:00+07:00">
<link rel="canonical" href="https://example.vn/pho-di-bo.html">
<script>var theoDoi = "MA_THEO_DOI";</script>
</head><body>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự MENU_DIEU_HUONG</a></li></ul></nav>
<iframe src="https://ads.example/x">KHUNG_QUANG_CAO</iframe>
<article>
<h1>Hà Nội mở rộng phố đi bộ quanh hồ Gươm</h1>
<p>Từ tháng năm, thành phố sẽ mở rộng không gian đi bộ sang các tuyến phố cổ lân cận,
nhằm tạo thêm chỗ vui chơi cho người dân và du khách vào cuối tuần.</p>
<p>Theo sở văn hóa, các hoạt động nghệ thuật truyền thống như ca trù, chèo và múa rối nước
sẽ được tổ chức thường xuyên hơn tại khu vực này trong suốt mùa hè năm nay.</p>
<p>Người dân bày tỏ sự hào hứng và mong muốn chương trình được duy trì lâu dài.</p>
</article>
<footer>Bản quyền CHAN_TRANG</footer>
<script>document.write("MA_CUOI_TRANG")</script>
</body></html>
"""


@pytest.mark.parametrize("name", ["thoi-su/pho-di-bo.html", "thoi-su/pho-di-bo.htm"])
def test_html_main_text_and_metadata(tmp_path, name):
    article = read(tmp_path, name, PAGE)
    assert article.title == "Hà Nội mở rộng phố đi bộ quanh hồ Gươm"
    assert article.body.startswith("Từ tháng năm, thành phố")
    assert article.body.count("\n\n") == 2
    assert article.date == "2023-04-15"
    assert article.author == "Nguyễn Văn An"
    assert article.source_url == "https://example.vn/pho-di-bo.html"
    assert article.tags == ("phố cổ", "đi bộ")
    assert article.category == "thoi-su"
    for junk in ("MA_THEO_DOI", "MENU_DIEU_HUONG", "KHUNG_QUANG_CAO", "CHAN_TRANG", "MA_CUOI_TRANG"):
        assert junk not in article.body


def test_html_page_without_article_text(tmp_path):
    page = (
        "<html><head><title>Chỉ có tiêu đề</title></head><body><nav><a href='/'>Trang chủ</a>"
        "<a href='/the-thao'>Thể thao</a></nav><script>theoDoi()</script></body></html>"
    )
    assert "no article text" in reject(tmp_path, "trong.html", page)


def test_html_in_windows_1258(tmp_path):
    page = PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1258">')
    article = read(tmp_path, "a.html", cp1258(page))
    assert article.title == "Hà Nội mở rộng phố đi bộ quanh hồ Gươm"


# --------------------------------------------------------------------------- boilerplate


def test_seed_article_loses_chrome_and_gains_author(tmp_path):
    raw = SEED.read_bytes()
    article = read(tmp_path, "chinh-tri/bai.txt", raw)
    assert article.title == "70 năm truyền thống Đảng bộ Khối các cơ quan Trung ương"
    assert article.author == "Quỳnh Hoa"
    assert article.category == "chinh-tri"
    assert article.body.endswith("nhiệm vụ chính trị phải hoàn thành.")
    for chrome in ("Phản hồi", "Các tin khác", "Mới nhất", "Xem nhiều nhất"):
        assert chrome not in article.body
    assert "\n\n\n" not in article.body
    assert article.checksum == hashlib.sha256(raw).hexdigest()


def test_front_matter_publisher_is_read(tmp_path):
    text = f"---\npublisher: Tuổi Trẻ\nsource: https://tuoitre.vn/a.htm\n---\n{TITLE}\n{BODY}"
    article = read(tmp_path, "a.txt", text)
    assert (article.publisher, article.source_url) == ("Tuổi Trẻ", "https://tuoitre.vn/a.htm")
    assert read(tmp_path, "b.txt", f"{TITLE}\n{BODY}").publisher is None


def test_front_matter_author_wins_over_byline(tmp_path):
    text = f"---\nauthor: Lan Anh\n---\n{TITLE}\n{BODY}\n\nQuỳnh HoaPhản hồi\nMới nhất"
    article = read(tmp_path, "a.txt", text)
    assert article.author == "Lan Anh"
    assert article.body == BODY


def test_only_trailing_chrome_is_removed():
    body = "Mới nhất\n\nTin mới nhất về bão số 3 được cập nhật liên tục.\n\nBình luận (12)\n\n» Tin liên quan:\nChia sẻ: Facebook | Twitter"
    assert strip_boilerplate(body) == ("Mới nhất\n\nTin mới nhất về bão số 3 được cập nhật liên tục.", None)


def test_prose_ending_in_a_label_word_stays():
    body = "Người dân vẫn đang chờ cơ quan chức năng phản hồi\n\nChúng tôi sẽ tiếp tục đưa tin mới nhất"
    assert strip_boilerplate(body) == (body, None)


def test_label_matching_ignores_case_and_decoration():
    assert is_chrome("XEM NHIỀU NHẤT")
    assert is_chrome("  • Đọc nhiều nhất  ")
    assert is_chrome("Gửi bài viết qua email")
    assert not is_chrome("Mới nhất là phiên bản này")
    assert glued_byline("Nguyễn Văn AnBình luận") == "Nguyễn Văn An"
    assert glued_byline("cả nước đang chờ phản hồi") is None


def test_related_headlines_ending_an_article_are_not_its_text(tmp_path):
    related = ("Xuất khẩu xoài sang Mỹ tăng mạnh(22/11/2005)\n\n"
               "Nông dân Tiền Giang lo giá xoài giảm?(21/11/2005)\n\n"
               "Xoài cát Hòa Lộc được cấp chỉ dẫn địa lý(19/11)\n\nXem tiếp")
    article = read(tmp_path, "a.txt", f"{TITLE}\n{BODY}\n\nMinh Châu\n\n{related}")
    assert article.body == f"{BODY}\n\nMinh Châu"


def test_headline_list_in_the_middle_of_an_article_stays():
    body = f"{BODY}\n\nXuất khẩu xoài sang Mỹ tăng mạnh(22/11/2005)\n\nXem tiếp\n\n{BODY}"
    assert strip_boilerplate(body) == (body, None)


def test_dates_written_apart_from_the_text_are_not_headlines():
    # A fixture list ends the article: real text, with the date set off by a space.
    body = f"{BODY}\n\nLịch thi đấu:\n\nBán kết (14/8)\n\nChung kết (21/8)"
    assert strip_boilerplate(body) == (body, None)
    assert not is_related_headline("Hội nghị khai mạc sáng nay (22/11/2005).")
    assert not is_related_headline("(22/11/2005)")
    assert is_related_headline("Giá vàng tăng(22/11/2005)")


POLL = (
    "Kết quả bình chọn của bạn đọc (đến 9h ngày 2/3)\n\n"
    "Theo bạn, đội nào sẽ vô địch?\n\n"
    "Việt Nam\n\n52,5%\n\n1.250 phiếu\n\n"
    "Thái Lan\n\n30,0%\n\n714 phiếu\n\n"
    "Đội khác\n\n17,5%\n\n416 phiếu\n\n"
    "Tổng cộng: 2.380 phiếu"
)


def test_reader_poll_ending_an_article_is_removed_with_its_question():
    lead = "Phần lớn độc giả dự đoán đội tuyển Việt Nam sẽ vào chung kết."
    body = f"{BODY}\n\n{lead}\n\n{POLL}\n\nGiá vàng tăng(22/11/2005)"
    trimmed = trim_trailing(body)
    assert trimmed.body == f"{BODY}\n\n{lead}"
    assert [rule for rule, _ in trimmed.removed] == ["related"] + ["poll"] * 12
    assert trimmed.removed[1] == ("poll", "Tổng cộng: 2.380 phiếu")
    assert trimmed.removed[-1] == ("poll", "Kết quả bình chọn của bạn đọc (đến 9h ngày 2/3)")


def test_poll_shares_without_votes_and_a_note_under_the_total_are_removed():
    poll = ("Bạn có mua vàng trong tháng này không?\n\nCó\n\n38.5%\n\n"
            "Không\n\n61.5%\n\nTổng cộng: 640 phiếu\n\n(Khảo sát từ 1/4 đến 10/4)")
    assert strip_boilerplate(f"{BODY}\n\n{poll}") == (BODY, None)


def test_a_poll_in_the_middle_and_a_table_of_shares_stay():
    middle = f"{BODY}\n\n{POLL}\n\nTheo chuyên gia, kết quả này phản ánh kỳ vọng của người hâm mộ."
    assert strip_boilerplate(middle) == (middle, None)
    # Shares without a poll total are a table of figures, which is article text.
    table = f"{BODY}\n\nThị phần ôtô tháng 5:\n\nToyota\n\n41,8%\n\nFord\n\n11%"
    assert strip_boilerplate(table) == (table, None)


# --------------------------------------------------------------------------- scanning


def test_scan_walks_nested_folders_in_id_order(tmp_path):
    for rel in ("b.txt", "a/z/y/sâu.md", "a/bài 1.TXT", "c/trang.html", "c/cũ.htm"):
        write(tmp_path, rel, f"{TITLE}\n{BODY}")
    scan = scan_archive(tmp_path)
    ids = [f.id for f in scan.files]
    assert ids == sorted(ids) == ["a/bài 1.TXT", "a/z/y/sâu.md", "b.txt", "c/cũ.htm", "c/trang.html"]
    assert (scan.skipped, scan.rejected) == (0, [])
    first = scan.files[0]
    assert first.abspath == tmp_path / "a" / "bài 1.TXT"
    assert first.size == (tmp_path / "a" / "bài 1.TXT").stat().st_size
    assert read_article(tmp_path, first).title == TITLE


def test_scan_skips_and_counts_hidden_backup_and_other_files(tmp_path):
    write(tmp_path, "ok.txt", "x")
    for rel in (".an.txt", ".git/config.txt", "bai.txt~", ".bai.txt.swp", "bai.txt.swo",
                "#bai.txt#", "anh.jpg", "tai-lieu.pdf", "README"):
        write(tmp_path, rel, "x")
    scan = scan_archive(tmp_path)
    assert [f.id for f in scan.files] == ["ok.txt"]
    assert scan.skipped == 9
    assert scan.rejected == []


def test_nfd_file_name_gets_nfc_id(tmp_path):
    nfd = unicodedata.normalize("NFD", "thời-sự/Việt Nam.txt")
    write(tmp_path, nfd, f"{TITLE}\n{BODY}")
    [file] = scan_archive(tmp_path).files
    assert file.id == "thời-sự/Việt Nam.txt"
    assert file.abspath.name == unicodedata.normalize("NFD", "Việt Nam.txt")
    article = read_article(tmp_path, file)
    assert (article.id, article.category) == ("thời-sự/Việt Nam.txt", "thời-sự")


def test_names_equal_after_nfc_are_rejected(tmp_path):
    """Only those: the other files stay, in id order."""
    write(tmp_path, "Việt.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, unicodedata.normalize("NFD", "Việt.txt"), f"{TITLE}\n{BODY}")
    write(tmp_path, "b/khác.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, "a.txt", f"{TITLE}\n{BODY}")
    scan = scan_archive(tmp_path)
    assert [file.id for file in scan.files] == ["a.txt", "b/khác.txt"]
    [err] = scan.rejected
    assert err.id == "Việt.txt" and "Unicode" in err.reason


def test_symlinks(tmp_path):
    root = tmp_path / "archive"
    write(root, "that/bai.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, "ngoai.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, "ngoai/bai-an.txt", f"{TITLE}\n{BODY}")
    (root / "lien-ket.txt").symlink_to(root / "that" / "bai.txt")
    (root / "ra-ngoai.txt").symlink_to(tmp_path / "ngoai.txt")
    (root / "hong.txt").symlink_to(root / "khong-co.txt")
    (root / "vong-a.txt").symlink_to(root / "vong-b.txt")
    (root / "vong-b.txt").symlink_to(root / "vong-a.txt")
    (root / "thu-muc").symlink_to(tmp_path / "ngoai", target_is_directory=True)
    scan = scan_archive(root)
    assert [f.id for f in scan.files] == ["lien-ket.txt", "that/bai.txt"]
    assert read_article(root, scan.files[0]).title == TITLE
    reasons = {err.id: err.reason for err in scan.rejected}
    assert "outside the archive" in reasons["ra-ngoai.txt"]
    assert "broken symbolic link" in reasons["hong.txt"]
    assert "loop" in reasons["vong-a.txt"] and "loop" in reasons["vong-b.txt"]
    assert "folder" in reasons["thu-muc"] and "not followed" in reasons["thu-muc"]
    assert set(reasons) == {"ra-ngoai.txt", "hong.txt", "vong-a.txt", "vong-b.txt", "thu-muc"}


def test_unreadable_folder_is_rejected(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: root can list a folder without read permission")
    write(tmp_path, "kin/a.txt", "x")
    (tmp_path / "kin").chmod(0)
    try:
        scan = scan_archive(tmp_path)
    finally:
        (tmp_path / "kin").chmod(0o755)
    [err] = scan.rejected
    assert err.id == "kin" and "permission denied" in err.reason


def test_seed_archive_scans_clean():
    scan = scan_archive(REPO / "archive")
    assert "chinh-tri/70-nam-truyen-thong-dang-bo-khoi-cac-co-quan-trung-uong.txt" in {
        f.id for f in scan.files
    }
