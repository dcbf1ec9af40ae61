"""Click in the reader's language: the help vnsearch's commands define, and Click's own words.

Help texts are defined when ``cli.py`` is imported, before anything knows which language
a run will ask for (tests run the commands in both languages in one process), so they are
kept as English message ids and translated when help is shown: the command, group and
option classes below do that.

Click looks its own messages up ("Usage:", "Options", "Error: …") with
``gettext.gettext``, that is in the process's default text domain and in the language the
environment names. While a command runs, that domain is vnsearch's, whose catalog holds
the ones a librarian meets (``CLICK_MESSAGES``), and ``VNSEARCH_LANG`` is passed on as
``LANGUAGE`` so that Click's words follow the same choice as vnsearch's.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .articles import shorten
from .i18n import DOMAIN, LANGUAGE_VARIABLE, LOCALE_DIR, N_, _

CLICK_MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("env var: {var}"),
    N_("default: {default}"),
    N_("required"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("{value} is not in the range {range}."),
    N_("Aborted!"),
)
"""Click's messages, word for word as Click writes them, that vnsearch's catalog translates
(a test checks that Click still uses each)."""


@contextmanager
def click_language() -> Iterator[None]:
    """Click's own messages in the language vnsearch's messages are in, while a command runs
    (put back afterwards: a test process runs many)."""
    domain = gettext.textdomain()
    gettext.bindtextdomain(DOMAIN, LOCALE_DIR)
    gettext.textdomain(DOMAIN)
    chosen = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    before = os.environ.get("LANGUAGE")
    if chosen:
        os.environ["LANGUAGE"] = chosen
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if chosen:
            if before is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = before


def _first_sentence(text: str, limit: int) -> str:
    """What a command's help says in the list of commands: its first sentence, on one line."""
    first = text.split("\n\n", 1)[0].strip()
    end = first.find(". ")
    return shorten((first if end < 0 else first[:end]).rstrip("."), limit)


class _TranslatedHelp:
    """Help of a command or group, translated when it is shown."""

    help: str | None

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(_(self.help))

    def get_short_help_str(self, limit: int = 45) -> str:
        return _first_sentence(_(self.help), limit) if self.help else ""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Click's help option, saying what it does in this run's language (Click keeps
        the option, and so the words of the first run, while a process may run many)."""
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _("Show this message and exit.")
        return option


class Command(_TranslatedHelp, click.Command):
    """A vnsearch command."""


class Group(_TranslatedHelp, click.Group):
    """The ``vnsearch`` group: its commands, and Click's words, in the reader's language."""

    command_class = Command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with click_language():
            return super().main(*args, **kwargs)


class Option(click.Option):
    """An option whose help is translated when it is shown (Click appends the default and
    the environment variable to the text it was given)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None or not self.help:
            return record
        spec, text = record
        return spec, _(self.help) + text[len(self.help):]
