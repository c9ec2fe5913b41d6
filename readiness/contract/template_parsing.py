"""Reading an e-mail template: its Mustache tags (chevron's tokenizer, ADR 0041) and its HTML structure, in
bounded time and memory (ADR 0058)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from readiness.contract.model import Problem

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(frozen=True)
class Use:
    """One Mustache tag: its kind (variable, section, ...), the name, the enclosing sections, and where."""

    kind: str
    name: str
    sections: tuple[str, ...]
    line: int
    column: int

KINDS = {"{": "unescaped", "&": "unescaped", "#": "section", "^": "inverted", "/": "end", "!": "comment",
         ">": "partial", "=": "delimiter"}
MAX_TEMPLATE_BYTES = 512 * 1024  # an e-mail above ~100 KB is clipped by Gmail; the LLD's are a few KB each
MAX_NESTING = 32  # sections inside sections, elements inside elements: a real e-mail needs a dozen


class MustacheError(ValueError):
    """A template whose tags do not parse; ``line`` and ``column`` say where."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line, self.column = line, column

    @property
    def where(self) -> str:
        return f"line {self.line} column {self.column}"


class _Lines:
    """Line and column of increasing offsets, counting each character once (linear over a whole scan)."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line, self.line_start = text, 0, 1, 0

    def at(self, offset: int) -> tuple[int, int]:
        newlines = self.text.count("\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.offset, offset) + 1
        self.offset = offset
        return self.line, offset - self.line_start + 1


def mustache_uses(text: str) -> list[Use]:
    """Every tag of a template with its position and enclosing sections; MustacheError on an unclosed tag,
    an empty one, a section closed out of order or never, sections nested deeper than MAX_NESTING, or a
    delimiter change (after ``{{=<% %>=}}`` the tags would escape every rule here).

    One pass with ``str.find``: linear in the template, whatever it holds (chevron's tokenizer copies the
    rest of the template at every tag, and a regex over tag bodies can backtrack)."""
    uses: list[Use] = []
    stack: list[tuple[str, int, int]] = []
    lines = _Lines(text)
    pos = 0
    while (start := text.find("{{", pos)) >= 0:
        line, column = lines.at(start)
        sigil = text[start + 2:start + 3]
        kind = KINDS.get(sigil, "variable")
        closer = "}}}" if sigil == "{" else "}}"
        body = start + 2 + (sigil in KINDS)
        end = text.find(closer, body)
        if end < 0:
            raise MustacheError(f"unclosed tag: no {closer} after line {line} column {column}", line, column)
        name = " ".join(text[body:end].split())
        pos = end + len(closer)
        if kind == "comment":
            continue
        if not name:
            raise MustacheError("an empty tag", line, column)
        if kind == "delimiter":
            raise MustacheError("a set-delimiter tag: the tags after it would not be checked", line, column)
        if kind == "end":
            if not stack or stack[-1][0] != name:
                opened = f"{stack[-1][0]!r} (line {stack[-1][1]}) is open" if stack else "no section is open"
                raise MustacheError(f"{{{{/{name}}}}} closes a section, but {opened}", line, column)
            stack.pop()
            continue
        uses.append(Use(kind, name, tuple(s for s, _, _ in stack), line, column))
        if kind in ("section", "inverted"):
            stack.append((name, line, column))
            if len(stack) > MAX_NESTING:
                raise MustacheError(f"sections nest deeper than {MAX_NESTING}", line, column)
    if stack:
        name, line, column = stack[-1]
        raise MustacheError(f"section {name!r} is never closed", line, column)
    return uses


class _Stop(Exception):
    """Parsing ends here: the template nests too deep or has too many errors to list them all."""


MAX_HTML_ERRORS = 20


class HtmlStructure(HTMLParser):
    """Strict enough to catch what breaks an e-mail: unclosed or misnested elements. Bounded: nesting deeper
    than MAX_NESTING or more than MAX_HTML_ERRORS errors stop the parse (each element records its ancestors,
    so unbounded depth would be quadratic)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[tuple[tuple[int, int], str]] = []
        self.elements: list[tuple[str, dict[str, str], tuple[str, ...]]] = []  # (tag, attrs, open ancestors)
        self.texts: list[tuple[str, tuple[str, ...]]] = []
        self.html_count = 0
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower().startswith("doctype html")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, tuple(t for t, _ in self.stack)))
        if tag == "html":
            self.html_count += 1
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
            if len(self.stack) > MAX_NESTING:
                self.error_at(self.getpos(), f"elements nest deeper than {MAX_NESTING} levels")
                raise _Stop

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, tuple(t for t, _ in self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            opened = f"<{self.stack[-1][0]}> opened at line {self.stack[-1][1][0]}" if self.stack else "no open element"
            self.error_at(self.getpos(), f"</{tag}> does not close the innermost open element ({opened})")
            if any(t == tag for t, _ in self.stack):  # recover: close up to the matching element
                while self.stack and self.stack.pop()[0] != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((data, tuple(t for t, _ in self.stack)))

    def error_at(self, pos: tuple[int, int], message: str) -> None:
        self.errors.append((pos, message))
        if len(self.errors) >= MAX_HTML_ERRORS:
            self.errors.append((pos, f"more than {MAX_HTML_ERRORS} errors: the rest of the file is not checked"))
            raise _Stop


RAW_TEXT = ("script", "style", "textarea", "title")  # their content is text up to </name>, '<' included
_TAG_START = re.compile(r"/?[A-Za-z]")
_IN_TAG = re.compile(r"[<>\"']")  # what ends or changes the scan inside a tag (one character class: linear)


def _markup_problem(text: str) -> tuple[int, str] | None:
    """(offset, message) of the first '<' that does not start a complete construct, or None.

    Python's HTMLParser rescans from a '<' it cannot complete to the end of the text, once per such '<', so
    "<<<<..." or "</</</..." takes quadratic time. A template whose every '<' starts a comment, a doctype, or
    a tag closed by '>' (quoted attribute values skipped) before the next '<' is parsed in linear time; the
    check itself is one pass of str.find. A bare '<' in e-mail text is written &lt; anyway."""
    lower = text.lower()
    pos = 0
    while (start := text.find("<", pos)) >= 0:
        if text.startswith("<!--", start):
            end = text.find("-->", start + 4)
            if end < 0:
                return start, "a comment <!-- is never closed"
            pos = end + 3
            continue
        if lower.startswith("<!doctype", start):
            end, nxt = text.find(">", start), text.find("<", start + 1)
            if end < 0 or 0 <= nxt < end:
                return start, "<!DOCTYPE is not closed by '>'"
            pos = end + 1
            continue
        if not _TAG_START.match(text, start + 1):
            return start, "a '<' that starts no tag (write &lt; in text)"
        i, quote = start + 1, ""
        while True:  # to the '>' that ends the tag, outside quoted attribute values
            if quote:
                i = text.find(quote, i)  # found: the scan stops there; absent: the check ends here
                if i < 0:
                    return start, f"an attribute value opened with {quote} is never closed"
                quote, i = "", i + 1
                continue
            special = _IN_TAG.search(text, i)
            if special is None:
                return start, "a tag is never closed by '>'"
            i = special.start()
            if text[i] == "<":
                return start, "a '<' inside a tag (a tag is closed by '>' first)"
            if text[i] == ">":
                break
            quote, i = text[i], i + 1
        name = lower[start + 1:i].split(None, 1)[0].rstrip("/") if lower[start + 1:i].strip() else ""
        pos = i + 1
        if name in RAW_TEXT:
            end = lower.find(f"</{name}", pos)
            if end < 0:
                return start, f"<{name}> is never closed"
            pos = end
    return None


def _where(pos: tuple[int, int]) -> str:
    return f"line {pos[0]} column {pos[1] + 1}"


def html_structure(rel: str, text: str) -> tuple[HtmlStructure | None, list[Problem]]:
    """The parsed structure and its html-syntax problems; None instead of the structure when the file could
    not be parsed to its end (then its syntax problems are all there is to say about it)."""
    parser = HtmlStructure()
    problems: list[Problem] = []
    bad = _markup_problem(text)
    if bad is not None:
        line = text.count("\n", 0, bad[0]) + 1
        column = bad[0] - (text.rfind("\n", 0, bad[0]) + 1) + 1
        return None, [Problem(rel, f"line {line} column {column}", "html-syntax", bad[1])]
    try:
        parser.feed(text)
        parser.close()
    except _Stop:
        return None, [Problem(rel, _where(pos), "html-syntax", message) for pos, message in parser.errors]
    for pos, message in parser.errors:
        problems.append(Problem(rel, _where(pos), "html-syntax", message))
    for tag, pos in parser.stack:
        problems.append(Problem(rel, _where(pos), "html-syntax", f"<{tag}> is never closed"))
    if not parser.doctype:
        problems.append(Problem(rel, "line 1", "html-syntax", "no <!DOCTYPE html>"))
    if parser.html_count != 1:
        problems.append(Problem(rel, "/", "html-syntax", f"{parser.html_count} <html> elements, expected one"))
    return parser, problems
