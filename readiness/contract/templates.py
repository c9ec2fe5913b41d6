"""The email templates under ``templates/``: validate them against their catalogue and variables contracts.

Rules (each a :class:`~readiness.contract.Problem` ``file: location: rule: message``):

- ``missing-template`` / ``unknown-template``: every catalogued key has its ``.html`` and ``.txt`` file, and
  no other file lies under ``templates/`` (a stray file would be uploaded and never checked);
- ``file-size``: a template file is at most 512 KiB (Gmail clips an e-mail above ~100 KB);
- ``html-syntax``: the HTML parses: every ``<`` starts a tag closed by ``>``, every element closed in order,
  no stray end tags, nesting at most 32 deep, one ``<html>``;
- ``mustache-syntax``: the Mustache tags parse (no empty tag, sections closed in order and at most 32 deep);
  no partials, no delimiter changes;
- ``unescaped-variable``: HTML uses ``{{name}}`` only (escaped); ``{{{name}}}``/``{{&name}}`` would let a
  customer's input inject markup;
- ``undeclared-variable`` / ``unused-variable``: every variable a template uses is declared in its
  variables contract, and every declared variable is used by the HTML;
- ``responsive``: a viewport meta tag and an ``@media`` rule;
- ``branding``: the logo image (``{{logo_url}}`` with the brand's alt text) and the brand's primary colour;
- ``legal-footer``: a ``<footer class="legal-footer">`` holding an ``<address>`` with the footer variables,
  and, in customer templates, an ``Unsubscribe`` link to the unsubscribe variable (HTML and plain text).

Nothing here renders e-mail for sending; the Lambdas do, with any Mustache implementation. Every check runs
in time linear in the file (ADR 0059): the Mustache scan is one pass of ``str.find``, and the HTML is given to
Python's HTMLParser only after a linear pre-scan refuses the inputs that make it quadratic.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from readiness.contract.model import Contract, Problem, TemplateCatalogue, TemplateDef
from readiness.contract.reading import read_text

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


@dataclass(frozen=True)
class Use:
    """One Mustache tag: its kind (variable, section, ...), the name, the enclosing sections, and where."""

    kind: str
    name: str
    sections: tuple[str, ...]
    line: int
    column: int


def md5_hex(data: bytes) -> str:
    """The hex MD5 of a file's bytes: what S3 reports as the ETag of a single-part upload without SSE-KMS."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def content_type(key: str) -> str:
    return CONTENT_TYPES[Path(key).suffix]


# ------------------------------------------------------------------------------------------ parsing


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


class _Structure(HTMLParser):
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


def _html_structure(rel: str, text: str) -> tuple[_Structure | None, list[Problem]]:
    """The parsed structure and its html-syntax problems; None instead of the structure when the file could
    not be parsed to its end (then its syntax problems are all there is to say about it)."""
    parser = _Structure()
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


# ---------------------------------------------------------------------------------------- variables


def declared(schema: Mapping[str, Any]) -> dict[str, set[str]]:
    """Declared names by scope: "" for the top level, and each array-of-objects property's item names."""
    props = schema.get("properties") or {}
    scopes: dict[str, set[str]] = {"": set(props)}
    for name, prop in props.items():
        if isinstance(prop, Mapping) and prop.get("type") == "array":
            items = prop.get("items") or {}
            scopes[name] = set((items.get("properties") or {}) if isinstance(items, Mapping) else {})
    return scopes


def _resolves(use: Use, scopes: dict[str, set[str]]) -> str | None:
    """The scope that declares the name (innermost section first, as Mustache looks it up), or None."""
    for section in reversed(use.sections):
        if use.name in scopes.get(section, set()):
            return section
    return "" if use.name in scopes[""] else None


def _variable_problems(rel: str, uses: list[Use], scopes: dict[str, set[str]], schema_file: str,
                       *, html: bool) -> tuple[list[Problem], set[tuple[str, str]]]:
    problems: list[Problem] = []
    found: set[tuple[str, str]] = set()
    for u in uses:
        where = f"line {u.line} column {u.column}"
        if u.kind == "partial":
            problems.append(Problem(rel, where, "mustache-syntax", f"partial {{{{>{u.name}}}}}: templates are "
                                    "uploaded one file each, a partial would not be found"))
            continue
        if u.kind in ("comment", "delimiter"):
            continue
        if u.kind == "unescaped" and html:
            problems.append(Problem(rel, where, "unescaped-variable", f"{u.name} is not HTML-escaped: write "
                                    f"{{{{{u.name}}}}} (customer input must never become markup)"))
        scope = _resolves(u, scopes)
        if scope is None:
            problems.append(Problem(rel, where, "undeclared-variable", f"{u.name} is not declared in {schema_file}"))
            continue
        if u.kind in ("section", "inverted") and u.name not in scopes:
            problems.append(Problem(rel, where, "undeclared-variable",
                                    f"section {u.name} is not a list of objects in {schema_file}"))
        found.add((scope, u.name))
    return problems, found


# ------------------------------------------------------------------------------------------- rules


