"""The slim ``live`` extra (ADR 0074): the live and plan jobs hold AWS credentials, so they install neither moto,
Locust, Selenium nor testcontainers, and what a run against AWS or a plan imports must not need them; an
expired SSO session is one line naming ``aws sso login --profile``."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("moto", "locust", "selenium", "testcontainers", "hypothesis", "gevent")

BLOCKER = textwrap.dedent(f"""
    import importlib.abc, sys
    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {HEAVY!r}:
                raise ImportError("not in the live extra: " + name)
    sys.meta_path.insert(0, Blocker())
""")


def test_the_live_extra_has_no_emulator_load_or_browser_package() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {req.split("[")[0].split(">")[0].split("=")[0].strip().lower() for req in extras["live"]}
    assert names == {"pytest", "pytest-bdd"}
    assert not names & set(HEAVY)


def test_the_live_and_plan_tox_envs_install_only_the_live_extra() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    assert {name: parser[f"testenv:{name}"].get("extras") for name in ("dev-live", "sit-live", "prod-live", "plan")} \
        == dict.fromkeys(("dev-live", "sit-live", "prod-live", "plan"), "live")


def test_a_plan_run_works_without_moto_locust_or_selenium(tmp_path: Path) -> None:
    """The whole pytest path of a plan run (plugin, conftest, steps, engine), with those packages unimportable."""
    (tmp_path / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                           "-m", "acceptance and on_demand", "--env", "sit", "--target", "plan", "--plan-json",
                           str(ROOT / "tests" / "fixtures" / "plans" / "sit-noop.json"),
                           "--report-dir", str(tmp_path / "r")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (tmp_path / "r" / "readiness.json").is_file()
    probe = subprocess.run([sys.executable, "-c", "import moto"], capture_output=True, text=True, env=env,
                           check=False, timeout=60)
    assert "not in the live extra: moto" in probe.stderr, "the blocker must really block"


def test_an_expired_sso_session_says_aws_sso_login(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile bbws-sit]\nsso_start_url = https://example.awsapps.com/start\n"
                      "sso_region = eu-west-1\nsso_account_id = 815856636111\nsso_role_name = ReadOnly\n"
                      "region = eu-west-1\n", encoding="utf-8")
    env = {**os.environ, "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "HOME": str(tmp_path)}
    env.pop("AWS_PROFILE", None)
    done = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "sit", "--target", "aws",
                           "--profile", "bbws-sit", "--report-dir", str(tmp_path / "r")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 3
    assert done.stderr.strip() == ("error: the AWS SSO session of profile bbws-sit has expired or was never "
                                   "started: run aws sso login --profile bbws-sit")
