"""Render every template with Mustache (chevron) from variables generated out of its variables contract.

The strategies are built here from each JSON Schema (hypothesis-jsonschema does not work with the
hypothesis in use): strings by ``pattern`` (``from_regex``) or length, integers by bounds, lists of
objects by ``items``. Every generated set is checked against the schema first, so a strategy that
drifted from its contract fails loudly instead of testing something else.

- any valid variables render every template without a missing value, and each value reaches the e-mail;
- hostile values (markup, quotes, ampersands) are escaped in the HTML: the document keeps exactly its
  elements and the value reads back as text; the plain-text alternative carries the value verbatim.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from typing import Any

import chevron
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.contract.loading import load_contract
from readiness.contract.model import TemplateDef
from readiness.contract.template_parsing import HtmlStructure, mustache_uses

CONTRACT = load_contract()
assert CONTRACT.templates is not None
TEMPLATES = CONTRACT.templates.templates
ROOT = CONTRACT.templates_root
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOSTILE = st.sampled_from(['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "A & B <b>bold</b>",
                           "</td></tr></table>", "{{logo_url}}", "O'Brien \"Q\" <x>"])


def strategy(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for the subset of JSON Schema the variables contracts use."""
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        # no braces: "{{" left in the output must mean a tag the render missed, not a value that had one
        # (values that look like tags are the hostile test's)
        alphabet = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="{}")
        return st.text(alphabet, min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**31)), min(schema.get("maximum", 10**6), 10**6))
    if kind == "array":
        return st.lists(strategy(schema["items"]), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":
        props = schema.get("properties", {})
        return st.fixed_dictionaries({name: strategy(props[name]) for name in schema.get("required", props)})
    raise AssertionError(f"the variables contracts use a type this strategy builder does not know: {kind}")


def hostile(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Like strategy(), but every string is markup an attacker could type into a form."""
    kind = schema.get("type")
    if kind == "string":
        return HOSTILE
    if kind == "array":
        return st.lists(hostile(schema["items"]), min_size=1, max_size=2)
    if kind == "object":
        props = schema.get("properties", {})
        return st.fixed_dictionaries({name: hostile(props[name]) for name in schema.get("required", props)})
    return strategy(schema)


def render(t: TemplateDef, key: str, data: Mapping[str, Any]) -> str:
    """chevron.render with warn=True; a missing key is a failure, not an empty string."""
    warnings = io.StringIO()
    with contextlib.redirect_stderr(warnings):
        out = chevron.render((ROOT / key).read_text(encoding="utf-8"), dict(data), warn=True)
    assert not warnings.getvalue(), f"{key}: {warnings.getvalue().strip()}"
    return str(out)


def resolved(key: str, data: Mapping[str, Any]) -> None:
    """Every tag of the template finds its value in data (the section's item first, then the top level)."""
    for use in mustache_uses((ROOT / key).read_text(encoding="utf-8")):
        if use.kind in ("comment", "delimiter"):
            continue
        scopes = [data] + [item for s in use.sections for item in data.get(s, [])]
        assert any(use.name in scope for scope in scopes), f"{key} line {use.line}: {use.name} has no value"


def structure(html: str) -> list[str]:
    parser = HtmlStructure()
    parser.feed(html)
    parser.close()
    assert not parser.errors and not parser.stack
    return [tag for tag, _, _ in parser.elements]


def texts(html: str) -> str:
    parser = HtmlStructure()
    parser.feed(html)
    parser.close()
    return "".join(d for d, _ in parser.texts)


def attributes(html: str) -> list[str]:
    parser = HtmlStructure()
    parser.feed(html)
    parser.close()
    return [v for _, attrs, _ in parser.elements for v in attrs.values()]


def test_every_template_has_a_strategy() -> None:
    assert len(TEMPLATES) == 12
    for t in TEMPLATES:
        strategy(t.variables)  # raises for a schema construct the builder does not know


@pytest.mark.parametrize("t", TEMPLATES, ids=lambda t: t.key)
def test_any_valid_variables_render_without_missing_values(t: TemplateDef) -> None:
    @SETTINGS
    @given(strategy(t.variables))
    def check(data: dict[str, Any]) -> None:
        jsonschema.validate(data, t.variables)  # the strategy produces what the contract allows
        for key in (t.key, t.text_key):
            resolved(key, data)
            render(t, key, data)
        html = render(t, t.key, data)
        plain = render(t, t.text_key, data)
        assert "{{" not in html and "{{" not in plain
        visible = texts(html) + " ".join(attributes(html))
        for name, value in data.items():
            if isinstance(value, str):
                assert value in visible, f"{t.key}: {name}={value!r} does not reach the e-mail"

    check()


def defanged(value: Any) -> Any:
    """The same shape with every string replaced by a harmless word."""
    if isinstance(value, str):
        return "x"
    if isinstance(value, list):
        return [defanged(v) for v in value]
    if isinstance(value, dict):
        return {k: defanged(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("t", TEMPLATES, ids=lambda t: t.key)
def test_hostile_values_are_escaped_in_html_and_verbatim_in_plain_text(t: TemplateDef) -> None:
    @SETTINGS
    @given(hostile(t.variables))
    def check(data: dict[str, Any]) -> None:
        html = render(t, t.key, data)
        assert structure(html) == structure(render(t, t.key, defanged(data))), (
            f"{t.key}: a variable's value changed the document's elements")
        visible = texts(html) + " ".join(attributes(html))
        plain = render(t, t.text_key, data)
        for name, value in data.items():
            if isinstance(value, str):
                assert value in visible, f"{t.key}: {name}={value!r} does not read back as text"
        for use in mustache_uses((ROOT / t.text_key).read_text(encoding="utf-8")):
            value = data.get(use.name)
            if isinstance(value, str):
                assert value in plain, f"{t.text_key}: {use.name} is not verbatim in the plain text"

    check()


def test_an_unescaped_tag_would_let_markup_through() -> None:
    """The hostile check can fail: the same data through {{{name}}} adds a <script> element."""
    template = "<p>{{name}}</p>"
    data = {"name": '<script>alert("x")</script>'}
    assert structure(chevron.render(template, data)) == ["p"]
    assert structure(chevron.render(template.replace("{{name}}", "{{{name}}}"), data)) == ["p", "script"]
