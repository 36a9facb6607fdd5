"""Choosing a backend: the default for factories, moving tensors, device rules, and the errors that guide.

Two fake backends are registered here through the plugin API: ``fake`` on a device of its own
(``"fake"``) that reuses NumPy as its namespace, and ``missinglib`` whose library is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from typing import Any

import numpy as np
import plugrad
import pytest
from plugrad.backend import Backend, BackendUnavailable


class FakeDeviceBackend(Backend):
    """Arrays are NumPy arrays, but tensors live on a device called ``fake``."""

    name = "fake"
    device_type = "fake"

    def load_namespace(self) -> Any:
        return np

    def to_numpy(self, array: Any) -> Any:
        return np.array(array, copy=True)

    def from_numpy(self, array: Any) -> Any:
        return np.array(array, copy=True)


class MissingLibraryBackend(Backend):
    """A backend whose array library is not installed."""

    name = "missinglib"
    device_type = "cpu"
    extra = "numba"

    def load_namespace(self) -> Any:
        raise ImportError("No module named 'numba'")


def _plugin(name: str, backend: Backend) -> types.ModuleType:
    module = types.ModuleType(name)
    module.PLUGRAD_CONTRACT = "1"  # type: ignore[attr-defined]

    @plugrad.hookimpl
    def plugrad_register_backends(registry: Any) -> None:
        registry.register_backend(backend)

    module.plugrad_register_backends = plugrad_register_backends  # type: ignore[attr-defined]
    return module


@pytest.fixture
def fake() -> Any:
    plugrad.register_plugin(_plugin("fake_device", FakeDeviceBackend()))
    try:
        yield plugrad.backend.get_backend("fake")
    finally:
        plugrad.unregister_plugin("fake_device")


@pytest.fixture
def missinglib() -> Any:
    plugrad.register_plugin(_plugin("missinglib", MissingLibraryBackend()))
    try:
        yield
    finally:
        plugrad.unregister_plugin("missinglib")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGRAD_")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full_env, timeout=120)


# --- the default backend ---------------------------------------------------------------------------


def test_set_default_backend_changes_where_factories_make_tensors(fake: Backend, backend_name: str) -> None:
    before = plugrad.ones(2)
    plugrad.set_default_backend("fake")
    try:
        assert plugrad.get_default_backend() == "fake"
        for t in (plugrad.ones(2), plugrad.zeros(2, 3), plugrad.tensor([1.0, 2.0]), plugrad.full((2,), 7.0)):
            assert t.backend == "fake"
            assert str(t.device) == "fake"
        assert before.backend == backend_name  # tensors already made stay where they are
    finally:
        plugrad.set_default_backend(backend_name)
    assert plugrad.ones(2).backend == backend_name


def test_default_backend_context_manager_restores_the_previous_default(fake: Backend, backend_name: str) -> None:
    with plugrad.default_backend("fake") as chosen:
        assert chosen is fake
        assert plugrad.ones(2).backend == "fake"
        with plugrad.default_backend("numpy"):
            assert plugrad.ones(2).backend == "numpy"
        assert plugrad.ones(2).backend == "fake"
    assert plugrad.ones(2).backend == backend_name


def test_default_backend_context_restores_even_after_an_error(fake: Backend, backend_name: str) -> None:
    with pytest.raises(ZeroDivisionError), plugrad.default_backend("fake"):
        1 / 0  # noqa: B018
    assert plugrad.get_default_backend() == backend_name


def test_default_backend_accepts_a_device_name() -> None:
    with plugrad.default_backend("cpu") as chosen:
        assert chosen.device_type == "cpu"
        assert plugrad.ones(1).device == "cpu"


def test_plugrad_backend_environment_variable_picks_the_default() -> None:
    proc = run_python("import plugrad; t = plugrad.ones(2); print(t.backend, t.device)", PLUGRAD_BACKEND="numpy")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["numpy", "cpu"]


def test_plugrad_backend_environment_variable_naming_an_unknown_backend_says_so() -> None:
    proc = run_python("""
        import plugrad
        try:
            plugrad.ones(2)
        except RuntimeError as exc:
            print(exc)
        print(", ".join(sorted(plugrad.backend.known_backends())))
    """, PLUGRAD_BACKEND="nonexistent")
    assert proc.returncode == 0, proc.stderr
    message, known = proc.stdout.strip().splitlines()
    assert "numpy" in known.split(", ")
    assert message == (
        "PLUGRAD_BACKEND='nonexistent' names a backend that cannot be used: unknown backend 'nonexistent'; "
        f"known backends: {known}"
    )


# --- where a tensor lives ----------------------------------------------------------------------------


def test_tensor_reports_backend_and_device_like_pytorch() -> None:
    t = plugrad.ones(2, device="numpy")
    assert t.backend == "numpy"
    assert str(t.device) == "cpu"
    assert repr(t.device) == "device(type='cpu')"
    assert t.device == plugrad.device("cpu")
    assert not t.is_cuda


def test_to_moves_between_backends_and_gradients_flow_back(fake: Backend) -> None:
    x = plugrad.tensor([1.0, 2.0, 3.0], device="fake", requires_grad=True)
    assert x.backend == "fake" and str(x.device) == "fake"
    y = x.to("numpy")
    assert y.backend == "numpy" and str(y.device) == "cpu"
    assert y.tolist() == [1.0, 2.0, 3.0]
    (y * y).sum().backward()
    assert x.grad.backend == "fake"
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert y.to("numpy") is y  # nothing to do: the same tensor
    assert y.to("fake").backend == "fake"


def test_python_scalars_adopt_the_tensor_backend(fake: Backend) -> None:
    x = plugrad.tensor([1.0, 2.0], device="fake")
    for result in (x + 2, 2 + x, x * 3, 3 * x, x - 1, 1 - x, x / 2, 2 / x, x ** 2):
        assert result.backend == "fake"


def test_mixing_devices_raises_naming_both_and_suggesting_to(fake: Backend) -> None:
    on_fake = plugrad.ones(2, device="fake")
    on_cpu = plugrad.ones(2, device="numpy")
    with pytest.raises(RuntimeError) as info:
        on_fake + on_cpu
    message = str(info.value)
    assert message.startswith(
        "Expected all tensors to be on the same device, but found at least two devices, fake and cpu!"
    )
    assert ".to('fake')" in message and ".to('cpu')" in message
    with pytest.raises(RuntimeError, match="found at least two devices, cpu and fake"):
        on_cpu * on_fake
    assert (on_fake + on_cpu.to("fake")).backend == "fake"  # the fix the message suggests


# --- errors that guide -------------------------------------------------------------------------------


def test_unknown_backend_lists_the_known_ones(backend_name: str) -> None:
    known = ", ".join(sorted(plugrad.backend.known_backends()))
    with pytest.raises(RuntimeError, match=rf"^unknown backend or device 'nonexistent'; known backends: {known}; "
                                           r"known devices: cpu"):
        plugrad.set_default_backend("nonexistent")
    with pytest.raises(RuntimeError, match=rf"^unknown backend 'nonexistent'; known backends: {known}$"):
        plugrad.backend.get_backend("nonexistent")
    with pytest.raises(RuntimeError, match="unknown backend or device 'nonexistent'"):
        plugrad.ones(2).to("nonexistent")
    assert plugrad.get_default_backend() == backend_name


def test_unavailable_backend_says_which_extra_to_install(missinglib: None, backend_name: str) -> None:
    expected = ("backend 'missinglib' is not available: ImportError: No module named 'numba'; "
                "install it with: pip install plugrad[numba]")
    with pytest.raises(BackendUnavailable) as info:
        plugrad.set_default_backend("missinglib")
    assert str(info.value) == expected
    with pytest.raises(BackendUnavailable, match=r"pip install plugrad\[numba\]"):
        plugrad.ones(2).to("missinglib")
    with pytest.raises(BackendUnavailable, match=r"pip install plugrad\[numba\]"):
        plugrad.zeros(2, device="missinglib")
    assert plugrad.get_default_backend() == backend_name


def test_backend_of_a_failed_plugin_names_the_plugin_and_its_error() -> None:
    module = _plugin("fake_device", FakeDeviceBackend())
    module.PLUGRAD_CONTRACT = "2"  # type: ignore[attr-defined]
    with pytest.warns(RuntimeWarning, match=r"plugrad plugin 'fake' \(by hand\) was skipped"):
        plugrad.register_plugin(module, name="fake")
    try:
        with pytest.raises(RuntimeError, match=r"^backend 'fake' failed to load: plugin 'fake' \(by hand\): was built "
                                               r"for plugin contract 2"):
            plugrad.backend.get_backend("fake")
    finally:
        plugrad.unregister_plugin("fake")


# --- imports stay light -----------------------------------------------------------------------------


def test_import_plugrad_imports_neither_numba_nor_cupy() -> None:
    proc = run_python("""
        import sys
        import plugrad
        x = plugrad.ones(3, requires_grad=True)
        (x * 2).sum().backward()
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numba", "cupy", "torch"})
        print(heavy)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
