"""Old addresses and copies on the real site: `vnsearch serve` over HTTP on an index built
from an archive in which files were renamed and copied."""

from __future__ import annotations

import json
import os

import pytest

from helpers import VNSEARCH, http_exchange, serving, write_article
from indexer.build import build

STORM = ("Bão số 3 đổ bộ miền Trung", "Cơn bão số 3 gây mưa lớn ở các tỉnh miền Trung.")


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    root = tmp_path_factory.mktemp("links")
    archive, index = root / "archive", root / "index"
    write_article(archive, "thoi-su/bao.txt", *STORM, date="2024-09-07")
    write_article(archive, "xa-hoi/bao-ban-sao.txt", *STORM)
    write_article(archive, "kinh-te/vang.txt", "Giá vàng tăng mạnh",
                  "Giá vàng trong nước tăng mạnh theo giá thế giới.")
    build(archive, index, jobs=1)
    os.rename(archive / "kinh-te/vang.txt", archive / "kinh-te/gia-vang.txt")
    build(archive, index, jobs=1)
    with serving(index, archive, root / "serve.log") as (port, _):
        yield port


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    return http_exchange(port, path)


def test_a_renamed_articles_old_address_is_a_permanent_redirect_browsers_do_not_keep(port):
    status, headers, _ = get(port, "/article/kinh-te/vang.txt?q=gi%C3%A1+v%C3%A0ng")
    assert status == 301
    assert headers["Location"] == "/article/kinh-te/gia-vang.txt?q=gi%C3%A1+v%C3%A0ng"
    assert headers["Cache-Control"] == "no-store"
    status, _, body = get(port, headers["Location"])
    assert status == 200 and "Giá vàng tăng mạnh" in body.decode()


def test_the_api_follows_a_rename_with_a_redirect_to_the_api(port):
    status, headers, body = get(port, "/api/article/kinh-te/vang.txt")
    assert status == 301
    assert headers["Location"] == "/api/article/kinh-te/gia-vang.txt"
    assert json.loads(body) == {"moved_to": "kinh-te/gia-vang.txt",
                                "url": "/api/article/kinh-te/gia-vang.txt"}
    status, _, body = get(port, headers["Location"])
    assert status == 200 and json.loads(body)["id"] == "kinh-te/gia-vang.txt"


def test_a_duplicate_is_one_search_result(port):
    status, _, body = get(port, "/api/search?q=%22b%C3%A3o+s%E1%BB%91+3%22")
    assert status == 200
    assert [hit["id"] for hit in json.loads(body)["hits"]] == ["thoi-su/bao.txt"]


def test_the_article_page_names_its_copies_and_the_copy_leads_to_it(port):
    status, _, body = get(port, "/article/thoi-su/bao.txt")
    assert status == 200
    page = body.decode()
    assert "Bản sao giống hệt" in page and "<code>xa-hoi/bao-ban-sao.txt</code>" in page
    status, headers, _ = get(port, "/article/xa-hoi/bao-ban-sao.txt")
    assert status == 301 and headers["Location"] == "/article/thoi-su/bao.txt"
    status, _, body = get(port, "/api/article/thoi-su/bao.txt")
    assert json.loads(body)["copies"] == ["xa-hoi/bao-ban-sao.txt"]


@pytest.mark.parametrize("path", [
    "/article/kinh-te/khong-co.txt", "/article/../kinh-te/vang.txt",
    "/article/kinh-te/%2e%2e/kinh-te/vang.txt", "/api/article/kinh-te//vang.txt",
])
def test_unknown_and_path_like_addresses_are_not_found(port, path):
    status, headers, _ = get(port, path)
    assert status == 404 and "Location" not in headers
