"""The email templates under ``templates/``: validate them against their catalogue and variables contracts.

Rules (each a :class:`~readiness.contract.model.Problem` ``file: location: rule: message``):

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
from pathlib import Path
from typing import Any

from readiness.contract.model import Contract, Problem, TemplateCatalogue, TemplateDef
from readiness.contract.reading import read_text
from readiness.contract.template_parsing import (
    MAX_TEMPLATE_BYTES,
    HtmlStructure,
    MustacheError,
    Use,
    html_structure,
    mustache_uses,
)

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def md5_hex(data: bytes) -> str:
    """The hex MD5 of a file's bytes: what S3 reports as the ETag of a single-part upload without SSE-KMS."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def content_type(key: str) -> str:
    return CONTENT_TYPES[Path(key).suffix]


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


def _branding_and_footer(rel: str, t: TemplateDef, cat: TemplateCatalogue, parser: HtmlStructure,
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
        parser, found = html_structure(html_rel, html)
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
