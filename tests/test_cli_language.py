"""The command line in the reader's language, and its message catalog.

vnsearch speaks Vietnamese when the locale is Vietnamese and English otherwise;
``VNSEARCH_LANG`` chooses whatever the locale. Each run here names its whole language
environment, so the machine's own locale (and the English the other tests ask for) never
decides what a run says.
"""

from __future__ import annotations

import gettext
import re
import string
import subprocess
import sys
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from helpers import REPO, VNSEARCH, write_article
from indexer.cli import main
from indexer.cli_i18n import CLICK_MESSAGES
from indexer.i18n import DOMAIN, LOCALE_DIR

CATALOG = LOCALE_DIR / "vi" / "LC_MESSAGES" / f"{DOMAIN}.po"
COMPILED = CATALOG.with_suffix(".mo")
NO_LANGUAGE = {"VNSEARCH_LANG": None, "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None,
               "LANG": None}

VIETNAMESE = {**NO_LANGUAGE, "LANG": "vi_VN.UTF-8"}
ENGLISH = {**NO_LANGUAGE, "LANG": "C.UTF-8"}


def run(env: dict[str, str | None], *args: object):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False,
                              prog_name="vnsearch")


@pytest.fixture
def archive(tmp_path) -> Path:
    """One good article and one file the indexer rejects."""
    root = tmp_path / "archive"
    write_article(root, "thoi-su/bao.txt", "Bão số 3 đổ bộ", "Bão số 3 gây mưa lớn ở miền Trung.",
                  date="2024-09-07")
    (root / "rong.txt").write_bytes(b"")
    return root


# --------------------------------------------------------------------------- choosing


def test_check_speaks_vietnamese_in_a_vietnamese_locale(archive):
    result = run(VIETNAMESE, "check", "--archive", archive)
    assert result.exit_code == 1
    out = result.stdout
    assert f"Đã kiểm tra 2 tệp trong {archive}: 1 bài báo hợp lệ." in out
    assert re.search(r"^  bị loại\s+1\n    rong.txt: tệp rỗng \(chỉ có khoảng trắng\)$", out, re.M)
    assert re.search(r"^  trùng lặp\s+0$", out, re.M)
    assert re.search(r"^  không có ngày\s+0$", out, re.M)
    assert "rejected" not in out and "Checked" not in out


@pytest.mark.parametrize("env", [ENGLISH, {**NO_LANGUAGE, "LANG": "en_US.UTF-8"}, NO_LANGUAGE])
def test_check_speaks_english_otherwise(archive, env):
    out = run(env, "check", "--archive", archive).stdout
    assert f"Checked 2 files in {archive}: 1 article is fine." in out
    assert re.search(r"^  rejected\s+1\n    rong.txt: empty file \(nothing but whitespace\)$",
                     out, re.M)


INDEX_REPORTS = {
    "vi": (VIETNAMESE, "Đã lập chỉ mục {archive} vào {index} (xây dựng lại toàn bộ).",
           r"^  thêm mới\s+1\n    thoi-su/bao.txt\n", r"^  bị loại\s+1\n    rong.txt: tệp rỗng",
           r"^Hoàn tất trong \d+,\d giây; chỉ mục có 1 bài báo\.$"),
    # one article: not "1 articles", and no rate measured on it ("0.1 documents/s")
    "en": (ENGLISH, "Indexed {archive} into {index} (full rebuild).",
           r"^  added\s+1\n    thoi-su/bao.txt\n", r"^  rejected\s+1\n    rong.txt: empty file",
           r"^Done in \d+\.\d s; the index holds 1 article\.$"),
}


@pytest.mark.parametrize("language", INDEX_REPORTS)
def test_index_speaks_the_locales_language(archive, tmp_path, language):
    env, first, *lines = INDEX_REPORTS[language]
    index = tmp_path / "index"
    result = run(env, "index", "--archive", archive, "--index", index, "--jobs", "1")
    assert result.exit_code == 1
    assert first.format(archive=archive, index=index) in result.stdout
    for line in lines:
        assert re.search(line, result.stdout, re.M), (line, result.stdout)


def test_other_locale_variables_choose_too(archive):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        result = run({**ENGLISH, variable: "vi_VN.UTF-8"}, "check", "--archive", archive)
        assert "1 bài báo hợp lệ." in result.stdout, variable
    result = run({**VIETNAMESE, "LC_ALL": "C.UTF-8"}, "check", "--archive", archive)
    assert "1 article is fine." in result.stdout  # LC_ALL overrides LANG, as everywhere


def test_vnsearch_lang_wins_over_the_locale(archive):
    result = run({**VIETNAMESE, "LC_ALL": "vi_VN.UTF-8", "VNSEARCH_LANG": "en"},
                 "check", "--archive", archive)
    assert "1 article is fine." in result.stdout
    result = run({**ENGLISH, "VNSEARCH_LANG": "vi"}, "check", "--archive", archive)
    assert "1 bài báo hợp lệ." in result.stdout
    # Click's own words follow the same choice
    result = run({**VIETNAMESE, "VNSEARCH_LANG": "en"}, "check", "--nope")
    assert result.exit_code == 2
    assert "Usage: vnsearch check" in result.stderr and "No such option '--nope'" in result.stderr
    result = run({**ENGLISH, "VNSEARCH_LANG": "vi"}, "check", "--nope")
    assert "Cách dùng: vnsearch check" in result.stderr
    assert "Lỗi: Không có tùy chọn '--nope'." in result.stderr


