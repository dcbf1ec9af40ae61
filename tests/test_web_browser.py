"""The real site in headless Chromium: `vnsearch serve` as a subprocess on a temporary index.

Covers what the test client cannot: the production server starting from the CLI, typing
into the search box and pressing Enter, links followed by a browser, the CSP letting our
own script and stylesheet through, and the layout at desktop and phone widths (screenshots
in ``test-artifacts/`` for people to look at). The librarian's side runs `serve --watch`
on an archive with a duplicate, a rejected file and a file renamed while the site runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import free_port, serving, write_plain
from webfixtures import ARTICLES, REPO, SEED_ID, article_text, build_index

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VNSEARCH = REPO / ".venv" / "bin" / "vnsearch"
ARTIFACTS = REPO / "test-artifacts"
START_TIMEOUT = 60.0

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install -y chromium)",
)


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"vnsearch serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"vnsearch serve did not answer /healthz in {START_TIMEOUT:.0f} s:\n"
                f"{log.read_text()}")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    archive, index = build_index(root)
    port = free_port()
    log = root / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(VNSEARCH), "serve", "--index", str(index), "--archive", str(archive),
             "--port", str(port), "--workers", "1"],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "VNSEARCH_CONFIG": ""},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        assert f"Serving on http://127.0.0.1:{port}/" in log.read_text()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda err: problems.append(str(err)))
    tab.problems = problems
    yield tab
    context.close()


def search_from(tab, box: str, query: str) -> None:
    tab.fill(box, query)
    with tab.expect_navigation():
        tab.press(box, "Enter")


def test_search_facet_article_and_back(base_url, page):
    page.goto(base_url + "/")
    assert page.locator("#q").evaluate("el => el === document.activeElement")
    search_from(page, "#q", "lúa gạo")
    assert "/search?q=" in page.url
    assert "Tìm thấy 9 kết quả" in page.locator("[aria-live=polite]").inner_text()
    assert page.locator(".hit__title mark").first.inner_text().lower() == "lúa gạo"

    search_from(page, "#header-q", "dang bo khoi")
    assert page.locator(".hit__title mark").all_inner_texts() == ["Đảng bộ Khối"]
    assert page.locator(".hit__snippet mark").first.inner_text() == "Đảng bộ Khối"

    search_from(page, "#header-q", "lua gao")
    with page.expect_navigation():
        page.get_by_role("link", name="Nông nghiệp 7", exact=True).click()
    assert "category=N%C3%B4ng+nghi%E1%BB%87p" in page.url
    assert "Tìm thấy 7 kết quả" in page.locator("[aria-live=polite]").inner_text()
    assert {t.lower() for t in page.locator(".hit__category").all_inner_texts()} == {"nông nghiệp"}
    assert page.locator(".chip").count() == 1
    results_url = page.url

    with page.expect_navigation():
        page.locator(".hit__title a").first.click()
    assert "/article/nong-nghiep/" in page.url
    assert page.locator(".article__body mark").count() >= 2
    assert {t.lower() for t in page.locator(".article__body mark").all_inner_texts()} >= {"lúa gạo"}

    page.go_back()
    assert page.url == results_url
    assert page.locator(".hit").count() == 7
    assert page.problems == []


def test_slash_key_focuses_the_search_box(base_url, page):
    page.goto(f"{base_url}/article/{SEED_ID}")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    assert page.locator("#header-q").evaluate("el => el === document.activeElement")
    assert page.problems == []


def test_keyboard_focus_is_visible(base_url, page):
    page.goto(base_url + "/search?q=lúa+gạo")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


FOCUSED = ("(() => { const el = document.activeElement;"
           " return [el.className, el.textContent.trim().replace(/\\s+/g, ' ')]; })()")


def tab_until(tab, wanted: str, limit: int = 80) -> list[list[str]]:
    """Press Tab until an element of class ``wanted`` has focus; what had focus on the way."""
    seen = []
    for _ in range(limit):
        tab.keyboard.press("Tab")
        seen.append(tab.evaluate(FOCUSED))
        if seen[-1][0] == wanted:
            return seen
    raise AssertionError(f"no {wanted} within {limit} presses of Tab: {seen}")


def test_facets_are_reached_by_keyboard_before_the_results(base_url, page):
    page.goto(base_url + "/search?q=lúa+gạo")
    page.locator("#header-q").focus()
    order = [cls for cls, _ in tab_until(page, "")]  # the first hit's title link has no class
    assert "facets__skip" in order and "facet__link" in order
    assert order.index("facets__skip") < order.index("facet__link")
    assert "pagination__page" not in order  # facets before the results, not after them
    # The way past them: the skip link (shown when it has focus) leads to the results.
    page.goto(base_url + "/search?q=lúa+gạo")
    page.locator("#header-q").focus()
    tab_until(page, "facets__skip")
    assert page.locator(".facets__skip").is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.hit__title') !== null")
    assert page.problems == []


@pytest.mark.parametrize("width", [1280, 390])
def test_facets_stand_beside_the_results_on_a_desktop_and_above_them_on_a_phone(
        base_url, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    tab = context.new_page()
    try:
        tab.goto(base_url + "/search?q=lúa+gạo")
        head, facets, hits = (tab.locator(sel).bounding_box()
                              for sel in (".results-head", ".facets", ".hits"))
    finally:
        context.close()
    if width > 860:
        assert facets["x"] + facets["width"] <= hits["x"]  # a column on the left
        assert abs(facets["y"] - head["y"]) < 5  # from the top, beside the count
    else:
        assert head["y"] + head["height"] <= facets["y"] < hits["y"]
        assert facets["height"] < 420  # rows that scroll sideways, not a long column


@pytest.mark.parametrize("name,width,height", [("desktop", 1280, 800), ("phone", 390, 844)])
def test_screenshots_of_results_and_article(base_url, browser, name, width, height):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1 if name == "desktop" else 2)
    tab = context.new_page()
    try:
        tab.goto(base_url + "/search?q=lúa+gạo&per_page=4")
        assert tab.locator("mark").count() > 0
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page scrolls sideways by {overflow}px at {width}px"
        tab.screenshot(path=str(ARTIFACTS / f"results-{name}.png"))
        tab.screenshot(path=str(ARTIFACTS / f"results-{name}-full.png"), full_page=True)
        tab.goto(f"{base_url}/article/{SEED_ID}?q=dang+bo+khoi")
        tab.screenshot(path=str(ARTIFACTS / f"article-{name}.png"))
        tab.goto(base_url + "/")
        tab.screenshot(path=str(ARTIFACTS / f"home-{name}.png"))
        tab.goto(base_url + "/search?q=zzzxq&category=kinh-te")
        tab.screenshot(path=str(ARTIFACTS / f"empty-{name}.png"))
    finally:
        context.close()
    assert (ARTIFACTS / f"results-{name}.png").stat().st_size > 10_000


# --------------------------------------------------------------------------- the librarian's side

RICE_ID = "kinh-te/gia-lua-gao-tang.txt"
RICE_COPY = "luu-tru/ban-sao-cua-thu-vien-tinh/gia-lua-gao-tang-dong-bang-song-cuu-long-2024.txt"
FESTIVAL_ID = "van-hoa/festival-hue.txt"
FESTIVAL_NEW = "van-hoa/le-hoi/festival-hue-2021.txt"
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def watched_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`vnsearch serve --watch` over the test archive plus a copy of an article (under a
    long path, as shared folders have) and two files that are rejected."""
    root = tmp_path_factory.mktemp("librarian")
    archive, index = build_index(root)
    write_plain(archive, RICE_COPY, article_text(ARTICLES[RICE_ID]))
    write_plain(archive, "hong/rong.txt", "")
    write_plain(archive, "hong/tab\there.txt", "Tiêu đề\n\nNội dung.\n")
    with serving(index, archive, root / "serve.log", "--watch") as (port, _):
        url = f"http://127.0.0.1:{port}"
        _until(lambda: _status(url + "/article/" + RICE_COPY) == 301, "the copy folded")
        yield url, archive


