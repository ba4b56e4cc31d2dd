"""Local worker processes for work that runs apart (sweep points, coalitions): spawned, since HiGHS keeps threads
and forking a process with threads is unsafe; interrupts are the parent's to handle; on Ctrl-C, SIGTERM or a
failure, none outlives the caller."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from .signals import ignore_interrupts_in_worker


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """`workers` spawned processes; every one ended (and what has not started cancelled) if the caller stops."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=ignore_interrupts_in_worker)
    try:
        yield pool
    except BaseException:  # Ctrl-C, SIGTERM or a failed task: no worker may outlive the caller
        stop_workers(pool)
        raise
    pool.shutdown()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the worker processes now (a running HiGHS solve would
    otherwise go on, holding its memory, until it finished)."""
    processes = list((pool._processes or {}).values())  # the executor offers no public handle on them
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
