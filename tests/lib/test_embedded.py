"""The embedded-services runner behind `make run` and `make test`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clinic.lib import embedded


def test_given_servers_are_used_and_nothing_embedded_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://clinic@db.example.org/clinic")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example.org:6379/0")
    started: list[str] = []
    monkeypatch.setattr(embedded, "embedded_postgres", lambda: started.append("postgres"))
    monkeypatch.setattr(embedded, "embedded_redis", lambda: started.append("redis"))

    with embedded.services() as env:
        assert env["DATABASE_URL"] == "postgres://clinic@db.example.org/clinic"
        assert env["REDIS_URL"] == "redis://cache.example.org:6379/0"
    assert started == []


def test_an_embedded_redis_starts_answers_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    with embedded.embedded_redis() as url:
        client = redis.Redis.from_url(url)
        assert client.ping()
        port = client.connection_pool.connection_kwargs["port"]
    with pytest.raises(redis.ConnectionError):
        redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1).ping()


def test_the_runner_passes_the_commands_exit_code_on() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic.lib.embedded",
            "--",
            sys.executable,
            "-c",
            "raise SystemExit(3)",
        ],
        capture_output=True,
        check=False,
        env={"PATH": "", "DATABASE_URL": "postgres://x@y/z", "REDIS_URL": "redis://y:1/0"},
    )
    assert result.returncode == 3
