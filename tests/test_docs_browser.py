"""The living documentation as a person opens it: headless Chromium on the site from disk (file://).

``tox -e docs`` builds ``site/`` from the runs under ``reports/`` and then runs this test on that site
(READINESS_DOCS_SITE, READINESS_DOCS_REPORTS); run on its own (``pytest -m browser``) it builds a site
from hand-made reports. The dashboard's verdicts must match each run's readiness.json, a feature link
must lead to that feature's page, the headline must answer "promotable?" per environment, the history must
show the kept runs, and a screenshot is saved (READINESS_DOCS_SCREENSHOT; CI uploads reports/docs-screenshot.png).

Chromium is Debian's ``chromium`` with its ``chromedriver`` (CHROMIUM / CHROMEDRIVER override the
paths); ``.ci/run`` installs them. Without them the test fails under CI and is skipped, saying how to
install them, on a developer's machine.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.report.site import build
from readiness.report.site_load import report_dirs

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).is_file() and os.access(p, os.X_OK))]
    if missing:
        how = ("install them: apt-get install -y chromium chromium-driver "
               "(or point CHROMIUM and CHROMEDRIVER at a Chrome and its driver)")
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs {' and '.join(missing)}: {how}", pytrace=False)
        pytest.skip(f"not in CI and {' and '.join(missing)} missing: {how}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """(site directory, the report directories of its newest build).

    On its own, the site is built four times into one directory, as CI builds it after each run: SIT on moto
    three times (BLOCKED with a missing table, then INCOMPLETE, then READY), so the history holds at least
    three runs, then the newest runs of SIT and PROD."""
    built, reports = os.environ.get("READINESS_DOCS_SITE"), os.environ.get("READINESS_DOCS_REPORTS")
    if built and reports:
        return Path(built), report_dirs([Path(reports)])
    return _four_builds(tmp_path_factory.mktemp("docs"))


@pytest.fixture(scope="module")
def history_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The four-build site, always (CI's own site is built once, so it has no history of its own)."""
    return _four_builds(tmp_path_factory.mktemp("history"))


def _four_builds(root: Path) -> tuple[Path, list[Path]]:
    from docs_reports import MEASUREMENTS, check, element, write_report

    gone = "users-sit does not exist"
    earlier = [
        [check("table.exists", "fail", resource="users-sit", reason=gone, actual=None),
         *[check(c, "fail", resource="users-sit", reason=gone, actual=None)
           for c in ("table.pitr", "table.tags", "table.stream")]],
        [check("table.billing_mode", "pass"), check("backup.selection", "unverifiable", reason="not implemented")],
        [check("table.billing_mode", "pass")],
    ]
    for i, checks in enumerate(earlier):
        build([write_report(root / f"build{i}" / "moto", checks=checks, kind="moto", commit="c" * 40,
                            started=f"2026-11-2{i}T09:00:00Z")], root / "site")
    runs = [
        write_report(root / "reports" / "moto", kind="moto", commit="c" * 40, started="2026-11-29T09:00:00Z",
                     checks=[
            check("table.billing_mode", "pass"),
            check("backup.selection", "unverifiable", reason="list_backup_selections answered: not implemented")],
            elements=[element("All five tables are created and ACTIVE under the contract's names", "passed", "passed"),
                      element("On-demand capacity mode is confirmed for every table", "passed", "failed",
                              error="orders-sit: expected PAY_PER_REQUEST")],
            measurements=MEASUREMENTS),
        write_report(root / "reports" / "prod-moto", environment="prod", kind="moto", commit="c" * 40,
                     started="2026-11-29T09:05:00Z", checks=[
            check("table.billing_mode", "fail", resource="orders-prod", actual="PROVISIONED")]),
        write_report(root / "reports" / "ddblocal", target="DynamoDB Local", kind="dynamodb-local", commit="c" * 40,
                     started="2026-11-29T09:10:00Z"),
    ]
    build(runs, root / "site")
    return root / "site", runs


