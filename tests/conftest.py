"""The one suite, run per backend: ``--backend NAME`` or ``PLUGRAD_BACKEND``."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", default=None, help="plugrad backend to run the suite on (default: PLUGRAD_BACKEND or numpy)")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--backend") or os.environ.get("PLUGRAD_BACKEND") or "numpy"
    os.environ["PLUGRAD_BACKEND"] = name
    config.plugrad_backend = name  # type: ignore[attr-defined]


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
        if os.environ.get("PLUGRAD_REQUIRE_GPU") == "1":
            pytest.fail(f"backend {backend_name!r} is required but unavailable: {exc}")
        pytest.skip(f"backend {backend_name!r} unavailable here: {exc}")
    with plugrad.default_backend(b):
        yield
