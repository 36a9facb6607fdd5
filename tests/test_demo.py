"""plugrad.demo and `plugrad demo`: digits classifier reaches 95% test accuracy, reproducibly, with plots."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("sklearn", reason="the demo trains on scikit-learn's digits (pip install plugrad[examples])")

from plugrad import demo  # noqa: E402
from plugrad.__main__ import main as cli_main  # noqa: E402


def test_default_run_reaches_95_percent(capsys):
    assert demo.main(["--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    m = re.match(r"test accuracy (\d+\.\d+)% \| (\d+\.\d+) s/epoch \| backend (\w+)", last)
    assert m, last
    assert float(m.group(1)) >= 95.0


def test_same_seed_same_numbers():
    args = demo.build_parser().parse_args(["--epochs", "2", "--no-progress", "--seed", "3"])
    a, b = demo.train(args), demo.train(args)
    assert a["history"] == b["history"]
    other = demo.train(demo.build_parser().parse_args(["--epochs", "2", "--no-progress", "--seed", "4"]))
    assert other["history"] != a["history"]


def test_cnn_model_and_cli_subcommand(capsys):
    assert cli_main(["demo", "--model", "cnn", "--epochs", "1", "--no-progress", "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "backend numpy | model cnn | 1 epochs" in out


def test_plots_are_written(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="--plots draws with matplotlib")
    pytest.importorskip("graphviz", reason="--plots draws the graph with graphviz")
    assert demo.main(["--epochs", "1", "--no-progress", "--plots", str(tmp_path)]) == 0
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "accuracy.png").exists()
    source = (tmp_path / "graph.dot").read_text()
    assert "NllLossBackward0" in source and "0.weight" in source
    # Note: a backend with a fused cross-entropy kernel records one NllLossBackward0, without log_softmax's node.
    from plugrad import backend as _backend
    from plugrad.ops.registry import kernel_source

    if kernel_source("cross_entropy_fused", _backend.default_backend_obj()) != "native":
        assert "LogSoftmaxBackward0" in source
