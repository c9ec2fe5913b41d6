"""Benchmark: the pytest acceptance path against the engine and the promotion plan's own CLI validation.

Starts a moto server on 127.0.0.1, deploys one environment's contract into it once, then times whole
processes (interpreter start included, as a user waits for them) on that same account:

- ``engine``: ``python -m readiness verify --no-deploy`` (every check of the environment);
- ``pytest``: ``python -m pytest -m acceptance --no-deploy -p no:hypothesispytest --assert=plain`` (the same
  run through the features, as the tox acceptance envs run it: hypothesis's plugin costs about a second to
  load and no feature uses it; the steps' asserts carry their own messages, so pytest need not rewrite the
  ~100 modules of the engine, pytest-bdd and the steps on every run);
- ``seed CLI``: the promotion plan's post-deployment validation (003_*, "Table Validation" tests 1-3:
  every table ACTIVE, the orders GSIs, every table on demand; and Step 5's PITR loop), one ``aws``
  process per call as the plan runs it, when an ``aws`` CLI is on PATH (``--aws-cli`` names another).

It prints the median seconds of each, the properties each judged, and the ratios the issue sets
(issue 15: the pytest path within 1.5x of the engine, both at least 10x faster than the seed CLI per
property judged). Seconds are printed, not enforced, as in the other benchmarks (machines differ and CI
shares its cores); ``--enforce`` exits 1 when the pytest path is over 1.5x the engine.

    python benchmarks/acceptance_path.py [--runs 3] [--env sit] [--enforce]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from moto_endpoint import moto_server

from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.targets.base import open_target
from readiness.targets.provision import deploy

REPO = Path(__file__).resolve().parent.parent
PYTEST_LIMIT = 1.5  # the pytest path may take at most this many times the engine's whole-process time
SEED_FACTOR = 10.0  # both at least this many times faster than the seed CLI, per property judged


def _env(url: str) -> dict[str, str]:
    """A clean environment for the child processes: dummy credentials, no profile, the moto endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1",
               AWS_ENDPOINT_URL=url, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    return time.perf_counter() - started, done


def _checks_in(report_dir: Path) -> int:
    report = json.loads((report_dir / "readiness.json").read_text(encoding="utf-8"))
    return len(report["checks"])


def seed_commands(aws: str, tables: list[str], region: str) -> list[list[str]]:
    """The 003_* SIT post-deployment validation calls, one process each, in the plan's order."""
    base = [aws, "--region", region, "--output", "text"]
    commands = [[*base, "dynamodb", "describe-table", "--table-name", t, "--query", "Table.TableStatus"]
                for t in tables]
    orders = next((t for t in tables if t.startswith("orders")), tables[0])
    commands.append([*base, "dynamodb", "describe-table", "--table-name", orders,
                     "--query", "Table.GlobalSecondaryIndexes[*].[IndexName,IndexStatus]"])
    commands += [[*base, "dynamodb", "describe-table", "--table-name", t,
                  "--query", "Table.BillingModeSummary.BillingMode"] for t in tables]
    commands += [[*base, "dynamodb", "describe-continuous-backups", "--table-name", t] for t in tables]
    return commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--env", default="sit", choices=("dev", "sit", "prod"))
    parser.add_argument("--aws-cli", default=shutil.which("aws"), help="the aws CLI for the seed's validation")
    parser.add_argument("--enforce", action="store_true", help="exit 1 when the pytest path is over 1.5x the engine")
    args = parser.parse_args()
    desired = desired_state(load_contract(), args.env)
    tables = [t.name for t in desired.tables]
    seconds: dict[str, list[float]] = {"engine": [], "pytest": [], "seed CLI": []}
    judged: dict[str, int] = {}

    with moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        with open_target("moto", endpoint_url=url) as target:
            deploy(target, desired)
        env = _env(url)
        common = [f"--env={args.env}", "--target=moto", f"--endpoint-url={url}", "--no-deploy"]
        for run in range(args.runs):
            out = Path(tmp) / f"engine-{run}"
            took, done = _timed([sys.executable, "-m", "readiness", "verify", *common, f"--report-dir={out}"], env)
            if not (out / "readiness.json").is_file():
                print(f"engine run failed (exit {done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
                return 2
            seconds["engine"].append(took)
            judged["engine"] = _checks_in(out)
            out = Path(tmp) / f"pytest-{run}"
            took, done = _timed([sys.executable, "-m", "pytest", "-m", "acceptance", *common, f"--report-dir={out}",
                                 "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--assert=plain"], env)
            if not (out / "readiness.json").is_file():
                print(f"pytest run failed (exit {done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
                return 2
            seconds["pytest"].append(took)
            judged["pytest"] = _checks_in(out)
            if args.aws_cli:
                commands = seed_commands(args.aws_cli, tables, desired.env.region)
                started = time.perf_counter()
                for command in commands:
                    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
                    if done.returncode != 0:
                        print(f"seed CLI call failed: {' '.join(command[1:])}: {done.stderr.strip()[-300:]}")
                        return 2
                seconds["seed CLI"].append(time.perf_counter() - started)
                # the plan judges: each table ACTIVE, the orders GSIs, each table on demand, each table's PITR
                judged["seed CLI"] = 3 * len(tables) + 1

    print(f"benchmark: {args.env.upper()} verification as whole processes against one moto server, "
          f"{args.runs} runs each")
    median = {k: statistics.median(v) for k, v in seconds.items() if v}
    for name, took in median.items():
        print(f"  {name:<9} median {took:6.2f} s  {judged[name]:4d} properties judged  "
              f"{1000 * took / judged[name]:7.1f} ms per property")
    if "seed CLI" not in median:
        print("  seed CLI  not measured: no aws CLI on PATH (pip install awscli, or --aws-cli PATH)")
    ratio = median["pytest"] / median["engine"]
    print(f"  pytest / engine: {ratio:.2f}x (limit {PYTEST_LIMIT}x)")
    if "seed CLI" in median:
        per = {k: median[k] / judged[k] for k in median}
        for name in ("engine", "pytest"):
            print(f"  {name} vs seed CLI per property: {per['seed CLI'] / per[name]:.1f}x faster "
                  f"(target >= {SEED_FACTOR:.0f}x)")
    over = ratio > PYTEST_LIMIT
    print(f"  result      pytest path {'OVER' if over else 'within'} {PYTEST_LIMIT}x of the engine")
    return 1 if over and args.enforce else 0


if __name__ == "__main__":
    sys.exit(main())
