#!/usr/bin/env python
"""Time plugrad on every installed CPU backend next to PyTorch and hand-written NumPy, in one process run.

    python benchmarks/run.py                     # the whole suite; writes benchmarks/results/latest.json
    python benchmarks/run.py --quick             # fewer repeats, smaller sizes (a smoke run)
    python benchmarks/run.py --workloads 1,3 --backends numpy --profile

For every case the contenders run interleaved (plugrad on each backend, the NumPy reference, PyTorch, then
again), so that a slow moment of the machine hits them all; the table reports medians and the ratio of
each plugrad backend to each reference. Import time (6) and peak memory (7) are measured in fresh processes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import os
import platform
import pstats
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import workloads as W  # noqa: E402

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"
SCHEMA = 1
SETTINGS = {  # repeats, minimum seconds per timed sample, import repeats, memory repeats
    "full": {"repeats": 7, "min_sample_s": 0.05, "import_repeats": 15, "memory_repeats": 3},
    "quick": {"repeats": 3, "min_sample_s": 0.01, "import_repeats": 3, "memory_repeats": 1},
    "tiny": {"repeats": 1, "min_sample_s": 0.0, "import_repeats": 1, "memory_repeats": 1},
}


# --- what is installed ------------------------------------------------------------------------------


def discover(requested: list[str] | None, with_torch: bool) -> tuple[W.Libraries, dict[str, str]]:
    """The plugrad backends to time (CPU ones, or those requested) and torch; notes for what is skipped."""
    import plugrad
    from plugrad import backend as B

    skipped: dict[str, str] = {}
    known = B.known_backends()
    names = requested or sorted(known, key=lambda n: (n != "numpy", n))
    backends = []
    for name in names:
        b = known.get(name)
        if b is None:
            raise SystemExit(f"unknown plugrad backend {name!r}; installed: {', '.join(sorted(known)) or 'none'}")
        ok, reason = b.available()
        if not ok:
            if requested:
                raise SystemExit(f"plugrad backend {name!r} cannot run here: {reason}")
            skipped[W.plugrad_contender(name)] = f"unavailable: {reason}"
            continue
        if b.device_type != "cpu":
            why = f"runs on device {b.device_type!r}; these benchmarks time CPU backends (see benchmarks/README.md)"
            if requested:
                raise SystemExit(f"plugrad backend {name!r} {why}")
            skipped[W.plugrad_contender(name)] = why
            continue
        backends.append(name)
    torch = None
    if with_torch:
        try:
            import torch
        except ImportError as exc:
            skipped[W.TORCH] = f"not installed ({exc}); install it (CPU wheels) to compare"
    else:
        skipped[W.TORCH] = "left out with --references"
    return W.Libraries(backends=backends, torch=torch, plugrad=plugrad), skipped


def configure_threads(requested: int | None, libs: W.Libraries) -> dict[str, Any]:
    """Give NumPy's BLAS, PyTorch and Numba the same thread count; return what each now uses."""
    info: dict[str, Any] = {}
    blas = _blas_info()
    threads = requested or (blas[0]["num_threads"] if blas else None) or os.cpu_count() or 1
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
        blas = _blas_info()
    except ImportError:
        info["note"] = "threadpoolctl is not installed: NumPy's BLAS threads are its own default"
    info["threads"] = threads
    info["numpy_blas"] = [{k: b.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                          for b in blas]
    if libs.torch is not None:
        libs.torch.set_num_threads(threads)
        info["torch"] = libs.torch.get_num_threads()
    set_threads = getattr(libs.plugrad, "set_num_threads", None)  # parallel kernels of backends (Numba's loops)
    if set_threads is not None:
        set_threads(threads)
        info["plugrad"] = libs.plugrad.get_num_threads()
    return info


def _blas_info() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [b for b in threadpool_info() if b.get("user_api") == "blas" and "torch" not in b.get("filepath", "")]


def machine(libs: W.Libraries) -> dict[str, Any]:
    import numpy as np
    import plugrad

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "plugrad": plugrad.__version__,
        "torch": libs.torch.__version__ if libs.torch is not None else None,
    }
    if "numba" in sys.modules:
        info["numba"] = sys.modules["numba"].__version__
    return info


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# --- timing ---------------------------------------------------------------------------------------------


