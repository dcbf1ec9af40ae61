"""Scraped-page chrome that trails the article text, and the byline glued to it.

Pages saved from Vietnamese news sites end with the site's own labels ("Phản hồi",
"Các tin khác", "Mới nhất", …) on lines of their own. They are not article text, and
leaving them in would make every article match a search for "mới nhất". Often the
reporter's name runs straight into the first label ("Quỳnh HoaPhản hồi") because the
scraper dropped the space between two page elements: that name is the author.

This module is the one place to extend what counts as chrome. Only TRAILING lines are
removed, so a label that happens to appear mid-article stays.
"""

from __future__ import annotations

import re

# Site labels that, alone on a line, are page chrome. To add one, append it exactly as the
# site shows it (any case, NFC text). Matching ignores case, surrounding bullets and
# punctuation ("» Tin liên quan:") and a trailing count ("Bình luận (12)").
CHROME_LABELS: tuple[str, ...] = (
    "Phản hồi",
    "Gửi phản hồi",
    "Ý kiến bạn đọc",
    "Ý kiến của bạn",
    "Gửi ý kiến",
    "Các tin khác",
    "Các tin đã đưa",
    "Tin khác",
    "Tin liên quan",
    "Bài liên quan",
    "Tin cùng chuyên mục",
    "Bài viết cùng chủ đề",
    "Tin mới",
    "Tin mới nhất",
    "Mới nhất",
    "Xem nhiều nhất",
    "Đọc nhiều nhất",
    "Xem nhiều",
    "Đọc nhiều",
    "Tin xem nhiều",
    "Tin đọc nhiều",
    "Bình luận",
    "Viết bình luận",
    "Gửi bình luận",
    "Chia sẻ",
    "Chia sẻ bài viết",
    "In bài",
    "In bài viết",
    "Bản in",
    "Gửi bài viết qua email",
    "Gửi bài viết",
    "Gửi cho bạn bè",
    "Gửi email",
    "Về đầu trang",
    "Lên đầu trang",
    "Đầu trang",
    "Trở về",
    "Trở lại",
    "Quay lại",
    "Xem thêm",
    "Từ khóa",
    "Từ khoá",
    "Tags",
    "Đánh giá bài viết",
    "Quảng cáo",
    "Facebook",
    "Twitter",
    "Zalo",
    "Email",
    "Print",
    "Share",
)

# Whole-line regular expressions for chrome that a fixed label cannot describe. To add one,
# append a pattern; it must match the ENTIRE line (it is used with fullmatch, ignoring case).
CHROME_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "Chia sẻ: Facebook | Twitter | Zalo", "Share: Facebook, Email"
    re.compile(
        r"(?:chia sẻ|share)\s*:?\s*(?:(?:facebook|twitter|zalo|email|e-mail)[\s,|/·•-]*)+",
        re.IGNORECASE,
    ),
)

_LEAD = r"[\s·•|»›>\-–—\[\]*]*"
_TRAIL = r"[\s·•|»›<:\-–—()\[\]\d*]*"
_LABELS = "|".join(
    re.escape(label).replace(r"\ ", r"\s+")
    for label in sorted(CHROME_LABELS, key=len, reverse=True)
)
_LABEL_LINE = re.compile(rf"{_LEAD}(?:{_LABELS}){_TRAIL}", re.IGNORECASE)
_GLUED = re.compile(rf"(?P<name>.*?\S)\s*[-–—|]?\s*(?:{_LABELS}){_TRAIL}", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W\d_][\w.'’-]*")
_MAX_NAME_WORDS = 6
_MAX_NAME_CHARS = 60
# Longer lines cannot be a label or a byline; checking the length first keeps the label
# alternation from being tried at every position of a long paragraph.
_MAX_LABEL_LINE = max(map(len, CHROME_LABELS)) + 20
_MAX_BYLINE_LINE = _MAX_LABEL_LINE + _MAX_NAME_CHARS


def is_chrome(line: str) -> bool:
    """Whether a whole line is a site label or matches one of the chrome patterns."""
    line = line.strip()
    if not line:
        return False
    if len(line) <= _MAX_LABEL_LINE and _LABEL_LINE.fullmatch(line):
        return True
    return any(pattern.fullmatch(line) for pattern in CHROME_PATTERNS)


def glued_byline(line: str) -> str | None:
    """The person's name in "Quỳnh HoaPhản hồi", or None if the prefix is not name-like.

    A name is a few capitalised words without sentence punctuation: that keeps a real
    sentence ending in a label word ("… chờ phản hồi") from being taken for a byline.
    """
    line = line.strip()
    match = len(line) <= _MAX_BYLINE_LINE and _GLUED.fullmatch(line)
    if not match:
        return None
    name = match.group("name").strip()
    words = name.split()
    if len(name) > _MAX_NAME_CHARS or not 1 <= len(words) <= _MAX_NAME_WORDS:
        return None
    if all(_NAME_WORD.fullmatch(word) and word[0].isupper() for word in words):
        return name
    return None


def strip_boilerplate(body: str) -> tuple[str, str | None]:
    """Drop trailing chrome lines; return (body, author from a glued byline or None).

    Works backwards from the end and stops at the first line of real text, so prose is
    never removed from the middle. At most one byline is taken.
    """
    lines = body.split("\n")
    end = len(lines)
    author: str | None = None
    while end:
        line = lines[end - 1]
        if not line.strip() or is_chrome(line):
            end -= 1
        elif author is None and (name := glued_byline(line)):
            author = name
            end -= 1
        else:
            break
    return "\n".join(lines[:end]).rstrip(), author
