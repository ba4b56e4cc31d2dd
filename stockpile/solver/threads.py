"""HiGHS runs side by side in threads of one process, and every one of them stopped by Ctrl-C (or SIGTERM):
HiGHS releases the GIL while it solves; Pyomo, which is not thread-safe, takes turns."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import highspy
from highspy import _core

# Pyomo is not thread-safe: threads that solve subproblems side by side take turns at building and
# reading models (this lock), and run HiGHS, which releases the GIL, outside it (decompose.py).
PYOMO_LOCK = threading.Lock()
_turn = threading.local()
_running: set = set()  # every HiGHS run in progress, so that Ctrl-C stops them all
_stopping = threading.Event()  # set by stop_all: no new run starts


@contextmanager
def pyomo_turn():
    """This thread's turn at Pyomo (see PYOMO_LOCK); HiGHS runs inside it give the turn up meanwhile."""
    if getattr(_turn, "held", False):  # already this thread's turn
        yield
        return
    with PYOMO_LOCK:
        _turn.held = True
        try:
            yield
        finally:
            _turn.held = False


def thread_map(fn, jobs: list[tuple], workers: int):
    """fn(*job) for every job, `workers` at a time in threads of this process, results in job order.
    Ctrl-C in the waiting thread stops every HiGHS run and cancels what has not started."""
    if workers <= 1 or len(jobs) <= 1:
        yield from (fn(*job) for job in jobs)
        return
    _stopping.clear()
    with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="highs") as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        try:
            for future in futures:
                yield future.result()
        except BaseException:
            stop_all()
            for future in futures:
                future.cancel()
            raise


def stop_all() -> None:
    """Ctrl-C from the thread that waits on the others: every run stops at its next interrupt callback."""
    _stopping.set()
    for h in list(_running):
        h.cancelSolve()


def run_interruptibly(h: highspy.Highs) -> None:
    """h.run() in a thread of its own (HiGHS releases the GIL), waited for from this one, so that Ctrl-C
    (or SIGTERM, raised as KeyboardInterrupt by `signals`) stops HiGHS at its next interrupt callback
    instead of after the whole solve; other threads' runs go on side by side (highspy's own
    startSolve allows one run per process)."""
    if _stopping.is_set() and threading.current_thread() is not threading.main_thread():
        raise KeyboardInterrupt  # a worker thread of a map that Ctrl-C stopped: start nothing new
    h.HandleUserInterrupt = True  # highspy's interrupt callbacks watch cancelSolve()
    done = threading.Event()

    def target():
        try:
            _core._Highs.run(h)
            _core._Highs.resetThreadScheduler(False)  # as highspy does after each run in its own thread
        finally:
            done.set()

    held = getattr(_turn, "held", False)
    if held:
        PYOMO_LOCK.release()
    _running.add(h)
    try:
        threading.Thread(target=target, daemon=True).start()
        while not done.wait(0.2):  # a wait with a timeout lets the main thread take Ctrl-C
            pass
    except KeyboardInterrupt:
        stop_all()
        done.wait()  # HiGHS stops at its next interrupt callback, within a fraction of a second
        raise
    finally:
        _running.discard(h)
        if held:
            PYOMO_LOCK.acquire()


