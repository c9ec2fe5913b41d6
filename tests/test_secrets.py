"""No secrets out: with (fake) credentials in the environment, no report, console line or log record holds them.

The fake credentials are shaped like real ones (an AKIA key id, a 40-character secret, a long session
token), so both kinds of masking are exercised: the environment's values and the shapes. The runs:

- ``python -m readiness verify`` on embedded moto, as a subprocess with the credentials in its environment;
- a live-target observation through the faulty endpoint (tests/test_faults.py) with botocore's DEBUG log
  captured, which prints every signed request's headers, and an AWS error that quotes the security token
  back (as SignatureDoesNotMatch does with the canonical request): the UNVERIFIABLE reason, the report and
  the log all stay clean;
- the account guard answered with that error: the one-sentence TargetError stays clean.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_endpoint import moto_server
from test_faults import ANSWERS, LiveLikeTarget, faulty_endpoint

from readiness.contract.desired import desired_state
from readiness.contract.model import Contract
from readiness.redact import MASK, install_log_redaction, redact
from readiness.run import verify
from readiness.safety import guard_account
from readiness.targets.base import TargetError, open_target
from readiness.targets.provision import deploy

REPO = Path(__file__).resolve().parent.parent
KEY_ID = "AKIAZZZZEXAMPLE7QXRT"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEFAKEtokenFORtestsONLY0123456789abcdefABCDEF+/=" * 3
SECRETS = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}


def assert_clean(text: str, where: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"{name} leaked into {where}"
    assert TOKEN[:24] not in text and SECRET[:20] not in text, f"part of a secret leaked into {where}"


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# ----------------------------------------------------------------------------------------------- redact


def test_redact_masks_the_environment_s_credentials_and_credential_shapes(secret_env: None) -> None:
    text = (f"key {KEY_ID} secret {SECRET} token {TOKEN}; headers={{'X-Amz-Security-Token': b'abc.def'}}; "
            "Authorization: AWS4-HMAC-SHA256 Credential=ASIAQQQQEXAMPLE12345/20260107/eu-west-1/dynamodb/aws4_request, "
            "Signature=0123456789abcdef0123456789abcdef; aws_secret_access_key = hunter2hunter2")
    clean = redact(text)
    assert_clean(clean, "redact()")
    for leaked in ("ASIAQQQQEXAMPLE12345", "abc.def", "0123456789abcdef0123", "hunter2"):
        assert leaked not in clean, leaked
    assert clean.count(MASK) >= 7


def test_redact_leaves_ordinary_text_and_fake_emulator_credentials_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    text = ("UNVERIFIABLE table.pitr tenants-sit: describe_continuous_backups(tenants-sit)@eu-west-1 answered: "
            "HTTP 400 ThrottlingException: Rate exceeded (testing)")
    assert redact(text) == text


def test_log_records_are_redacted_for_every_logger(secret_env: None, caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    with caplog.at_level(logging.DEBUG):
        endpoint_log = logging.getLogger("botocore.endpoint")
        endpoint_log.debug("Sending http request: headers=%s", {"X-Amz-Security-Token": TOKEN})
        logging.getLogger("somewhere.else").warning("secret is %s", SECRET)
    assert len(caplog.records) == 2
    assert_clean(caplog.text, "the captured log")
    assert MASK in caplog.text


# -------------------------------------------------------------------------------------------- full runs


def test_a_verify_run_with_credentials_in_the_environment_writes_none_of_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | SECRETS
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "sit", "--target", "moto",
                           f"--report-dir={reports}"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_clean(done.stdout + done.stderr, "the console")
    written = {p.name: p.read_text(encoding="utf-8") for p in reports.iterdir()}
    assert set(written) == {"readiness.json", "readiness.md"}
    for name, text in written.items():
        assert_clean(text, name)
    assert json.loads(written["readiness.json"])["verdict"] == "INCOMPLETE"


@pytest.fixture(scope="module")
def sit_account(loaded_contract: Contract) -> Iterator[str]:
    with moto_server() as url:
        with open_target("moto", endpoint_url=url) as target:
            deploy(target, desired_state(loaded_contract, "sit"))
        yield url


def _quoting_the_token() -> tuple[int, str, bytes]:
    """What AWS answers for a bad signature: the canonical request, security token header included."""
    message = (f"The request signature we calculated does not match the signature you provided. The canonical "
               f"request was POST / host:dynamodb.eu-west-1.amazonaws.com x-amz-security-token:{TOKEN} "
               f"Credential={KEY_ID}/20260107/eu-west-1/dynamodb/aws4_request")
    body = json.dumps({"__type": "com.amazon.coral.service#InvalidSignatureException", "message": message})
    return 400, "application/x-amz-json-1.0", body.encode()


def test_a_live_observation_leaks_nothing_into_reasons_report_or_debug_log(
        sit_account: str, secret_env: None, loaded_contract: Contract, tmp_path: Path,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ANSWERS, "quotes-token", _quoting_the_token())
    with faulty_endpoint(sit_account) as e, caplog.at_level(logging.DEBUG):
        e.inject("DescribeTimeToLive", "quotes-token")
        install_log_redaction()
        target = LiveLikeTarget("aws", endpoint_url=e.url, read_only=True)
        run = verify(target, loaded_contract, "sit", deploy_first=False)
        report = run.report()
        paths = report.write(tmp_path)

    ttl = [v for v in run.verdicts if v.id == "table.ttl"]
    assert ttl and all(v.status == "unverifiable" and "InvalidSignatureException" in v.reason for v in ttl)
    assert all(MASK in v.reason for v in ttl)
    for v in run.verdicts:
        assert_clean(v.line(), f"the verdict {v.id} {v.resource}")
    for line in report.console_lines():
        assert_clean(line, "the console")
    for path in paths:
        assert_clean(path.read_text(encoding="utf-8"), path.name)
    assert "Sending http request" in caplog.text, "botocore's DEBUG log was captured"
    assert_clean(caplog.text, "the DEBUG log")


def test_the_account_guard_s_error_leaks_nothing(sit_account: str, secret_env: None, loaded_contract: Contract,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, body = _quoting_the_token()
    message = json.loads(body)["message"]
    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>{message}"
           "</Message></Error><RequestId>r</RequestId></ErrorResponse>").encode()
    monkeypatch.setitem(ANSWERS, "sts-quotes-token", (403, "text/xml", xml))
    with faulty_endpoint(sit_account) as e:
        e.inject("GetCallerIdentity", "sts-quotes-token")
        with pytest.raises(TargetError) as err:
            guard_account(LiveLikeTarget("aws", endpoint_url=e.url, read_only=True), loaded_contract.environment("sit"))
    assert "SignatureDoesNotMatch" in str(err.value)
    assert_clean(str(err.value), "the guard's error")




def test_pre_commit_refuses_credentials_and_private_keys() -> None:
    import yaml

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] if repo["repo"].endswith("/pre-commit-hooks")
             for h in repo["hooks"]}
    assert {"detect-aws-credentials", "detect-private-key"} <= set(hooks)
    assert "--allow-missing-credentials" in hooks["detect-aws-credentials"].get("args", [])
