"""Categories by their Vietnamese names: the folder "chinh-tri" is shown as "Chính trị".

An article's category is its front matter ``category`` or, without one, the name of its
top sub-folder. Folder names are usually written without marks ("kinh-te", "moi"), so
results and facets showed slugs beside real names ("Chính trị - Xã hội"). Each category is
now shown through a table of names: a built-in one for common news sections
(``DEFAULT_NAMES``), and the archive's own ``categories.conf``, which the librarian edits:

    # folder (or category as written) = name shown
    thoi-su = Thời sự
    moi = Tin mới

The names apply when results are shown, not when articles are indexed, so an edit shows
within a second with no reindex. The index keeps each category as written; facet counts
of categories that share a name are added up, and a filter by a name matches every
category shown with it (and a filter by a slug, as old links have, means its name).

A category the table does not name is shown as written. A slug cannot be given its marks
back safely ("moi" is "mới", "mồi" or "môi"), and a wrong name would look right; the slug
at least shows the librarian which line to add.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from .conffile import LibrarianFile, content_lines

LIBRARIAN_FILE = "categories.conf"
"""In the archive folder; the indexer ignores ``.conf`` files, so it is never read as an article."""

MAX_NAME_CHARS = 100

DEFAULT_NAMES: dict[str, str] = {
    "an-ninh": "An ninh",
    "am-thuc": "Ẩm thực",
    "am-nhac": "Âm nhạc",
    "ban-doc": "Bạn đọc",
    "bat-dong-san": "Bất động sản",
    "bong-da": "Bóng đá",
    "chinh-tri": "Chính trị",
    "chinh-tri-xa-hoi": "Chính trị - Xã hội",
    "chung-khoan": "Chứng khoán",
    "cong-nghe": "Công nghệ",
    "dien-anh": "Điện ảnh",
    "doi-song": "Đời sống",
    "du-hoc": "Du học",
    "du-lich": "Du lịch",
    "gia-dinh": "Gia đình",
    "giai-tri": "Giải trí",
    "giao-duc": "Giáo dục",
    "giao-thong": "Giao thông",
    "goc-nhin": "Góc nhìn",
    "khoa-hoc": "Khoa học",
    "khoa-hoc-cong-nghe": "Khoa học - Công nghệ",
    "kinh-doanh": "Kinh doanh",
    "kinh-te": "Kinh tế",
    "lao-dong": "Lao động",
    "moi-truong": "Môi trường",
    "nong-nghiep": "Nông nghiệp",
    "phap-luat": "Pháp luật",
    "quan-su": "Quân sự",
    "quoc-phong": "Quốc phòng",
    "quoc-te": "Quốc tế",
    "so-hoa": "Số hóa",
    "suc-khoe": "Sức khỏe",
    "tai-chinh": "Tài chính",
    "tam-su": "Tâm sự",
    "the-gioi": "Thế giới",
    "the-thao": "Thể thao",
    "thoi-su": "Thời sự",
    "thoi-trang": "Thời trang",
    "tuyen-sinh": "Tuyển sinh",
    "van-hoa": "Văn hóa",
    "van-hoc": "Văn học",
    "viec-lam": "Việc làm",
    "vi-tinh": "Vi tính",
    "xa-hoi": "Xã hội",
    "xe": "Xe",
    "y-te": "Y tế",
}
"""Common sections of Vietnamese news sites, by the slug their addresses and folders use."""


def _key(category: str) -> str:
    """How a category is looked up: case, Unicode form and edges do not matter."""
    return unicodedata.normalize("NFC", category).strip().casefold()


class CategoryNames:
    """The name each category is shown by."""

    def __init__(self, names: dict[str, str]) -> None:
        self._names = {_key(category): name for category, name in names.items()}

    def shown(self, category: str | None) -> str | None:
        """The name to show for a category as indexed (itself when the table has none)."""
        if not category:
            return category
        return self._names.get(_key(category), category)

    def categories(self, name: str, indexed: Iterable[str]) -> list[str]:
        """The indexed categories shown as ``name``, or as the name of ``name`` when it is a
        category itself ("chinh-tri" in an old link): what a filter by it must match."""
        wanted = self.shown(name)
        return sorted(category for category in indexed if self.shown(category) == wanted)

    def merged(self, other: CategoryNames) -> CategoryNames:
        """This table with ``other``'s names added; ``other`` wins where both name one."""
        merged = CategoryNames({})
        merged._names = {**self._names, **other._names}
        return merged

    @classmethod
    def parse(cls, text: str, source: str) -> tuple[CategoryNames, list[str]]:
        """Read the file format: ``category = name`` a line, "#" comments.

        A bad line is skipped and reported as "source:line: reason", so one typo never
        takes the other names away.
        """
        names: dict[str, str] = {}
        where: dict[str, int] = {}
        problems: list[str] = []
        for number, content in content_lines(text):
            category, name, problem = _parse_line(content)
            key = _key(category)
            if not problem and key in names and names[key] != name:
                problem = (f"{category!r} is already named {names[key]!r} on line "
                           f"{where[key]}")
            if problem:
                problems.append(f"{source}:{number}: {problem}")
                continue
            names.setdefault(key, name)
            where.setdefault(key, number)
        return cls(names), problems


def _parse_line(content: str) -> tuple[str, str, str]:
    """(category, name, "") from one line of the file, or the reason it cannot be used."""
    category, equals, name = (part.strip() for part in content.partition("="))
    if not equals:
        return "", "", f"needs a folder name and the name to show, separated by ' = ': {content!r}"
    if "=" in name:
        return "", "", f"has more than one '=': {content!r}"
    if not category or not name:
        return "", "", f"a side of ' = ' is empty: {content!r}"
    if "/" in category:
        return "", "", f"a folder name holds no '/' (name the top folder only): {content!r}"
    if len(name) > MAX_NAME_CHARS:
        return "", "", f"the name is over {MAX_NAME_CHARS} characters: {content!r}"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "", "", f"the name holds control characters: {content!r}"
    return category, unicodedata.normalize("NFC", name), ""


DEFAULT = CategoryNames(DEFAULT_NAMES)


class CategorySource(LibrarianFile[CategoryNames]):
    """The built-in names plus the librarian's (LIBRARIAN_FILE in the archive folder),
    re-read when that file changes, so a name shows without a restart or a reindex."""

    NAME = LIBRARIAN_FILE

    def shipped(self) -> CategoryNames:
        return DEFAULT

    def parse(self, text: str, source: str) -> tuple[CategoryNames, list[str]]:
        local, problems = CategoryNames.parse(text, source)
        return DEFAULT.merged(local), problems