def _branding_and_footer(rel: str, t: TemplateDef, cat: TemplateCatalogue, parser: _Structure,
                         text: str) -> Iterator[Problem]:
    metas = [a for tag, a, _ in parser.elements if tag == "meta" and a.get("name") == "viewport"]
    if not any("width=device-width" in a.get("content", "") for a in metas):
        yield Problem(rel, "<head>", "responsive", 'no <meta name="viewport" content="width=device-width, ...">')
    if "@media" not in text:
        yield Problem(rel, "<style>", "responsive", "no @media rule: the layout does not adapt to small screens")
    logos = [a for tag, a, _ in parser.elements if tag == "img" and a.get("src") == "{{logo_url}}"]
    if not any(a.get("alt") == cat.logo_alt for a in logos):
        yield Problem(rel, "/", "branding", f'no logo <img src="{{{{logo_url}}}}" alt="{cat.logo_alt}">')
    if cat.colors["primary"] not in text.lower():
        yield Problem(rel, "<style>", "branding", f"the brand's primary colour {cat.colors['primary']} is not used")
    footers = [a for tag, a, _ in parser.elements if tag == "footer" and "legal-footer" in a.get("class", "").split()]
    if not footers:
        yield Problem(rel, "/", "legal-footer", 'no <footer class="legal-footer">')
        return
    address = " ".join(d for d, anc in parser.texts if "address" in anc and "footer" in anc)
    for name in cat.footer_variables:
        if f"{{{{{name}}}}}" not in address:
            yield Problem(rel, "<footer>", "legal-footer", f"the footer's <address> does not show {{{{{name}}}}}")
    if t.audience == "customer":
        link = f"{{{{{cat.unsubscribe_variable}}}}}"
        anchors = [a for tag, a, anc in parser.elements if tag == "a" and "footer" in anc and a.get("href") == link]
        unsub_text = any("unsubscribe" in d.lower() and "a" in anc and "footer" in anc for d, anc in parser.texts)
        if not anchors or not unsub_text:
            yield Problem(rel, "<footer>", "legal-footer",
                          f'a customer template needs <a href="{link}">Unsubscribe</a> in its legal footer')


def _text_rules(rel: str, t: TemplateDef, cat: TemplateCatalogue, text: str) -> Iterator[Problem]:
    for name in cat.footer_variables:
        if not re.search(r"\{\{&?\s*" + re.escape(name) + r"\s*\}\}", text):
            yield Problem(rel, "/", "legal-footer", f"the plain-text alternative does not show {name}")
    if t.audience == "customer" and not re.search(
            r"unsubscribe\W+\{\{&?\s*" + re.escape(cat.unsubscribe_variable) + r"\s*\}\}", text, re.I):
        yield Problem(rel, "/", "legal-footer", f"the plain-text alternative has no 'Unsubscribe: "
                      f"{{{{&{cat.unsubscribe_variable}}}}}' line")


def _read(root: Path, rel_key: str, rel: str, problems: list[Problem]) -> str | None:
    path = root / rel_key
    if not path.is_file():
        problems.append(Problem(rel, "/", "missing-template", "does not exist (the catalogue lists it)"))
        return None
    return read_text(root, path, problems, limit=MAX_TEMPLATE_BYTES)


def _rel(root: Path, key: str) -> str:
    return f"{root.name}/{key}"


def validate_template(root: Path, t: TemplateDef, cat: TemplateCatalogue) -> list[Problem]:
    """Every rule over one template's HTML and plain-text files."""
    problems: list[Problem] = []
    scopes = declared(t.variables)
    used: set[tuple[str, str]] = set()
    html_rel, text_rel = _rel(root, t.key), _rel(root, t.text_key)
    html = _read(root, t.key, html_rel, problems)
    if html is not None:
        parser, found = _html_structure(html_rel, html)
        problems += found
        try:
            uses = mustache_uses(html) if parser is not None else []
        except MustacheError as exc:
            problems.append(Problem(html_rel, exc.where, "mustache-syntax", str(exc)))
            parser = None  # tags that do not parse: the other rules would only guess
        if parser is not None:
            found, used = _variable_problems(html_rel, uses, scopes, t.variables_file, html=True)
            problems += found
            for scope, names in scopes.items():
                for name in sorted(names - {n for s, n in used if s == scope}):
                    label = name if not scope else f"{scope}[].{name}"
                    problems.append(Problem(html_rel, "/", "unused-variable",
                                            f"{label} is declared in {t.variables_file} but never used"))
            problems += _branding_and_footer(html_rel, t, cat, parser, html)
    text = _read(root, t.text_key, text_rel, problems)
    if text is not None:
        try:
            uses = mustache_uses(text)
        except MustacheError as exc:
            problems.append(Problem(text_rel, exc.where, "mustache-syntax", str(exc)))
        else:
            problems += _variable_problems(text_rel, uses, scopes, t.variables_file, html=False)[0]
            problems += _text_rules(text_rel, t, cat, text)
    return problems


def validate_templates(contract: Contract, root: Path | None = None) -> list[Problem]:
    """Every template of the catalogue, and no file the catalogue does not list."""
    cat = contract.templates
    if cat is None:
        return []
    root = root or contract.templates_root
    if not root.is_dir():
        return [Problem(root.name, "/", "missing-template", f"the template folder {root} does not exist")]
    problems: list[Problem] = []
    for t in cat.templates:
        problems += validate_template(root, t, cat)
    known = {k for t in cat.templates for k in (t.key, t.text_key)}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if key not in known:
            problems.append(Problem(_rel(root, key), "/", "unknown-template",
                                    "not in contracts/templates.yaml: it would be uploaded and never checked"))
    return sorted(set(problems))


def template_files(contract: Contract, root: Path | None = None) -> dict[str, bytes]:
    """Every object the templates bucket holds (key -> bytes): each template and its plain-text alternative."""
    cat = contract.templates
    root = root or contract.templates_root
    files: dict[str, bytes] = {}
    for t in cat.templates if cat else ():
        for key in (t.key, t.text_key):
            path = root / key
            if path.is_file():
                files[key] = path.read_bytes()
    return files
