"""The benchmark suite runs: every workload once at tiny sizes, its references agree, its JSON has its layout.

Nothing here looks at a time: speed is measured by ``benchmarks/run.py``, as ratios in one run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import run, workloads

    return run, workloads


@pytest.fixture
def cpu_backend(backend_name: str) -> str:
    """The backend under test when it is a CPU one (these are CPU benchmarks), else NumPy."""
    from plugrad import backend as B

    return backend_name if B.get_backend(backend_name).device_type == "cpu" else "numpy"


def test_every_timed_workload_agrees_with_the_numpy_reference(bench: Any, cpu_backend: str) -> None:
    run, W = bench
    import plugrad

    try:
        import torch
    except ImportError:
        torch = None
    libs = W.Libraries(backends=[cpu_backend], torch=torch, plugrad=plugrad)
    names = W.contenders(libs)
    for _, make_cases in W.TIMED.values():
        for case in make_cases("tiny", libs):
            rows = run.time_case(case, names, repeats=1, min_sample_s=0.0, collect=False)
            assert [r["metric"] for r in rows] == list(case.phases) + (["total"] if len(case.phases) > 1 else [])
            for row in rows:
                assert set(row["median"]) == set(names)
                assert all(v is not None and v >= 0 for v in row["median"].values())
                refs = {W.NUMPY_REF} | ({W.TORCH} if torch is not None else set())
                assert set(row["ratio"][W.plugrad_contender(cpu_backend)]) == refs
            agreement = rows[0]["agreement"]
            assert set(agreement) == set(names) - {W.NUMPY_REF}
            bad = {c: a for c, a in agreement.items() if not a["ok"]}
            assert not bad, f"{case.label}: results differ from the hand-written NumPy reference: {bad}"


def test_the_runner_writes_every_workload_to_the_json(tmp_path: Path, cpu_backend: str) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--size", "tiny", "--references", "numpy",
         "--backends", cpu_backend, "--json", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["schema"] == 1
    assert report["settings"]["size"] == "tiny"
    contenders = [f"plugrad-{cpu_backend}", "numpy-ref"]
    assert report["contenders"] == contenders
    assert "torch" in report["skipped"]
    for key in ("cpu", "nproc", "python", "numpy", "plugrad"):
        assert report["machine"][key]
    assert report["threads"]["threads"] >= 1
    workloads = {r["workload"] for r in report["rows"]}
    assert workloads == {"per_op", "tutorial_chain", "two_layer_sgd", "mlp_adam", "matrix_power_grad",
                         "import_time", "mlp_adam_peak_memory"}
    for row in report["rows"]:
        assert {"workload", "case", "params", "metric", "unit", "median", "ratio", "samples"} <= set(row)
        assert set(row["median"]) <= set(contenders)
    memory = [r for r in report["rows"] if r["workload"] == "mlp_adam_peak_memory"]
    traced = next(r for r in memory if r["metric"] == "peak traced (tracemalloc)")
    assert all(v > 0 for v in traced["median"].values())
    assert len(report["targets"]) == 8
    assert {"target", "contender", "reference", "limit", "ratio", "met"} <= set(report["targets"][0])
    assert "| # | case | metric | unit |" in proc.stdout