def test_the_installed_command_finds_its_catalog(archive):
    if not VNSEARCH.exists():
        pytest.skip(f"{VNSEARCH} is not installed")
    env = {"PATH": "/usr/bin:/bin", "LANG": "vi_VN.UTF-8"}
    done = subprocess.run([str(VNSEARCH), "check", "--archive", str(archive)], env=env,
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "1 bài báo hợp lệ." in done.stdout and "tệp rỗng" in done.stdout


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize("count, files, fine, holds, found", [
    (1, "1 file", "1 article is fine.", "the index holds 1 article.", "1 result ("),
    (2, "2 files", "2 articles are fine.", "the index holds 2 articles.", "2 results ("),
])
def test_plurals_are_right_in_english(tmp_path, count, files, fine, holds, found):
    archive, index = tmp_path / "archive", tmp_path / "index"
    for number in range(count):
        write_article(archive, f"bai-{number}.txt", f"Bài số {number}", "Nội dung một bài.",
                      date="2024-01-01")
    out = run(ENGLISH, "check", "--archive", archive).stdout
    assert f"Checked {files} in {archive}: {fine}" in out
    assert holds in run(ENGLISH, "index", "--archive", archive, "--index", index,
                        "--jobs", "1").stdout
    assert run(ENGLISH, "search", "bài", "--index", index).stdout.startswith(found)


def test_help_names_the_environment_variables_in_both_languages():
    for env, env_var in ((ENGLISH, "env var"), (VIETNAMESE, "biến môi trường")):
        out = run(env, "--help").stdout
        assert all(name in out for name in ("VNSEARCH_ARCHIVE", "VNSEARCH_INDEX", "VNSEARCH_LANG"))
        out = " ".join(run(env, "index", "--help").stdout.split())
        assert f"{env_var}: VNSEARCH_ARCHIVE" in out and f"{env_var}: VNSEARCH_INDEX" in out
    out = run(VIETNAMESE, "--help").stdout
    assert "Cách dùng: vnsearch" in out and "Tra cứu kho lưu trữ bài báo tiếng Việt." in out
    assert "Kiểm tra kho lưu trữ mà không lập chỉ mục" in out  # the list of commands
    out = run(VIETNAMESE, "search", "--help").stdout
    assert "Tùy chọn:" in out and "Hiện trợ giúp này rồi thoát." in out
    assert "Show this message" in run(ENGLISH, "search", "--help").stdout
    assert "Sửa từ gõ sai trước khi tìm" in out


# --------------------------------------------------------------------------- the catalog


def _catalog():
    with open(CATALOG, "rb") as fh:
        return read_po(fh)


def _messages(catalog) -> list:
    return [message for message in catalog if message.id]


def test_the_catalog_is_translated_throughout():
    catalog = _catalog()
    assert catalog.num_plurals == 1 and catalog.plural_expr == "0"  # Vietnamese has one form
    untranslated = [m.id for m in _messages(catalog)
                    if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    assert not untranslated, f"untranslated in {CATALOG.name}: {untranslated}"
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert not fuzzy, f"fuzzy (changed since translated) in {CATALOG.name}: {fuzzy}"
    assert not catalog.obsolete


def _fields(text: str) -> set[tuple[str, str, str | None]]:
    return {(name, spec, conversion) for _, name, spec, conversion
            in string.Formatter().parse(text) if name is not None}


def test_translations_keep_the_placeholders_of_their_message():
    for message in _messages(_catalog()):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(_fields(i) for i in ids))
        for translated in strings:
            assert _fields(translated) == expected, (message.id, translated)


def test_every_message_of_the_source_is_in_the_catalog(tmp_path):
    """What `make catalogs` extracts is what the catalog holds: a new message cannot be
    forgotten, nor an old one linger."""
    template = tmp_path / "vnsearch.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract",
                    "-F", "babel.cfg", "-o", str(template), "."],
                   cwd=REPO, check=True, timeout=120)
    with open(template, "rb") as fh:
        extracted = {m.id for m in _messages(read_po(fh))}
    held = {m.id for m in _messages(_catalog())}
    assert extracted - held == set(), "run `make catalogs` and translate the new messages"
    assert held - extracted == set(), "run `make catalogs` to drop messages the source lost"


def test_no_message_hides_inside_an_f_string():
    """Extraction cannot see a message in an f-string's braces (f"{_('x')}"), so such a
    message would never reach the catalog."""
    for path in [*(REPO / "indexer").glob("*.py"), *(REPO / "webapp").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\{\s*(_|ngettext|N_)\(", text), path


def test_the_compiled_catalog_is_the_catalog():
    """The .mo is committed (a fresh clone and `pip install` need no compile step): it must
    say what the .po says."""
    with open(COMPILED, "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in _messages(_catalog()):
        if isinstance(message.id, tuple):
            assert compiled.ngettext(*message.id, 1) == message.string[0], message.id
            assert compiled.ngettext(*message.id, 2) == message.string[0], message.id
        else:
            assert compiled.gettext(message.id) == message.string, message.id


def test_the_click_messages_translated_are_clicks():
    """Click's own words are translated by their exact text: a Click that rewords one
    would otherwise fall back to English without a sound."""
    source = "".join(path.read_text(encoding="utf-8")
                     for path in Path(click.__file__).parent.glob("*.py"))
    stale = [message for message in CLICK_MESSAGES if f'"{message}"' not in source]
    assert not stale, f"no longer in Click {click.__version__}: {stale}"