def _sample(run: W.Run, number: int) -> list[float]:
    """Seconds per call of each phase, averaged over ``number`` calls (``reset`` untimed before each)."""
    acc = [0.0] * len(run.phases)
    clock = time.perf_counter
    for _ in range(number):
        run.reset()
        for i, phase in enumerate(run.phases):
            t0 = clock()
            phase()
            acc[i] += clock() - t0
    return [a / number for a in acc]


def _agreement(results: dict[str, Any], rtol: float) -> dict[str, Any]:
    """Each contender's result against the NumPy reference: largest error relative to the result's scale."""
    import numpy as np

    ref = np.asarray(results[W.NUMPY_REF], dtype=np.float64)
    scale = float(np.max(np.abs(ref))) if ref.size else 1.0
    out = {}
    for name, r in results.items():
        if name == W.NUMPY_REF:
            continue
        r = np.asarray(r, dtype=np.float64)
        if r.shape != ref.shape:
            out[name] = {"ok": False, "error": f"shape {r.shape} vs {ref.shape}"}
            continue
        err = float(np.max(np.abs(r - ref))) / (scale or 1.0) if ref.size else 0.0
        out[name] = {"ok": bool(err <= rtol), "error": err}
    return out


def time_case(case: W.Case, names: list[str], repeats: int, min_sample_s: float,
              collect: bool = True) -> list[dict[str, Any]]:
    """Warm up and check every contender, then time them interleaved; one result row per phase (+ total).

    With ``collect``, a full garbage collection precedes each sample, so that no contender pays for
    another's garbage.
    """
    runs = {c: case.build(c) for c in names}
    number: dict[str, int] = {}
    results: dict[str, Any] = {}
    for c, run in runs.items():
        _sample(run, 1)  # warm-up: kernel caches, first-call allocations
        results[c] = run.result()
        per_call = sum(_sample(run, 1))
        number[c] = max(1, min(100_000, math.ceil(min_sample_s / per_call))) if per_call > 0 else 1
    check = _agreement(results, case.rtol)
    samples: dict[str, list[list[float]]] = {c: [] for c in names}
    for _ in range(repeats):
        for c in names:
            if collect:
                gc.collect()
            samples[c].append(_sample(runs[c], number[c]))
    metrics = list(case.phases)
    if len(metrics) > 1:
        metrics.append("total")
    rows = []
    for j, metric in enumerate(metrics):
        values = {}
        for c in names:
            per = [sum(s) if metric == "total" else s[j] for s in samples[c]]
            values[c] = [v * case.scale for v in per]
        rows.append(_row(case.workload, case.label, case.params, metric, case.unit, values,
                         {"number": number, "agreement": check}))
    return rows


def _row(workload: str, label: str, params: dict[str, Any], metric: str, unit: str,
         values: dict[str, list[float | None]], extra: dict[str, Any]) -> dict[str, Any]:
    medians = {c: (statistics.median(v) if v and None not in v else None) for c, v in values.items()}
    ratios: dict[str, dict[str, float]] = {}
    for c, m in medians.items():
        if not c.startswith("plugrad") or m is None:
            continue
        ratios[c] = {ref: m / medians[ref] for ref in (W.NUMPY_REF, W.TORCH) if medians.get(ref)}
    minima = {c: (min(v) if v and None not in v else None) for c, v in values.items()}
    return {"workload": workload, "case": label, "params": params, "metric": metric, "unit": unit,
            "median": medians, "ratio": ratios, "min": minima, "samples": values, **extra}