def _status(url: str) -> int:
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(Keep).open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _until(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {seconds:g} s")
        time.sleep(0.2)


def _no_sideways_scrolling(tab) -> None:
    overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px"


def test_librarian_page_shows_the_watcher_runs_and_rejections(watched_site, browser):
    url, _ = watched_site
    ARTIFACTS.mkdir(exist_ok=True)
    for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, locale="vi-VN")
        tab = context.new_page()
        try:
            tab.goto(url + "/quan-tri")
            assert tab.locator("h1").inner_text() == "Quản trị kho lưu trữ"
            assert "Đang theo dõi kho" in tab.locator(".watch").inner_text()
            rows = tab.locator(".rejected tbody tr").all_inner_texts()
            assert any(row.startswith("hong/rong.txt") and "empty file" in row for row in rows)
            assert any(row.startswith("hong/tab\\there.txt") for row in rows), rows
            assert RICE_COPY in tab.locator(".groups").inner_text()
            _no_sideways_scrolling(tab)
            tab.screenshot(path=str(ARTIFACTS / f"librarian-{name}.png"), full_page=True)
        finally:
            context.close()


def test_a_duplicate_is_one_result_and_its_copy_is_named_on_the_article(watched_site, page):
    url, _ = watched_site
    page.goto(url + "/search?q=gi%C3%A1+l%C3%BAa+g%E1%BA%A1o+t%C4%83ng+m%E1%BA%A1nh")
    links = page.locator(".hit__title a")
    hrefs = [links.nth(i).get_attribute("href").split("?")[0] for i in range(links.count())]
    assert hrefs.count("/article/" + RICE_ID) == 1
    assert not any("luu-tru/" in href for href in hrefs)
    with page.expect_navigation():
        page.locator(f'.hit__title a[href^="/article/{RICE_ID}"]').click()
    assert page.locator(".article__copies li").all_inner_texts() == [RICE_COPY]
    page.screenshot(path=str(ARTIFACTS / "article-with-copy.png"))
    # the copy's own address shows the article
    page.goto(url + "/article/" + RICE_COPY)
    assert page.url == url + "/article/" + RICE_ID
    assert page.problems == []


