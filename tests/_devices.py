"""A second device without a GPU: the ``fakecuda`` backend, and helpers that keep tests device-neutral.

``pytest --backend fakecuda`` runs the whole suite on a backend whose device is ``cuda`` but whose
arrays are NumPy's. Everything a CUDA tensor refuses, it refuses too: mixing it with CPU tensors,
``numpy()`` without ``cpu()``, ``from_numpy`` memory sharing (its transfers copy). So a test that
passes here does not assume the CPU, and the same suite is meaningful on the real CuPy backend.
"""

from __future__ import annotations

import contextlib
import os
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import plugrad
from plugrad.backend import Backend
from plugrad_numpy import NumpyBackend

FAKE_CUDA = "fakecuda"


class FakeCudaBackend(NumpyBackend):
    """Device ``cuda``, NumPy arrays and random numbers; transfers to and from NumPy copy, as device memory does."""

    name = FAKE_CUDA
    device_type = "cuda"
    extra = ""
    priority = -10  # a real CUDA backend, when installed and usable, is the one "cuda" picks

    def to_numpy(self, array: Any) -> Any:
        return np.array(array, copy=True)

    def from_numpy(self, array: Any) -> Any:
        return np.array(array, copy=True)

    def device_name(self, index: int = 0) -> str:
        return f"cuda:{index}"

    def info(self) -> dict[str, Any]:
        return {"device": "NumPy standing in for a CUDA device", "numpy": np.__version__}


def fake_cuda_plugin() -> types.ModuleType:
    """A plugin module registering :class:`FakeCudaBackend`, for ``plugrad.register_plugin``."""
    module = types.ModuleType("plugrad_fakecuda")
    module.PLUGRAD_CONTRACT = "1"  # type: ignore[attr-defined]
    module.plugrad_register_backends = plugrad.hookimpl(  # type: ignore[attr-defined]
        lambda registry: registry.register_backend(FakeCudaBackend()))
    return module


def register_fake_cuda() -> None:
    """Register the ``fakecuda`` backend (once per process)."""
    from plugrad.backend import known_backends

    if FAKE_CUDA not in known_backends():
        record = plugrad.register_plugin(fake_cuda_plugin(), name=FAKE_CUDA)
        if record.status != "loaded":
            raise RuntimeError(f"the {FAKE_CUDA} backend could not be registered: {record.error}")


@contextlib.contextmanager
def fake_cuda_registered() -> Iterator[Backend]:
    """The ``fakecuda`` backend for the duration of the block (registered here unless the suite runs on it)."""
    from plugrad.backend import get_backend, known_backends

    mine = FAKE_CUDA not in known_backends()
    if mine:
        register_fake_cuda()
    try:
        yield get_backend(FAKE_CUDA)
    finally:
        if mine:
            plugrad.unregister_plugin(FAKE_CUDA)


def require_gpu() -> bool:
    """Whether ``PLUGRAD_REQUIRE_GPU=1`` asks for a missing GPU to fail the run rather than skip."""
    return os.environ.get("PLUGRAD_REQUIRE_GPU") == "1"


def to_numpy(t: Any) -> np.ndarray:
    """The values of a tensor (on any device, requiring grad or not) as a NumPy array; other data as is."""
    if isinstance(t, plugrad.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)


def device_suffix() -> str:
    """What PyTorch adds to the repr of a tensor of the suite's default backend: ``, device='cuda:0'``
    off the CPU, nothing on it."""
    from plugrad.backend import default_backend_obj

    b = default_backend_obj()
    return "" if b.device_type == "cpu" else f", device='{b.device_name()}'"


def pytest_configure(config: Any) -> None:
    """Loaded as a pytest plugin (``-p _devices``, the tests folder on the path), register ``fakecuda`` for
    a run that names it: the conformance kit run in a subprocess of the suite."""
    if FAKE_CUDA in (os.environ.get("PLUGRAD_BACKEND"), getattr(config.option, "plugrad_backend", None)):
        register_fake_cuda()
