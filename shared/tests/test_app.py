"""`run_off_loop_if`: CPU-only work stays on the event loop, blocking work goes to the pool."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from shared.app import run_off_loop_if

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on a thread of its own: the browser tests' session-wide Playwright keeps
    an event loop running on the main thread."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_work_that_does_not_block_runs_on_the_event_loop_thread() -> None:
    async def main() -> tuple[int, int]:
        return threading.get_ident(), await run_off_loop_if(False, threading.get_ident)

    loop_thread, ran_on = run(main())
    assert ran_on == loop_thread


def test_work_that_may_block_runs_in_the_thread_pool_and_returns_its_result() -> None:
    async def main() -> tuple[int, int]:
        return threading.get_ident(), await run_off_loop_if(True, threading.get_ident)

    loop_thread, ran_on = run(main())
    assert ran_on != loop_thread


@pytest.mark.parametrize("blocking", [False, True])
def test_an_error_reaches_the_caller_either_way(blocking: bool) -> None:
    def fail() -> None:
        raise LookupError("no such need")

    with pytest.raises(LookupError, match="no such need"):
        run(run_off_loop_if(blocking, fail))
