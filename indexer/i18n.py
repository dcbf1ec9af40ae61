"""Messages in the reader's language: Vietnamese for a Vietnamese locale, English otherwise.

Messages are written in English in the source and looked up with the standard gettext
machinery in ``locale/<language>/LC_MESSAGES/vnsearch.mo``, compiled from the ``.po``
catalog beside it (``make catalogs`` extracts, updates and compiles them). The language
comes from the environment: ``VNSEARCH_LANG`` (``vi`` or ``en``) wins, then the variables
every gettext program reads (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``).

The environment is read at each lookup rather than once at import, so that what a message
says follows the environment the code runs in: a test that switches language, a worker
process, the watcher beside the web server. Catalogs are read once per setting.
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

DOMAIN = "vnsearch"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGE_VARIABLE = "VNSEARCH_LANG"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
"""What gettext reads, in its order, when ``VNSEARCH_LANG`` is not set."""


def translation() -> gettext.NullTranslations:
    """The catalog of the language the environment asks for (English: no catalog)."""
    return _translation(tuple(os.environ.get(name) or "" for name in
                              (LANGUAGE_VARIABLE, *LOCALE_VARIABLES)))


@functools.lru_cache(maxsize=8)
def _translation(settings: tuple[str, ...]) -> gettext.NullTranslations:
    chosen = settings[0].strip()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen] if chosen else None,
                               fallback=True)


def _(message: str) -> str:
    """``message`` in the reader's language."""
    return translation().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message that fits the number ``n`` ("1 article", "2 articles")."""
    return translation().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it cannot be translated yet (it is defined
    when a module is imported); ``_()`` translates it where it is shown."""
    return message


_VIETNAMESE_NUMBER = str.maketrans(",.", ".,")


def number(value: float, places: int = 0) -> str:
    """``value`` written as the reader's language writes numbers: "79,147" and "2.5" in
    English; "79.147" and "2,5" in Vietnamese, which groups thousands with dots and writes
    decimals with a comma (so "79,147 bài" would read as seventy-nine articles)."""
    text = f"{value:,.{places}f}"
    if translation().info().get("language") == "vi":
        return text.translate(_VIETNAMESE_NUMBER)
    return text