def profile_case(case: W.Case, contender: str, top: int = 15) -> dict[str, Any]:
    """Run one contender of a case under cProfile; the functions with the most own time, with their share."""
    run = case.build(contender)
    _sample(run, 1)
    prof = cProfile.Profile()
    run.reset()
    prof.enable()
    for phase in run.phases:
        phase()
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = []
    for (filename, line, func), (_cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append({"function": f"{_short_path(filename)}:{line}({func})", "calls": nc, "own_s": tt,
                        "cumulative_s": ct, "own_share": tt / total if total else 0.0})
    entries.sort(key=lambda e: -e["own_s"])
    return {"workload": case.workload, "case": case.label, "contender": contender, "total_s": total,
            "top": entries[:top]}


def _short_path(filename: str) -> str:
    for marker in ("/plugrad/", "/plugrad_", "/numpy/", "/torch/", "/benchmarks/"):
        i = filename.rfind(marker)
        if i >= 0:
            return filename[i + 1:]
    return os.path.basename(filename)


# --- imports and memory, in fresh processes -----------------------------------------------------------------


def _child(code: str) -> str:
    # Note: children may write compiled bytecode, so that imports are timed as installed packages run them.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child process failed:\n{code}\n{proc.stderr.strip()}")
    return proc.stdout.strip().splitlines()[-1]


def time_imports(libs: W.Libraries, repeats: int, warm: bool) -> list[dict[str, Any]]:
    rows = []
    for label, stmts in W.import_snippets(libs).items():
        if warm:  # compiled-bytecode caches exist, as on a user's machine after the first import
            for stmt in stmts.values():
                _child(W.IMPORT_CHILD.format(stmt=stmt))
        values: dict[str, list[float | None]] = {c: [] for c in stmts}
        for _ in range(repeats):
            for c, stmt in stmts.items():
                values[c].append(float(_child(W.IMPORT_CHILD.format(stmt=stmt))) * 1e3)
        rows.append(_row(W.IMPORT_WORKLOAD[1], label, {"statements": stmts}, "wall", "ms", values, {}))
    return rows


def measure_memory(names: list[str], size: str, threads: int, repeats: int) -> list[dict[str, Any]]:
    per: dict[str, list[dict[str, Any]]] = {c: [] for c in names}
    for _ in range(repeats):
        for c in names:
            code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
                    f"from benchmarks.workloads import memory_child; "
                    f"print(json.dumps(memory_child({c!r}, {size!r}, {threads})))")
            per[c].append(json.loads(_child(code)))
    B, D, H, C, steps = W.mlp_shapes(size)
    params = {"batch": B, "layers": [D, H, C], "steps": steps}
    label = f"MLP {D}-{H}-{C}, batch {B}, {steps} Adam steps"
    rows = []
    for key, metric in (("traced_peak", "peak traced (tracemalloc)"), ("rss_peak_growth", "peak RSS growth")):
        values = {c: [None if r[key] is None else r[key] / 2**20 for r in runs] for c, runs in per.items()}
        values = {c: v for c, v in values.items() if any(x is not None for x in v)}
        if values:
            rows.append(_row(W.MEMORY_WORKLOAD[1], label, params, metric, "MiB", values, {}))
    return rows


# --- targets -----------------------------------------------------------------------------------------------


def _find(rows: list[dict[str, Any]], workload: str, metric: str, case_has: str = "") -> dict[str, Any] | None:
    for r in rows:
        if r["workload"] == workload and r["metric"] == metric and case_has in r["case"]:
            return r
    return None


