"""plugrad: define-by-run automatic differentiation with PyTorch's tensor API and pluggable backends."""

from __future__ import annotations

import builtins
import math as _math
from typing import Any

__version__ = "0.1.0"

from . import (
    _methods,  # noqa: F401,E402  (binds operators and methods to Tensor)
    autograd,  # noqa: F401,E402
)
from ._settings import *  # noqa: F401,F403,E402
from .autograd import (  # noqa: F401,E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401,E402
from .autograd.grad_mode import is_inference_mode_enabled  # noqa: F401,E402
from .backend import (  # noqa: F401,E402
    Device as device,
)
from .backend import (  # noqa: F401
    default_backend,
    get_default_backend,
    set_default_backend,
)
from .dtypes import ALIASES as _ALIASES
from .dtypes import (  # noqa: F401
    Size,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    layout,
    set_default_dtype,
    strided,
    uint8,
)
from .dtypes import (  # noqa: F401
    bool_ as bool,
)
from .factories import *  # noqa: F401,F403,E402
from .formatting import set_printoptions  # noqa: F401,E402
from .hookspecs import hookimpl  # noqa: F401
from .kernels import array_api as _array_api  # noqa: F401,E402
from .memory_formats import (  # noqa: F401,E402
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from .ops import *  # noqa: F401,F403,E402
from .ops.special import INPLACE_FUNCTIONS as _INPLACE_FUNCTIONS  # noqa: E402
from .plugins import refresh_plugins, register_plugin, unregister_plugin  # noqa: F401,E402
from .serialization import load, save  # noqa: F401,E402
from .tensor import Tensor  # noqa: F401
from .threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads  # noqa: F401,E402
from .typeinfo import *  # noqa: F401,F403,E402
from .windows import *  # noqa: F401,F403,E402

# PyTorch's module constants: plain Python values, as in torch.
e = _math.e
pi = _math.pi
inf = _math.inf
nan = _math.nan
newaxis = None

globals().update(_ALIASES)
globals().update(_INPLACE_FUNCTIONS)
globals().update(_methods._tensor_extras.FUNCTIONS)
half, float, double, long, int, short, cfloat, cdouble = (  # noqa: A001 - PyTorch's names
    float16, float32, float64, int64, int32, int16, complex64, complex128,
)


def set_flush_denormal(mode: builtins.bool) -> builtins.bool:
    """Whether flushing denormal floats to zero could be set: plugrad's CPU arrays are NumPy's, which cannot
    change the FPU's flush-to-zero mode, so this changes nothing and returns False (PyTorch's answer on a CPU
    without the feature)."""
    return False


def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def is_inference(input: Tensor) -> builtins.bool:  # noqa: A002
    """Whether ``input`` was made under ``inference_mode()`` (PyTorch's ``torch.is_inference``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input.is_inference()


def numel(input: Tensor) -> builtins.int:  # noqa: A002
    return input.numel()


def is_storage(obj: Any) -> builtins.bool:
    """False: plugrad tensors hold backend arrays, not storage objects (PyTorch's ``torch.is_storage``)."""
    return False


def get_device(input: Tensor) -> builtins.int:  # noqa: A002
    """The CUDA device index of ``input``, -1 for a CPU tensor (PyTorch's ``torch.get_device``)."""
    return input.get_device()


def __getattr__(name: str) -> Any:
    from . import plugins

    plugins.ensure_loaded()
    ns = plugins.NAMESPACES.get(name)
    if ns is not None:
        return ns
    if name in ("nn", "optim", "viz", "func", "testing", "data", "utils", "cuda", "special", "backends", "accelerator",
                "version", "distributions", "fft"):
        import importlib

        try:
            return importlib.import_module(f"plugrad.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"plugrad.{name}":
                raise
    if name == "linalg":  # the core's torch.linalg, when no plugin adds a namespace of that name
        from . import _linalg

        return _linalg
    raise AttributeError(f"module 'plugrad' has no attribute {name!r}")


def _install_namespace_module(name: str) -> None:
    """Make ``import plugrad.<name>`` and ``from plugrad.<name> import f`` work for a namespace that
    ``plugrad.<name>`` finds at each access (a plugin's while one is loaded, else the core's).

    The module in ``sys.modules`` forwards every attribute to that namespace; it is never set on ``plugrad``
    itself, so the attribute still goes through :func:`__getattr__` and a plugin keeps its precedence.
    """
    import importlib.machinery
    import sys
    import types

    full = f"{__name__}.{name}"
    module = types.ModuleType(full, f"The namespace ``plugrad.{name}`` (see ``plugrad.__getattr__``).")
    module.__spec__ = importlib.machinery.ModuleSpec(full, None)

    def forward(attr: str) -> Any:
        return getattr(__getattr__(name), attr)

    def listing() -> list:
        return dir(__getattr__(name))

    module.__getattr__ = forward  # type: ignore[method-assign]
    module.__dir__ = listing  # type: ignore[method-assign]
    sys.modules.setdefault(full, module)


_install_namespace_module("linalg")
