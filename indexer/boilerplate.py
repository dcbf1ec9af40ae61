"""Scraped-page chrome that trails the article text, and the byline glued to it.

Pages saved from Vietnamese news sites end with the site's own labels ("Phản hồi",
"Các tin khác", "Mới nhất", …) on lines of their own. They are not article text, and
leaving them in would make every article match a search for "mới nhất". Often the
reporter's name runs straight into the first label ("Quỳnh HoaPhản hồi") because the
scraper dropped the space between two page elements: that name is the author.

Two more kinds of residue trail many saved pages, and each ended up in snippets:

- **related headlines**: the site's list of earlier articles on the story, one headline a
  line with its date glued on ("Giá vàng tăng(22/11/2005)");
- **reader polls**: the question, each answer with its share and vote count ("52,5%",
  "1.250 phiếu") and the total ("Tổng cộng: 2.380 phiếu").

This module is the one place to extend what counts as chrome. Only TRAILING lines are
removed, so a label, a headline list or a poll that happens to stand mid-article stays.
``bench/boilerplate.py`` measures what each rule removes from the shared corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    "Xem tiếp",
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


# A related-article link: a headline with its date in parentheses glued on, with or
# without the year. Glued, because that is what a scraper leaves when it drops the space
# between two page elements; "Chung kết (21/8)" in a fixture list is written with a space.
_MAX_HEADLINE_CHARS = 150
_RELATED_HEADLINE = re.compile(
    rf"(?=.*[^\W\d_]).{{1,{_MAX_HEADLINE_CHARS}}}\S\(\d{{1,2}}/\d{{1,2}}(?:/(?:\d{{4}}|\d{{2}}))?\)")
_MAX_HEADLINE_LINE = _MAX_HEADLINE_CHARS + len("x(22/11/2005)")

# A reader poll: answers as lines of text, share ("52,5%") and optional votes ("1.250
# phiếu"), then the total. Percentages alone are not enough (tables of figures look the
# same), so a poll is only recognised by its total line.
_POLL_TOTAL = re.compile(r"tổng\s+cộng\s*:?\s*\d[\d.,]*\s*phiếu", re.IGNORECASE)
_POLL_SHARE = re.compile(r"\d[\d.,]*\s*%")
_POLL_VOTES = re.compile(r"\d[\d.,]*\s*phiếu", re.IGNORECASE)
_POLL_NOTE = re.compile(r"\([^()]{1,80}\)")  # "(Khảo sát từ 1/4 đến 10/4)" under the total
_MAX_ANSWER_CHARS = 150
_MAX_QUESTION_CHARS = 200
# A heading over the answers that names the poll without a question mark or colon:
# "Kết quả bầu chọn trên VnExpress", "Dự đoán của độc giả VnExpress (22/11-4/12)".
_POLL_HEADING = re.compile(r"biểu quyết|bầu chọn|bình chọn|thăm dò|trưng cầu|khảo sát|dự đoán|kết quả",
                           re.IGNORECASE)
_MAX_QUESTION_LINES = 2
_MIN_ANSWERS = 2

RULES = ("chrome", "byline", "related", "poll")
"""What ``trim_trailing`` reports each removed line as."""


def is_related_headline(line: str) -> bool:
    """Whether a whole line is a related-article link: "Giá vàng tăng(22/11/2005)"."""
    line = line.strip()
    return len(line) <= _MAX_HEADLINE_LINE and bool(_RELATED_HEADLINE.fullmatch(line))


def _poll_start(lines: list[str], end: int) -> int | None:
    """Where a reader poll ending at ``lines[end - 1]`` starts, or None if there is none.

    Read upwards: an optional note in parentheses, the total, at least two answers (text,
    share, optional votes), then up to two lines of question or heading: ending in "?" or
    ":" ("Theo bạn, đội nào sẽ thắng?"), or naming the poll without a full
    stop ("Kết quả bầu chọn trên VnExpress"). A sentence above them stays.
    """
    last = lines[end - 1].strip()
    if not (_POLL_TOTAL.fullmatch(last) or _POLL_NOTE.fullmatch(last)):
        return None  # most articles: no need to look further up
    filled = [i for i in range(end - 1, -1, -1) if lines[i].strip()]
    texts = [lines[i].strip() for i in filled]
    at = 0
    if texts and _POLL_NOTE.fullmatch(texts[0]) and len(texts) > 1:
        at = 1
    if at >= len(texts) or not _POLL_TOTAL.fullmatch(texts[at]):
        return None
    at += 1
    answers = 0
    while at < len(texts):
        row = at + 1 if _POLL_VOTES.fullmatch(texts[at]) else at
        if row + 1 >= len(texts) or not _POLL_SHARE.fullmatch(texts[row]) \
                or len(texts[row + 1]) > _MAX_ANSWER_CHARS:
            break
        answers += 1
        at = row + 2
    if answers < _MIN_ANSWERS:
        return None
    question = at + _MAX_QUESTION_LINES
    while at < min(question, len(texts)) and _is_poll_question(texts[at]):
        at += 1
    return filled[at - 1]


def _is_poll_question(line: str) -> bool:
    if len(line) > _MAX_QUESTION_CHARS:
        return False
    return line.endswith(("?", ":")) or (
        not line.endswith((".", "!", "…")) and bool(_POLL_HEADING.search(line)))


@dataclass(frozen=True)
class Trimmed:
    body: str
    author: str | None
    removed: list[tuple[str, str]]
    """(rule, line) for each non-blank line removed, from the end up; rules are ``RULES``."""


def trim_trailing(body: str) -> Trimmed:
    """Drop trailing chrome, related headlines and polls, and say which rule took each line.

    Works backwards from the end and stops at the first line of real text, so prose is
    never removed from the middle. At most one byline is taken.
    """
    lines = body.split("\n")
    end = len(lines)
    author: str | None = None
    removed: list[tuple[str, str]] = []
    while end:
        line = lines[end - 1]
        if not line.strip():
            end -= 1
            continue
        if is_chrome(line):
            rule = "chrome"
        elif is_related_headline(line):
            rule = "related"
        elif (start := _poll_start(lines, end)) is not None:
            removed += [("poll", text) for text in reversed(lines[start:end]) if text.strip()]
            end = start
            continue
        elif author is None and (name := glued_byline(line)):
            author, rule = name, "byline"
        else:
            break
        removed.append((rule, line))
        end -= 1
    return Trimmed("\n".join(lines[:end]).rstrip(), author, removed)


def strip_boilerplate(body: str) -> tuple[str, str | None]:
    """(body without its trailing residue, author from a glued byline or None)."""
    trimmed = trim_trailing(body)
    return trimmed.body, trimmed.author
