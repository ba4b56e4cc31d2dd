"""Ctrl-C and SIGTERM on real processes: HiGHS stops promptly, worker processes end, nothing
partial is left (a sweep keeps its finished points, marked partial). Dask on a loopback cluster."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from stockpile.cli import DEFAULT_WORKBOOK

from .helpers import tiny, write_xlsx

# the pro-rata pool with optional members (one model: membership couples the minerals) on the bundled
# workbook at a 1e-6 gap keeps HiGHS busy for minutes. One build year: with five, HiGHS's root LP alone
# takes ~10 s, and HiGHS does not look at its interrupt flag inside it (a stop then waits for it)
LONG_SOLVE = (f'workbook = "{DEFAULT_WORKBOOK}"\n[settings]\njoint_allocation = "pro_rata"\nmip_rel_gap = 1e-6\n'
              'build_years = 1\n[set]\n"parties.*.joint_member" = "optional"\n')


HIGHS_STARTED = "HiGHS reports no progress until it ends"  # the line printed just before the one model is solved
STOPPED_WITHIN_S = 120  # HiGHS needs minutes for LONG_SOLVE; a stop at its next interrupt check is far sooner


def _start(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "stockpile.cli", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(proc, words: str) -> list[str]:
    """Read the process's output until a line has `words` (however slow the machine is to get there)."""
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if words in line:
            return seen
    raise AssertionError(f"the process ended before saying '{words}':\n{''.join(seen)}")


def _stop(proc, sig, seen: list[str] = ()) -> str:
    """Signal the process once it is at work; its whole output once it has ended."""
    assert proc.poll() is None, proc.communicate()[0]
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=STOPPED_WITHIN_S)
    return "".join(seen) + out


@pytest.mark.parametrize("sig, code, words", [(signal.SIGINT, 130, "interrupted (Ctrl-C)"),
                                              (signal.SIGTERM, 143, "stopped by SIGTERM")])
def test_a_long_solve_stops_promptly_and_writes_nothing(tmp_path, sig, code, words):
    (tmp_path / "long.toml").write_text(LONG_SOLVE)
    proc = _start(["solve", "long.toml", "-o", "res"], tmp_path)
    seen = _wait_for(proc, HIGHS_STARTED)  # read and built, HiGHS at work: however long that took
    out = _stop(proc, sig, seen)
    assert proc.returncode == code, out
    assert words in out and "Traceback" not in out and "terminate called" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.toml"]  # no folder, no temporary folder


def test_sigterm_to_a_sweep_ends_its_workers_and_keeps_finished_points(tmp_path):
    (tmp_path / "long.toml").write_text(LONG_SOLVE)
    proc = _start(["sweep", "long.toml", "--vary", "minerals.NdPr.price_usd_per_t=x1,1.1,1.2,1.3",
                   "--workers", "2", "-o", "sw"], tmp_path)
    seen = _wait_for(proc, "4 points, 2 worker(s)")  # printed just before the workers are started
    workers = _workers(proc, 2)
    out = _stop(proc, signal.SIGTERM, seen)
    assert proc.returncode == 143, out
    gone, alive = psutil.wait_procs(workers, timeout=STOPPED_WITHIN_S)
    assert not alive, f"{len(alive)} worker process(es) outlived the sweep"
    assert "PARTIAL" in (tmp_path / "sw" / "summary.md").read_text()  # 0 of 4 finished, said so


def _workers(proc, n: int) -> list:
    """The process's n worker processes, once they all exist (polled: spawning takes what it takes)."""
    while True:
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True) if "resource_tracker" not in
                   " ".join(c.cmdline())]
        if len(workers) >= n or proc.poll() is not None:
            assert len(workers) == n, proc.communicate()[0]
            return workers
        time.sleep(0.1)


def test_two_run_specifications_on_one_dask_cluster_get_their_own_numbers(tmp_path):
    from distributed import LocalCluster

    from stockpile.analyses.sweeps import grid_points, parse_vary, run_sweep, sweep_table
    from stockpile.io.runspec import load_book

    write_xlsx(tiny(), tmp_path / "tiny.xlsx")
    books = []
    for lot in (1, 2):
        (tmp_path / f"lot{lot}.toml").write_text(f'workbook = "tiny.xlsx"\n[set]\n"minerals.X.lot_t" = {lot}\n')
        books.append(load_book(str(tmp_path / f"lot{lot}.toml"))[1])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        costs = []
        for book in books:  # the one worker keeps its model between the two runs
            points = grid_points([parse_vary("scenarios.s1.probability_per_yr=0.5", book)])
            run = run_sweep(book, points, scheduler=cluster.scheduler_address, progress=False)
            costs.append(sweep_table(run, ["p"]).objective_usd_per_yr.iloc[0])
    # lot 1 t: 3 t x $10/t/yr = $30; lot 2 t: the 3 t gap takes 2 lots = 4 t x $10 = $40
    assert costs == pytest.approx([30.0, 40.0])
