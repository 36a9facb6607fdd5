"""plugrad's CUDA backend: CuPy arrays on the GPU, CuPy as the array namespace.

Install it with ``pip install plugrad[cuda13]`` (or ``plugrad[cuda12]``); it works with whichever ``cupy``
is importable. Tensors live on device ``cuda`` (printed ``cuda:0``): ``plugrad.tensor(..., device="cuda")``,
``x.to("cuda")``, ``x.cuda()``, and ``x.cpu()`` to come back. Nothing moves between devices implicitly.

Every op runs from the start: the generic array-API kernels run over CuPy. For the backward passes that
take several kernels there (pow, tanh, sigmoid, relu/threshold, clamp, softmax, log_softmax) and for cross
entropy, :mod:`plugrad_cupy.kernels` adds fused ``cupy.ElementwiseKernel`` / ``ReductionKernel`` kernels,
compiled on first use. Registering or selecting the backend imports no cupy: ``available()`` and the first
tensor do.
"""

from __future__ import annotations

from typing import Any

import plugrad
from plugrad.backend import Backend

from . import kernels

PLUGRAD_CONTRACT = "1"


class CupyBackend(Backend):
    """CUDA tensors held as ``cupy.ndarray`` on device 0; random numbers from CuPy's generator."""

    name = "cupy"
    device_type = "cuda"
    extra = "cuda13"
    priority = 10

    def __init__(self) -> None:
        super().__init__()
        self._availability: tuple[bool, str] | None = None
        self._rng: Any = None

    def load_namespace(self) -> Any:
        return kernels.cupy_namespace()

    def available(self) -> tuple[bool, str]:
        """Whether cupy imports and sees a CUDA device; the reason, on one line, when not (cached)."""
        if self._availability is None:
            self._availability = self._probe()
        return self._availability

    def _probe(self) -> tuple[bool, str]:
        try:
            cp = self.namespace()
        except ImportError as exc:
            return False, (f"cupy is not installed ({_one_line(exc)}); install it with: "
                           f"pip install plugrad[{self.extra}] (CUDA 13) or plugrad[cuda12] (CUDA 12)")
        except Exception as exc:  # noqa: BLE001 - any failure to load makes it unavailable
            return False, f"cupy failed to load: {_one_line(exc)}"
        try:
            count = cp.cuda.runtime.getDeviceCount()
        except Exception as exc:  # noqa: BLE001 - no driver, no device, a driver too old: all say why
            return False, f"no usable CUDA device: {_one_line(exc)}"
        if count == 0:
            return False, "no CUDA device found (cupy.cuda.runtime.getDeviceCount() is 0)"
        return True, ""

    def to_numpy(self, array: Any) -> Any:
        return self.namespace().asnumpy(array)

    def from_numpy(self, array: Any) -> Any:
        return self.namespace().asarray(array)

    def device_name(self, index: int = 0) -> str:
        return f"cuda:{index}"

    def info(self) -> dict[str, Any]:
        """The GPU's name and compute capability, the CUDA runtime and driver versions, cupy's version."""
        cp = self.namespace()
        runtime = cp.cuda.runtime
        props = runtime.getDeviceProperties(0)
        name = props["name"]
        return {
            "device": name.decode() if isinstance(name, bytes) else str(name),
            "compute capability": f"{props['major']}.{props['minor']}",
            "CUDA runtime": _cuda_version(runtime.runtimeGetVersion()),
            "CUDA driver": _cuda_version(runtime.driverGetVersion()),
            "cupy": cp.__version__,
        }

    # --- random numbers, on the device -------------------------------------------------------
    def rng(self, generator: Any = None) -> Any:
        if generator is not None:
            return generator
        gen = self._rng
        if gen is None:
            gen = self._rng = self.namespace().random.default_rng(self.seed)
        return gen

    def new_generator(self, seed: int) -> Any:
        return self.namespace().random.default_rng(seed)

    def manual_seed(self, seed: int) -> None:
        self.seed = seed
        self._rng = self.namespace().random.default_rng(seed)

    def rand(self, shape: tuple[int, ...], dtype: Any, generator: Any = None) -> Any:
        native = self.native_dtype(dtype)
        if dtype.name in ("float32", "float64"):
            return self.rng(generator).random(shape, dtype=native)
        return self.rng(generator).random(shape, dtype=self.namespace().float64).astype(native)

    def randn(self, shape: tuple[int, ...], dtype: Any, generator: Any = None) -> Any:
        native = self.native_dtype(dtype)
        if dtype.name in ("float32", "float64"):
            return self.rng(generator).standard_normal(shape, dtype=native)
        return self.rng(generator).standard_normal(shape, dtype=self.namespace().float64).astype(native)

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: Any, generator: Any = None) -> Any:
        return self.rng(generator).integers(low, high, size=shape).astype(self.native_dtype(dtype), copy=False)


def _one_line(exc: BaseException) -> str:
    """``Type: message`` with the message's lines joined (cupy's import errors span many, with rulers)."""
    lines = [ln.strip() for ln in str(exc).splitlines()]
    text = " ".join(ln for ln in lines if ln and set(ln) - set("=-"))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _cuda_version(v: int) -> str:
    """CUDA's integer version (12040) as ``12.4``."""
    return f"{v // 1000}.{v % 1000 // 10}"


@plugrad.hookimpl
def plugrad_register_backends(registry: Any) -> None:
    registry.register_backend(CupyBackend())


@plugrad.hookimpl
def plugrad_register_kernels(registry: Any) -> None:
    for op_name, fn in kernels.KERNELS.items():
        registry.register_kernel(op_name, CupyBackend.name, fn)
