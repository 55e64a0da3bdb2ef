"""The web workers' garbage collection (gunicorn.conf.py): between requests, not during them."""

from __future__ import annotations

import gc
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture
def conf() -> Iterator[dict[str, Any]]:
    """The settings module as gunicorn reads it; the collector as it was, afterwards."""
    thresholds = gc.get_threshold()
    yield runpy.run_path(str(CONF))
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_worker_freezes_what_it_loaded_and_keeps_the_collector_out_of_requests(
    conf: dict[str, Any],
) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    conf["post_worker_init"](worker=None)

    assert gc.get_freeze_count() > 0
    # During a request, only a request far larger than usual sets the collector off.
    assert gc.get_threshold()[0] == conf["SAFETY_NET_THRESHOLD"] >= 10_000


def test_garbage_is_collected_after_each_response_and_all_of_it_now_and_then(
    conf: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    collected: list[int] = []
    monkeypatch.setattr(
        conf["gc"], "collect", lambda generation=2: collected.append(generation) or 0
    )
    every = conf["FULL_COLLECTION_EVERY"]

    for _ in range(2 * every):
        conf["post_request"](worker=None, req=None, environ={}, resp=None)

    assert len(collected) == 2 * every  # once after every request
    assert collected.count(2) == 2  # all generations every FULL_COLLECTION_EVERY requests
    assert set(collected) == {1, 2}