def test_an_old_link_to_a_renamed_article_lands_on_it(watched_site, page):
    url, archive = watched_site
    page.goto(url + "/article/" + FESTIVAL_ID)
    title = page.locator(".article__title").inner_text()
    (archive / FESTIVAL_NEW).parent.mkdir(parents=True, exist_ok=True)
    os.rename(archive / FESTIVAL_ID, archive / FESTIVAL_NEW)
    _until(lambda: _status(url + "/article/" + FESTIVAL_ID) == 301, "the rename")
    page.goto(url + "/article/" + FESTIVAL_ID + "?q=festival")
    assert page.url == url + "/article/" + FESTIVAL_NEW + "?q=festival"
    assert page.locator(".article__title").inner_text() == title
    assert page.locator(".article__body mark").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "renamed-article.png"))
    assert page.problems == []


def test_the_article_page_fits_a_phone(watched_site, browser):
    url, _ = watched_site
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="vi-VN")
    tab = context.new_page()
    try:
        tab.goto(url + "/article/" + RICE_ID + "?q=l%C3%BAa+g%E1%BA%A1o")
        assert tab.locator(".article__body mark").count() >= 1
        assert tab.locator(".article__copies").is_visible()
        _no_sideways_scrolling(tab)
        tab.screenshot(path=str(ARTIFACTS / "article-phone-375.png"), full_page=True)
    finally:
        context.close()