def test_the_dashboard_shows_each_runs_verdict_and_leads_to_a_feature_page(
        browser: object, site: tuple[Path, list[Path]], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    site_dir, runs = site
    reports = [json.loads((d / "readiness.json").read_text(encoding="utf-8")) for d in runs]

    browser.get((site_dir / "index.html").resolve().as_uri())
    assert browser.title.startswith("Dashboard")
    shown = Counter((row.get_attribute("data-environment"), row.get_attribute("data-target"),
                     row.find_element(By.CSS_SELECTOR, "td.verdict").text)
                    for row in browser.find_elements(By.CSS_SELECTOR, "#runs tr.run"))
    assert shown == Counter((r["environment"], r["target"], r["verdict"]) for r in reports)
    failed = sum(1 for r in reports for c in r["checks"] if c["status"] == "fail") + sum(
        1 for r in reports for m in r.get("measurements") or [] if m["status"] == "fail")
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.blocker")) == failed
    causes = len(browser.find_elements(By.CSS_SELECTOR, "tr.root-cause"))
    assert 0 < causes <= failed if failed else causes == 0
    assert browser.find_element(By.ID, "blockers").text == f"Blockers ({causes} root causes, {failed} failed checks)"

    # the first screen answers "can it be promoted?" per environment: no run here is on the live target
    headlines = browser.find_elements(By.CSS_SELECTOR, "#headline .headline")
    assert {h.get_attribute("data-environment") for h in headlines} == {r["environment"] for r in reports}
    for h in headlines:
        env = h.get_attribute("data-environment").upper()
        live = any(r["environment"].lower() == env.lower() and r["target"] == "AWS" for r in reports)
        assert h.is_displayed() and h.location["y"] < 600, "the headline is on the first screen"
        assert h.find_element(By.CSS_SELECTOR, ".answer").text.startswith(f"{env} promotable: ")
        if not live:
            assert h.get_attribute("data-promotable") == "no"
            assert h.find_element(By.CSS_SELECTOR, ".answer").text.startswith(f"{env} promotable: no, because ")

    # the history shows the kept runs of each environment and target, with a trend
    assert browser.find_elements(By.CSS_SELECTOR, "#history ~ section.trend"), "no history"

    screenshot = Path(os.environ.get("READINESS_DOCS_SCREENSHOT") or tmp_path / "docs-screenshot.png")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000

    link = browser.find_element(By.CSS_SELECTOR, "tr.feature-row a")
    name = link.text
    link.click()
    assert browser.current_url.startswith("file://") and "/features/" in browser.current_url
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Feature: {name}"
    results = browser.find_elements(By.CSS_SELECTOR, "section.scenario tr.result")
    assert results, "the feature page shows no scenario verdict"
    assert len(results) % len(reports) == 0, "every scenario has one verdict per run"
    for row in results:
        status = row.get_attribute("data-status")
        assert status in ("passed", "failed", "unverifiable", "not applicable", "not run")
        assert row.find_element(By.CSS_SELECTOR, ".badge").text == status


def test_the_history_keeps_at_least_three_runs_with_a_trend(
        browser: object, history_site: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """Built four times into one directory, the site keeps SIT on moto's earlier runs, newest first, and draws
    their trend; on the first screen below the headline (screenshot beside the dashboard's)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    browser.get((history_site[0] / "index.html").resolve().as_uri())
    trends = browser.find_elements(By.CSS_SELECTOR, "#history ~ section.trend")
    sit_moto = next(t for t in trends if t.get_attribute("data-environment") == "sit"
                    and t.get_attribute("data-target") == "moto")
    verdicts = [r.get_attribute("data-verdict") for r in sit_moto.find_elements(By.CSS_SELECTOR, "tr.history-run")]
    assert len(verdicts) >= 3, "the history keeps earlier builds' runs"
    assert verdicts == ["INCOMPLETE", "READY", "INCOMPLETE", "BLOCKED"], "newest first"
    assert len(sit_moto.find_elements(By.CSS_SELECTOR, "g.trend-run")) == 4
    [sit] = [h for h in browser.find_elements(By.CSS_SELECTOR, "#headline .headline")
             if h.get_attribute("data-environment") == "sit"]
    assert sit.get_attribute("data-promotable") == "no", "moto runs only: never promotable"
    browser.execute_script("arguments[0].scrollIntoView()", sit_moto)
    shot = Path(os.environ.get("READINESS_DOCS_SCREENSHOT") or tmp_path / "docs-screenshot.png")
    shot = shot.with_name(shot.stem + "-history.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_site_needs_nothing_but_the_files(browser: object, site: tuple[Path, list[Path]]) -> None:
    """Every page loads from disk with no request beyond file:// (no network, no external asset)."""
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    site_dir, _ = site
    for page in sorted(site_dir.rglob("*.html")):
        browser.get(page.resolve().as_uri())
        urls = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")  # what the page fetched
        assert [u for u in urls if not str(u).startswith(("file:", "data:"))] == [], page.name
