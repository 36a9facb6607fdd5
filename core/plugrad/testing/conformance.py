"""The conformance kit: plugrad's op database as a pytest plugin, for any backend or op plugin.

Run it with::

    pytest --pyargs plugrad.testing.conformance --plugrad-backend=NAME [--plugrad-ops=mul,div | --plugrad-plugin=NAME]

Installing plugrad registers this module as a pytest plugin (entry point ``pytest11``), which adds the
options; without the entry point, add ``-p plugrad.testing.conformance``. Every sample of every selected op
becomes one test per check (ids like ``mul-numpy-float64-broadcast_rhs-gradcheck``): forward against the
NumPy reference, dtype, backend of the output, native kernel against the generic one, float64 gradcheck and
gradgradcheck. See :mod:`plugrad.testing.opdb` for what each check asserts.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plugrad", "plugrad conformance kit (pytest --pyargs plugrad.testing.conformance)")
    group.addoption("--plugrad-backend", default=None,
                    help="backend the op database runs on (default: PLUGRAD_BACKEND, else the backend of "
                         "--plugrad-plugin if it registers one, else numpy)")
    group.addoption("--plugrad-ops", default=None,
                    help="comma-separated op names to test (default: every registered op)")
    group.addoption("--plugrad-plugin", default=None,
                    help="test only the ops this plugrad plugin registers, extends or has kernels for")
    group.addoption("--plugrad-dtypes", default="float32,float64",
                    help="comma-separated float dtypes for the forward checks (default: float32,float64)")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _backend_name(config: pytest.Config) -> str:
    name = config.getoption("--plugrad-backend") or os.environ.get("PLUGRAD_BACKEND")
    if name:
        return name
    plugin = config.getoption("--plugrad-plugin")
    if plugin:
        from .. import plugins

        record = next((r for r in plugins.records() if r.name == plugin), None)
        if record is not None and record.backends:
            return record.backends[0]
    return "numpy"


def _selection(config: pytest.Config) -> dict[str, Any]:
    return {
        "backend": _backend_name(config),
        "ops": _split(config.getoption("--plugrad-ops")) or None,
        "plugin": config.getoption("--plugrad-plugin"),
        "dtypes": tuple(_split(config.getoption("--plugrad-dtypes"))) or ("float32", "float64"),
    }


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _is_collected(config):
        return None
    sel = _selection(config)
    what = f"ops {', '.join(sel['ops'])}" if sel["ops"] else (
        f"plugin {sel['plugin']!r}" if sel["plugin"] else "every registered op")
    return f"plugrad conformance: backend {sel['backend']!r}, {what}, dtypes {', '.join(sel['dtypes'])}"


def _is_collected(config: pytest.Config) -> bool:
    """Whether this run collects the kit (it is on the command line), rather than only loading the plugin."""
    return any("plugrad.testing.conformance" in str(a) or str(a).endswith("conformance.py") for a in config.args)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Note: only this module's tests; loaded both as a plugin and as a test module, the hook may run twice.
    if metafunc.module is None or metafunc.module.__name__ != __name__ or "plugrad_case" not in metafunc.fixturenames:
        return
    if getattr(metafunc.definition, "_plugrad_parametrized", False):
        return
    metafunc.definition._plugrad_parametrized = True  # type: ignore[attr-defined]
    from .. import backend as _backend
    from . import opdb

    sel = _selection(metafunc.config)
    if sel["backend"] not in _backend.known_backends():
        from .. import plugins

        failed = plugins.failure_for(sel["backend"])
        known = ", ".join(sorted(_backend.known_backends())) or "none"
        raise pytest.UsageError(
            f"--plugrad-backend: unknown backend {sel['backend']!r}; known backends: {known}"
            + (f" ({failed})" if failed else "")
        )
    try:
        found = opdb.cases(sel["backend"], ops=sel["ops"], plugin=sel["plugin"], dtypes=sel["dtypes"])
    except ValueError as exc:  # an unknown op or plugin name
        raise pytest.UsageError(str(exc)) from None
    metafunc.parametrize("plugrad_case", found, ids=[c.id for c in found])


@pytest.fixture(scope="session")
def plugrad_selection(pytestconfig: pytest.Config) -> dict[str, Any]:
    """The backend, ops, plugin and dtypes this run checks."""
    return _selection(pytestconfig)


@pytest.fixture(scope="session")
def plugrad_backend(plugrad_selection: dict[str, Any]) -> Any:
    """The backend under test; skips when it cannot run here (fails instead with PLUGRAD_REQUIRE_GPU=1)."""
    from .. import backend as _backend

    name = plugrad_selection["backend"]
    try:
        return _backend.get_backend(name)
    except _backend.BackendUnavailable as exc:
        if os.environ.get("PLUGRAD_REQUIRE_GPU") == "1":
            pytest.fail(f"backend {name!r} is required but unavailable: {exc}")
        pytest.skip(f"backend {name!r} unavailable here: {exc}")


def _selected_ops(sel: dict[str, Any]) -> list[str]:
    from . import opdb

    return opdb.select_ops(sel["ops"], sel["plugin"])


def test_every_op_has_samples(plugrad_selection: dict[str, Any]) -> None:
    """Every op needs samples: an op without any is untested by the whole database."""
    from . import opdb

    missing = opdb.ops_without_samples(_selected_ops(plugrad_selection))
    assert not missing, (
        f"ops without op-database samples: {', '.join(missing)}; declare samples=... on the op "
        "(see plugrad.testing.samples) or register them with registry.register_samples"
    )


def test_every_op_has_a_reference(plugrad_selection: dict[str, Any]) -> None:
    """Every op needs a NumPy reference: without one its forward values are never checked."""
    from . import opdb

    missing = opdb.ops_without_reference(_selected_ops(plugrad_selection))
    assert not missing, (
        f"ops without a NumPy reference: {', '.join(missing)}; declare reference=lambda np, *arrays, *attrs: ... "
        "on the op"
    )


def test_op(plugrad_case: Any, plugrad_backend: Any) -> None:
    """One check of one sample of one op (see :mod:`plugrad.testing.opdb`)."""
    plugrad_case.run()
