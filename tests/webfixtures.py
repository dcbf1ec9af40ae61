"""A small archive of made-up Vietnamese articles, and its index, for the web tests.

Shared by ``test_web.py`` and ``test_web_browser.py`` (they may not use a conftest): the
articles cover what the pages must show — several categories, years, authors and
publishers for facets, enough look-alike bulletins to page through, an undated article, an
article whose title and body try to inject script, and the real seed article of
``archive/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED_ARCHIVE = REPO / "archive"
SEED_ID = "chinh-tri/70-nam-truyen-thong-dang-bo-khoi-cac-co-quan-trung-uong.txt"
XSS_ID = "thu-nghiem/bai-thu-bao-mat.txt"
XSS = "<script>alert(1)</script>"

ARTICLES: dict[str, dict[str, str]] = {
    "kinh-te/gia-lua-gao-tang.txt": {
        "title": "Giá lúa gạo tăng mạnh tại Đồng bằng sông Cửu Long",
        "date": "2024-05-01",
        "author": "Minh Anh",
        "category": "kinh-te",
        "source": "https://example.vn/kinh-te/gia-lua-gao-tang",
        "publisher": "Tuổi Trẻ",
        "tags": "[nông nghiệp, lúa gạo]",
        "body": (
            "Những ngày đầu tháng Năm, giá lúa gạo tại nhiều tỉnh Đồng bằng sông Cửu Long "
            "tăng mạnh so với cùng kỳ năm trước. Nông dân phấn khởi vì vụ lúa đông xuân "
            "được mùa, được giá.\n\n"
            "Theo các thương lái, nhu cầu xuất khẩu gạo tăng cao là nguyên nhân chính. "
            "Nhiều hợp tác xã đã ký hợp đồng bao tiêu sản phẩm cho vụ hè thu sắp tới."
        ),
    },
    "kinh-te/xuat-khau-gao-ky-luc.txt": {
        "title": "Xuất khẩu gạo đạt kỷ lục trong quý đầu năm",
        "date": "2023-04-12",
        "author": "Thu Trang",
        "category": "kinh-te",
        "source": "https://example.vn/kinh-te/xuat-khau-gao",
        "publisher": "VnExpress",
        "body": (
            "Kim ngạch xuất khẩu gạo quý đầu năm đạt mức cao nhất từ trước tới nay. "
            "Các doanh nghiệp cho biết đơn hàng từ châu Á và châu Phi liên tục tăng.\n\n"
            "Giá lúa gạo trong nước vì thế cũng được cải thiện, giúp nông dân có lãi."
        ),
    },
    "xa-hoi/mo-rong-duong-vanh-dai.txt": {
        "title": "Hà Nội mở rộng tuyến đường vành đai",
        "date": "2022-09-03",
        "author": "Minh Anh",
        "category": "xa-hoi",
        "source": "https://example.vn/xa-hoi/duong-vanh-dai",
        "body": (
            "Thành phố Hà Nội khởi công dự án mở rộng tuyến đường vành đai nhằm giảm ùn "
            "tắc giao thông vào giờ cao điểm.\n\n"
            "Người dân hai bên đường bày tỏ đồng tình, mong dự án sớm hoàn thành đúng tiến độ."
        ),
    },
    "xa-hoi/ngu-dan-ra-khoi.txt": {
        "title": "Ngư dân miền Trung vươn khơi bám biển",
        "date": "2021-03-15",
        "author": "Quốc Bảo",
        "category": "xa-hoi",
        "body": (
            "Những con tàu cá của ngư dân miền Trung lại rời cảng, vươn ra đại dương sau "
            "dịp Tết. Mỗi chuyến biển kéo dài nửa tháng.\n\n"
            "Chính quyền địa phương hỗ trợ nhiên liệu và thiết bị liên lạc cho các tàu."
        ),
    },
    "van-hoa/festival-hue.txt": {
        "title": "Festival Huế thu hút đông đảo du khách",
        "date": "2021-06-10",
        "author": "Lan Hương",
        "category": "van-hoa",
        "source": "https://example.vn/van-hoa/festival-hue",
        "publisher": "Tuổi Trẻ",
        "body": (
            "Festival Huế năm nay diễn ra với nhiều chương trình nghệ thuật đặc sắc bên "
            "dòng sông Hương.\n\n"
            "Du khách trong và ngoài nước đến cố đô ngày một đông, khách sạn kín phòng."
        ),
    },
    XSS_ID: {
        "title": f"{XSS} Bài thử nghiệm bảo mật",
        "date": "2020-01-02",
        "author": "Kiểm Thử",
        "category": "thu-nghiem",
        "source": "javascript:alert(1)",
        "body": (
            f"Đoạn mở đầu có chứa {XSS} ngay trong nội dung bài thử nghiệm.\n\n"
            'Một đoạn khác với "><img src=x onerror=alert(2)> để thử thuộc tính.'
        ),
    },
}

BULLETIN_DATES = ["2019-02-01", "2019-08-01", "2020-02-01", "2020-08-01", "2023-02-01",
                  "2023-08-01", "2024-02-01"]
for number, bulletin_date in enumerate(BULLETIN_DATES, start=1):
    ARTICLES[f"nong-nghiep/ban-tin-{number:02d}.txt"] = {
        "title": f"Bản tin nông nghiệp số {number}",
        "date": bulletin_date,
        "author": "Ban Nông nghiệp",
        "category": "nong-nghiep",
        "body": (
            f"Bản tin số {number} điểm lại tình hình sản xuất lúa gạo và thời tiết trong "
            "tháng.\n\nBà con nông dân chú ý lịch thời vụ và phòng trừ sâu bệnh cho lúa."
        ),
    }


def article_text(meta: dict[str, str]) -> str:
    front = [f"{key}: {_yaml(value) if key != 'tags' else value}"
             for key, value in meta.items() if key != "body"]
    return "---\n" + "\n".join(front) + "\n---\n" + meta["body"] + "\n"


def _yaml(value: str) -> str:
    """Quote front matter values so YAML reads them as text (dates stay plain)."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_archive(archive: Path) -> Path:
    """The test archive: the seed article of the repository plus ``ARTICLES`` (not the rest
    of the shipped archive, whose articles would change every count these tests expect)."""
    seed = archive / SEED_ID
    seed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEED_ARCHIVE / SEED_ID, seed)
    for article_id, meta in ARTICLES.items():
        path = archive / article_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_text(meta), encoding="utf-8")
    return archive


def build_index(root: Path) -> tuple[Path, Path]:
    """(archive, index) under ``root``, the index built in this process."""
    from indexer.build import build

    archive = write_archive(root / "archive")
    index = root / "index"
    report = build(archive, index, jobs=1)
    assert not report.rejected, report.rejected
    return archive, index
