"""Interleaved timing and the command line of the backend scripts (bench_numba.py, bench_cupy.py)."""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def seconds_per_call(fn: Callable[[], Any], min_seconds: float) -> float:
    """Seconds per call: repeat until ``min_seconds`` have passed (at least once)."""
    gc.collect()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / n


def interleaved(contenders: dict[str, Callable[[], Any]], repeats: int,
                min_seconds: float) -> tuple[dict[str, float], dict[str, Any]]:
    """Median seconds per call of each contender, and what each one's first (warm-up) call returned.

    The warm-up call compiles kernels and fills caches and memory pools; then each repeat runs every
    contender once, in turn, so that a slow moment of the machine hits all of them.
    """
    first = {name: fn() for name, fn in contenders.items()}
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            samples[name].append(seconds_per_call(fn, min_seconds))
    return {name: statistics.median(s) for name, s in samples.items()}, first


def command_line(doc: str, workloads: tuple[str, ...]) -> argparse.ArgumentParser:
    """The options both scripts take (``--only``, ``--quick``, ``--json``); a script adds its own."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(workloads), help=f"comma-separated workloads ({', '.join(workloads)})")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, steps and elements")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    return parser


def selected(only: str) -> tuple[str, ...]:
    """The workloads named in ``--only``."""
    return tuple(w.strip() for w in only.split(",") if w.strip())


def write_json(results: dict[str, Any], path: str | None) -> None:
    if path:
        with open(path, "w") as f:
            json.dump(results, f, indent=1, default=str)