TARGETS = [
    # (name, workload, metric, case contains, contender, reference, limit, strict)
    ("per-op overhead (fwd+bwd) at most PyTorch's", "per_op", "total", "", "plugrad-numpy", W.TORCH, 1.0, False),
    ("two-layer SGD faster than PyTorch", "two_layer_sgd", "train", "", "plugrad-numpy", W.TORCH, 1.0, True),
    ("two-layer SGD within 1.15x of NumPy", "two_layer_sgd", "train", "", "plugrad-numpy", W.NUMPY_REF, 1.15, False),
    ("MLP Adam faster than PyTorch", "mlp_adam", "train", "", "plugrad-numpy", W.TORCH, 1.0, True),
    ("MLP Adam within 1.15x of NumPy", "mlp_adam", "train", "", "plugrad-numpy", W.NUMPY_REF, 1.15, False),
    ("tutorial chain at 1e7 on Numba faster than PyTorch", "tutorial_chain", "total", "n=1e7", "plugrad-numba",
     W.TORCH, 1.0, True),
    ("import plugrad under 1.5x import numpy", "import_time", "wall", "import", "plugrad-numpy", W.NUMPY_REF, 1.5,
     True),
    ("MLP Adam peak memory within 1.3x of NumPy", "mlp_adam_peak_memory", "peak traced (tracemalloc)", "",
     "plugrad-numpy", W.NUMPY_REF, 1.3, False),
]


def evaluate_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, workload, metric, case_has, contender, ref, limit, strict in TARGETS:
        row = _find(rows, workload, metric, case_has)
        if workload == "import_time":
            row = next((r for r in rows if r["workload"] == workload and r["case"] == "import"), None)
        ratio = row["ratio"].get(contender, {}).get(ref) if row else None
        entry: dict[str, Any] = {"target": name, "contender": contender, "reference": ref, "limit": limit,
                                 "ratio": ratio}
        if ratio is None:
            entry["met"] = None
            entry["note"] = "not measured in this run (workload, backend or reference left out)"
        else:
            entry["met"] = bool(ratio < limit if strict else ratio <= limit)
            entry["over_by"] = ratio / limit
        out.append(entry)
    return out


# --- output --------------------------------------------------------------------------------------------------


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if v == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(v)))))
    return f"{v:.{min(digits, 4)}f}"


_NUMBERS = {name: num for num, name in W.ALL.items()}


