"""Checks for English pages and mail: what is Japanese is marked, dates read one way."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Kana, kanji, half-width kana, and the Japanese punctuation and full-width forms.
JAPANESE = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# Attributes a person reads or hears (data-* and value are not checked).
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")


class _LanguageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, lang in force)
        self.unmarked: list[str] = []
        self.root_lang = ""
        self.title = ""
        self._in_title = False
        self._skip = 0  # inside <script> or <style>

    def _lang(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        lang = values.get("lang") or self._lang()
        if tag == "html":
            self.root_lang = values.get("lang") or ""
        for name in READ_ATTRIBUTES:
            text = values.get(name) or ""
            if JAPANESE.search(text) and not lang.startswith("ja"):
                self.unmarked.append(f"{tag}[{name}]={text!r}")
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(self._skip - 1, 0)
        if tag == "title":
            self._in_title = False
        # Close up to the matching tag (HTML lets </p> and </li> be implied).
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._skip:
            return
        if JAPANESE.search(data) and not self._lang().startswith("ja"):
            self.unmarked.append(data.strip())


def parse(html: str) -> _LanguageParser:
    parser = _LanguageParser()
    parser.feed(html)
    parser.close()
    return parser


def unmarked_japanese(html: str) -> list[str]:
    """Japanese text of an English page that is not inside an element with lang="ja"."""
    return parse(html).unmarked


MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
SHORT_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
# The one English family: [weekday] day month [year] — "Thursday 3 December 2026",
# "Thu 3 Dec", "31 March 2027" — and "December 2026" for a month on its own.
ENGLISH_DATE = re.compile(
    rf"\b(?:(?:{WEEKDAYS}) )?\d{{1,2}} (?:{MONTHS}|{SHORT_MONTHS})\b(?: \d{{4}})?"
    rf"|\b(?:{MONTHS}) \d{{4}}\b"
)
# What other families look like: "March 31, 2027", "Dec. 3, 2026", "3/31/2027",
# "2027-03-31", a Japanese date. ("Thu 3 Dec 9:00" is the family: a time after a month.)
OTHER_DATE = re.compile(
    rf"\b(?:{MONTHS}|{SHORT_MONTHS})\.? \d{{1,2}}\b(?![\d:])"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\d+年\d+月"
)


def visible_text(html: str) -> str:
    """The page's text, tags removed (good enough to look for dates)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text)


def dates_of_another_style(text: str) -> list[str]:
    return OTHER_DATE.findall(text)
