"""The one suite, run per backend: ``--backend NAME`` or ``PLUGRAD_BACKEND``.

``--backend fakecuda`` registers a NumPy-backed backend on device ``cuda`` (see ``_devices.py``), so
that the suite proves it assumes no CPU without a GPU. ``PLUGRAD_REQUIRE_GPU=1`` turns an unavailable
backend into a failure instead of a skip, so that a GPU run can never pass by skipping. On a GPU machine
without a package index (cupy, NumPy, pluggy, pytest and hypothesis already there), from a checkout:
``PYTHONPATH=core:backends PLUGRAD_BACKEND=cupy PLUGRAD_REQUIRE_GPU=1 python -m pytest -q``.
"""

from __future__ import annotations

import os

import pytest
from _devices import FAKE_CUDA, register_fake_cuda, require_gpu


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", default=None,
                     help=f"plugrad backend to run the suite on (default: PLUGRAD_BACKEND or numpy; "
                          f"{FAKE_CUDA!r} emulates a CUDA device with NumPy)")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--backend") or os.environ.get("PLUGRAD_BACKEND") or "numpy"
    os.environ["PLUGRAD_BACKEND"] = name
    config.plugrad_backend = name  # type: ignore[attr-defined]
    if name == FAKE_CUDA:
        register_fake_cuda()


@pytest.fixture(scope="session")
def backend_name(pytestconfig: pytest.Config) -> str:
    return pytestconfig.plugrad_backend  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _default_backend(backend_name: str):
    import plugrad
    from plugrad import backend as _backend

    try:
        b = _backend.get_backend(backend_name)
    except _backend.BackendUnavailable as exc:
        if require_gpu():
            pytest.fail(f"PLUGRAD_REQUIRE_GPU=1 and {exc}")
        pytest.skip(str(exc))
    with plugrad.default_backend(b):
        yield
