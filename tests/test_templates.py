"""The twelve email templates: validation rules on one-edit copies, and `python -m readiness validate`.

Each invalid case copies contracts/ and templates/ into tmp_path, edits exactly one file, and asserts
that :func:`readiness.templates.validate_templates` reports that rule, in that file, at that location.
``test_rule_has_an_invalid_case`` fails when a rule is added to the module without a case here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_copy import REAL_CONTRACTS, json_doc

import readiness.contract.templates as tpl
from readiness.contract.lint_s3 import LLD_TEMPLATE_KEYS
from readiness.contract.loading import load_contract
from readiness.contract.model import Problem
from readiness.contract.templates import validate_templates

REPO = REAL_CONTRACTS.parent
Edit = Callable[[Path], None]
CASES: list[Any] = []


def edit_text(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def case(rule: str, file: str, location: str) -> Callable[[Edit], Edit]:
    def register(edit: Edit) -> Edit:
        CASES.append(pytest.param(edit, rule, file, location, id=f"{rule}/{edit.__name__}"))
        return edit
    return register


def problems_of(contracts: Path) -> list[Problem]:
    return validate_templates(load_contract(contracts))


# ------------------------------------------------------------------------------------ invalid cases

T = "templates"


@case("missing-template", f"{T}/invoices/invoice_internal.txt", "/")
def plain_text_deleted(root: Path) -> None:
    """The plain-text alternative of an internal invoice is gone (004 4.2.2)."""
    (root.parent / T / "invoices/invoice_internal.txt").unlink()


@case("unknown-template", f"{T}/receipts/refund.html", "/")
def stray_template(root: Path) -> None:
    """A template nobody catalogued would be uploaded and never checked."""
    (root.parent / T / "receipts/refund.html").write_text("<p>refund</p>", encoding="utf-8")


@case("html-syntax", f"{T}/receipts/order.html", "line 61 column 13")
def footer_never_closed(root: Path) -> None:
    """</footer> deleted: the mail client guesses where the footer ends."""
    edit_text(root.parent / T / "receipts/order.html", "        </footer>\n", "")


@case("html-syntax", f"{T}/invoices/invoice.html", "line 71 column 1")
def stray_end_tag(root: Path) -> None:
    """A stray </div> before </body>."""
    edit_text(root.parent / T / "invoices/invoice.html", "</body>", "</div>\n</body>")


@case("mustache-syntax", f"{T}/receipts/receipt.html", "line 46 column 13")
def section_never_closed(root: Path) -> None:
    """{{/items}} deleted: Mustache cannot render the line items."""
    edit_text(root.parent / T / "receipts/receipt.html", "{{/items}}", "")


@case("mustache-syntax", f"{T}/receipts/receipt_internal.txt", "line 1 column 1")
def partial_used(root: Path) -> None:
    """A partial: the Lambdas load one file per template, so it would not be found."""
    path = root.parent / T / "receipts/receipt_internal.txt"
    path.write_text("{{>header}}" + path.read_text(encoding="utf-8"), encoding="utf-8")


@case("mustache-syntax", f"{T}/receipts/receipt_internal.txt", "line 3 column 9")
def delimiters_changed_to_hide_a_tag(root: Path) -> None:
    """{{=<% %>=}} then <%&receipt_number%>: the tags after a delimiter change would escape every rule."""
    edit_text(root.parent / T / "receipts/receipt_internal.txt",
              "{{&receipt_number}}", "{{=<% %>=}}<%&receipt_number%>")


@case("mustache-syntax", f"{T}/receipts/receipt_internal.txt", "line 1 column 1")
def empty_tag(root: Path) -> None:
    """{{}} names nothing (chevron's tokenizer ends in an IndexError on it)."""
    path = root.parent / T / "receipts/receipt_internal.txt"
    path.write_text("{{}}" + path.read_text(encoding="utf-8"), encoding="utf-8")


@case("html-syntax", f"{T}/notifications/order_confirmation_customer.html", "line 36 column 23")
def bare_less_than(root: Path) -> None:
    """A '<' that starts no tag: mail clients guess, and Python's HTMLParser rescans the rest of the file."""
    edit_text(root.parent / T / "notifications/order_confirmation_customer.html",
              "We have received", "We have < received")


@case("file-size", f"{T}/invoices/invoice.txt", "/")
def template_over_the_size_limit(root: Path) -> None:
    """A plain-text alternative padded past 512 KiB: no e-mail needs it, and every check would read it."""
    path = root.parent / T / "invoices/invoice.txt"
    path.write_text(path.read_text(encoding="utf-8") + "x" * (tpl.MAX_TEMPLATE_BYTES + 1), encoding="utf-8")


@case("unescaped-variable", f"{T}/notifications/order_confirmation_customer.html", "line 36 column 44")
def customer_name_unescaped(root: Path) -> None:
    """{{{customer_name}}}: a customer's name would be rendered as markup."""
    edit_text(root.parent / T / "notifications/order_confirmation_customer.html",
              "{{customer_name}}", "{{{customer_name}}}")


@case("undeclared-variable", f"{T}/notifications/site_creation_customer.html", "line 36 column 45")
def undeclared_variable(root: Path) -> None:
    """{{customer_first_name}} is not in the variables contract: it would render empty."""
    edit_text(root.parent / T / "notifications/site_creation_customer.html",
              "{{customer_name}}", "{{customer_first_name}}")


@case("undeclared-variable", f"{T}/invoices/invoice.txt", "line 3 column 9")
def undeclared_in_plain_text(root: Path) -> None:
    """The plain-text alternative uses a variable the contract does not declare."""
    edit_text(root.parent / T / "invoices/invoice.txt", "{{&invoice_number}}", "{{&invoice_no}}")


@case("unused-variable", f"{T}/notifications/payment_confirmation_internal.html", "/")
def declared_but_unused(root: Path) -> None:
    """The contract demands a variable no template shows (a stale contract)."""
    with json_doc(root, "template-variables/notifications/payment_confirmation_internal.schema.json") as v:
        v["properties"]["refund_id"] = {"type": "string", "minLength": 1}
        v["required"].append("refund_id")


@case("responsive", f"{T}/invoices/invoice_internal.html", "<head>")
def no_viewport(root: Path) -> None:
    """Without a viewport the layout is not mobile-friendly (004 4.2.2)."""
    edit_text(root.parent / T / "invoices/invoice_internal.html",
              '  <meta name="viewport" content="width=device-width, initial-scale=1">\n', "")


@case("branding", f"{T}/receipts/order_internal.html", "/")
def logo_removed(root: Path) -> None:
    """The BBWS/KimmyAI logo is gone (004 4.2.2 Branding)."""
    edit_text(root.parent / T / "receipts/order_internal.html", 'alt="BBWS KimmyAI"', 'alt=""')


@case("legal-footer", f"{T}/notifications/site_creation_customer.html", "<footer>")
def unsubscribe_link_removed(root: Path) -> None:
    """A customer e-mail without its unsubscribe link (004 4.2.2 Legal Footer)."""
    edit_text(root.parent / T / "notifications/site_creation_customer.html",
              '<a href="{{unsubscribe_url}}" class="unsubscribe">Unsubscribe</a> from these e-mails.',
              "Manage your e-mail preferences in the portal.")
    with json_doc(root, "template-variables/notifications/site_creation_customer.schema.json") as v:
        v["properties"]["unsubscribe_url"]["description"] = "still declared, no longer linked"


@case("legal-footer", f"{T}/receipts/receipt.txt", "/")
def plain_text_without_unsubscribe(root: Path) -> None:
    """The plain-text alternative of a customer e-mail lost its unsubscribe line."""
    edit_text(root.parent / T / "receipts/receipt.txt", "Unsubscribe: {{&unsubscribe_url}}\n", "")


@case("legal-footer", f"{T}/invoices/invoice.html", "<footer>")
def address_removed(root: Path) -> None:
    """The company address is not in the footer's <address>."""
    edit_text(root.parent / T / "invoices/invoice.html", "<address>BBWS, {{company_address}}</address>",
              "<address>BBWS</address><p>{{company_address}}</p>")


# --------------------------------------------------------------------------------------------- tests


def test_the_committed_templates_are_clean() -> None:
    contract = load_contract()
    assert contract.templates is not None
    assert sorted(t.key for t in contract.templates.templates) == sorted(LLD_TEMPLATE_KEYS)
    assert validate_templates(contract) == []


@pytest.mark.parametrize(("edit", "rule", "file", "location"), CASES)
def test_validation_catches(contracts: Path, edit: Edit, rule: str, file: str, location: str) -> None:
    assert problems_of(contracts) == [], "the unedited copy must be clean"
    edit(contracts)
    problems = problems_of(contracts)
    assert any(p.file == file and p.location == location and p.rule == rule for p in problems), (
        f"expected {file}: {location}: {rule}: ... ({edit.__doc__})\ngot:\n" + "\n".join(map(str, problems)))


RULES = set(re.findall(r"^- ``([a-z-]+)``(?: / ``([a-z-]+)``)?", tpl.__doc__ or "", re.M))
DOCUMENTED = {r for pair in RULES for r in pair if r}


@pytest.mark.parametrize("rule", sorted(DOCUMENTED))
def test_rule_has_an_invalid_case(rule: str) -> None:
    assert rule in {p.values[1] for p in CASES}, f"no invalid case exercises template rule {rule!r}"


def test_every_case_names_a_documented_rule() -> None:
    assert len(DOCUMENTED) >= 10
    assert {p.values[1] for p in CASES} <= DOCUMENTED


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "readiness", "validate", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)


