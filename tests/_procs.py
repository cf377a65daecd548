"""Bounded waits on spawned process trees: a stuck tree prints its stacks, then dies.

A test that joins child processes forever turns one deadlock into a CI run that never
ends, with nothing on record. ``join_or_dump`` waits up to a deadline; past it every
process in the tree gets SIGUSR1, which ``dump_stacks_on_signal`` (armed in each child)
turns into a Python traceback of all its threads on stderr, and then the tree is killed.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import time
from pathlib import Path

DUMP_SIGNAL = signal.SIGUSR1


def dump_stacks_on_signal(_worker_id: int | None = None) -> None:
    """Arm this process to print every thread's stack on DUMP_SIGNAL (fork-safe: no thread)."""
    faulthandler.register(DUMP_SIGNAL, all_threads=True)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, read from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _signal_all(pids: list[int], sig: int, pause_s: float = 0.0) -> None:
    for pid in pids:
        if sig == DUMP_SIGNAL:
            os.write(2, f"--- stacks of pid {pid} ---\n".encode())
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        time.sleep(pause_s)  # one dump at a time: concurrent ones interleave on stderr


def join_or_dump(context, deadline_s: float) -> str | None:
    """Join a torch ``ProcessContext``; past ``deadline_s`` dump stacks, kill, say who hung."""
    end = time.monotonic() + deadline_s
    try:
        while not context.join(timeout=1.0):
            if time.monotonic() > end:
                tree = [p.pid for p in context.processes if p.is_alive()]
                tree += [d for pid in tree for d in descendants(pid)]
                _signal_all(tree, DUMP_SIGNAL, pause_s=0.5)
                return f"processes {tree} still ran after {deadline_s:.0f} s; stacks above"
        return None
    finally:  # a failed join (one rank died) must not leave the others to hang pytest
        for process in context.processes:
            tree = [process.pid, *descendants(process.pid)] if process.is_alive() else []
            _signal_all(tree, signal.SIGKILL)