def format_table(rows: list[dict[str, Any]], names: list[str]) -> str:
    plug = [c for c in names if c.startswith("plugrad")]
    refs = [r for r in (W.NUMPY_REF, W.TORCH) if r in names]
    head = ["#", "case", "metric", "unit", *names]
    head += [f"{p} / {r}" for p in plug for r in refs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        num = str(_NUMBERS.get(r["workload"], r["workload"]))
        cells = [num, r["case"], r["metric"], r["unit"], *(_fmt(r["median"].get(c)) for c in names)]
        for p in plug:
            for ref in refs:
                v = r["ratio"].get(p, {}).get(ref)
                cells.append("-" if v is None else f"{v:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_targets(targets: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | limit | met |", "|---|---|---|---|"]
    for t in targets:
        measured = "-" if t["ratio"] is None else f"{t['ratio']:.2f}x"
        met = {True: "yes", False: f"no ({t.get('over_by', 0):.2f}x the limit)", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {measured} | {t['limit']}x | {met} |")
    return "\n".join(lines)


def format_profile(p: dict[str, Any]) -> str:
    lines = [f"profile: {p['contender']}, {p['workload']} ({p['case']}): {p['total_s'] * 1e3:.1f} ms under cProfile",
             "| own % | own ms | calls | function |", "|---|---|---|---|"]
    for e in p["top"]:
        lines.append(f"| {e['own_share'] * 100:.1f} | {e['own_s'] * 1e3:.2f} | {e['calls']} | `{e['function']}` |")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (same as --size quick)")
    p.add_argument("--size", choices=W.SIZES, default=None, help="full (default), quick, or tiny (smoke tests)")
    p.add_argument("--backends", default=None, help="comma-separated plugrad backends (default: every CPU one)")
    p.add_argument("--workloads", default=None,
                   help="comma-separated numbers or names: " + ", ".join(f"{k} {v}" for k, v in W.ALL.items()))
    p.add_argument("--references", default="numpy,torch",
                   help="comma-separated references besides hand-written NumPy: torch (default numpy,torch)")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats per case")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for NumPy's BLAS, PyTorch and Numba (default: NumPy's BLAS default)")
    p.add_argument("--json", default=str(DEFAULT_JSON), help=f"where to write the results (default {DEFAULT_JSON.relative_to(ROOT)})")
    p.add_argument("--profile", action="store_true",
                   help="also run each plugrad contender once under cProfile and print its top functions")
    return p.parse_args(argv)


def _selected_workloads(spec: str | None) -> list[int]:
    if not spec:
        return list(W.ALL)
    by_name = {v: k for k, v in W.ALL.items()}
    out = []
    for item in spec.split(","):
        item = item.strip()
        if item.isdigit() and int(item) in W.ALL:
            out.append(int(item))
        elif item in by_name:
            out.append(by_name[item])
        else:
            raise SystemExit(f"unknown workload {item!r}; choose from " + ", ".join(f"{k} ({v})" for k, v in W.ALL.items()))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    size = args.size or ("quick" if args.quick else "full")
    settings = dict(SETTINGS[size])
    if args.repeats:
        settings["repeats"] = settings["import_repeats"] = args.repeats
    selected = _selected_workloads(args.workloads)
    refs = {r.strip() for r in args.references.split(",") if r.strip()}
    requested = [b.strip() for b in args.backends.split(",")] if args.backends else None
    libs, skipped = discover(requested, "torch" in refs)
    threads = configure_threads(args.threads, libs)
    names = W.contenders(libs)
    # Note: the heap built by the imports (PyTorch's is large) is frozen, so that each gc.collect() between
    # samples is cheap and no contender's timed code pays for traversing another library's objects.
    gc.collect()
    gc.freeze()
    load_before = _load()
    started = time.time()
    print(f"plugrad benchmarks ({size}): {', '.join(names)}; threads {threads['threads']}", flush=True)
    for c, why in skipped.items():
        print(f"  skipped {c}: {why}", flush=True)

    rows: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    for num in selected:
        if num in W.TIMED:
            _, make_cases = W.TIMED[num]
            for case in make_cases(size, libs):
                print(f"  {num}. {case.label} ...", flush=True)
                new = time_case(case, names, settings["repeats"], settings["min_sample_s"])
                for c, chk in new[0]["agreement"].items():
                    if not chk["ok"]:
                        print(f"    warning: {c} disagrees with {W.NUMPY_REF}: {chk['error']}", flush=True)
                rows.extend(new)
                if args.profile:
                    for c in names:
                        if c.startswith("plugrad"):
                            profiles.append(profile_case(case, c))
        elif num == W.IMPORT_WORKLOAD[0]:
            print(f"  {num}. import time (fresh processes) ...", flush=True)
            rows.extend(time_imports(libs, settings["import_repeats"], warm=size != "tiny"))
        elif num == W.MEMORY_WORKLOAD[0]:
            print(f"  {num}. peak memory of workload 4 (fresh processes) ...", flush=True)
            rows.extend(measure_memory(names, size, threads["threads"], settings["memory_repeats"]))

    targets = evaluate_targets(rows)
    report = {
        "schema": SCHEMA,
        "command": " ".join(["python", "benchmarks/run.py", *map(shlex.quote, sys.argv[1:] if argv is None else argv)]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": {**machine(libs), "load_average_before": load_before, "load_average_after": _load()},
        "threads": threads,
        "settings": {"size": size, **settings},
        "contenders": names,
        "skipped": skipped,
        "rows": rows,
        "targets": targets,
        "profiles": profiles,
    }
    print()
    print(format_table(rows, names))
    if size == "full" or any(t["met"] is not None for t in targets):
        print()
        print(format_targets(targets))
    for p in profiles:
        print()
        print(format_profile(p))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nwrote {path}")
    return report


if __name__ == "__main__":
    main()
