"""A strict reading of the self-contained HTML pages kav writes (run and suite reports):
tags must balance; text, links and image sources are collected for assertions."""

from __future__ import annotations

from html.parser import HTMLParser

# HTML's void elements, and the inline-SVG shapes kav writes self-closed (<rect ... />)
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "area", "base", "wbr", "source",
        "track", "embed", "param", "rect", "circle", "line", "path"}


class HtmlChecker(HTMLParser):
    """Fails on unbalanced tags; collects tags, text, link targets and image sources."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.imgs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "a":
            self.hrefs.append(a["href"])
        if tag == "img":
            self.imgs.append(a["src"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(page: str) -> HtmlChecker:
    """The page read by :class:`HtmlChecker`; AssertionError if its tags do not balance."""
    p = HtmlChecker()
    p.feed(page)
    p.close()
    assert not p.errors and not p.stack, (p.errors, p.stack)
    return p