def test_cli_validate_reports_a_broken_template_with_exit_2(contracts: Path) -> None:
    customer_name_unescaped(contracts)
    result = _validate(contracts)
    assert result.returncode == 2, result.stdout + result.stderr
    assert ("templates/notifications/order_confirmation_customer.html: line 36 column 44: unescaped-variable: "
            in result.stdout)
    assert "Traceback" not in result.stderr


def test_cli_validate_counts_the_templates(contracts: Path) -> None:
    result = _validate(contracts)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 bucket(s), 12 templates" in result.stdout


# ---------------------------------------------------------------------- the catalogue's own problems


def _contract_problems(contracts: Path) -> list[str]:
    result = _validate(contracts)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()


def test_a_missing_variables_contract_is_one_line_and_exit_2(contracts: Path) -> None:
    (contracts / "template-variables/receipts/order.schema.json").unlink()
    lines = _contract_problems(contracts)
    assert any(line.startswith("contracts/templates.yaml: /templates/2/key: missing-file: ") and
               "template-variables/receipts/order.schema.json" in line for line in lines), lines


def test_a_variables_contract_that_is_no_json_schema_is_reported_where_it_is_wrong(contracts: Path) -> None:
    with json_doc(contracts, "template-variables/invoices/invoice.schema.json") as v:
        v["properties"]["tax"]["type"] = "money"
    lines = _contract_problems(contracts)
    assert any(line.startswith("contracts/template-variables/invoices/invoice.schema.json: "
                               "/properties/tax/type: variables-schema: ") for line in lines), lines


def test_a_catalogue_entry_off_the_lld_paths_fails_its_schema(contracts: Path) -> None:
    path = contracts / "templates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("key: invoices/invoice.html",
                                                              "key: billing/invoice.html"), encoding="utf-8")
    lines = _contract_problems(contracts)
    assert any(line.startswith("contracts/templates.yaml: /templates/10/key: schema: ") for line in lines), lines


def test_cli_validate_accepts_a_template_file(contracts: Path) -> None:
    """`validate templates/receipts/receipt.html` (004 6.3.2 validates template files) checks that contract."""
    template = contracts.parent / "templates" / "receipts" / "receipt.html"
    assert _validate(template).returncode == 0
    unsubscribe_link_removed(contracts)
    result = _validate(template)
    assert result.returncode == 2 and "site_creation_customer.html: <footer>: legal-footer: " in result.stdout
