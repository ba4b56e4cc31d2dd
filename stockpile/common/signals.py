"""SIGTERM handled like Ctrl-C, so every clean-up path (temporary folders, worker processes,
HiGHS's solver thread) runs for both."""

from __future__ import annotations

import signal
import threading


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread where a KeyboardInterrupt would be."""


def _raise_terminated(signum, frame):
    raise Terminated()


def install() -> None:
    """Turn SIGTERM into Terminated (main thread only: Python delivers signals there)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def ignore_interrupts_in_worker() -> None:
    """Worker processes leave Ctrl-C to their parent, which stops them (no tracebacks from each worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
