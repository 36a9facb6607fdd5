"""The backend contract: what a backend plugin supplies, and how plugrad picks one.

A backend is data plus kernels: a name, a device, an array namespace that follows
the array API standard (``xp``), conversions to and from NumPy, and random
numbers. Kernels for ops are registered separately (see ``plugrad.ops.registry``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from . import dtypes as _dt


class BackendUnavailable(RuntimeError):
    """Raised when a backend is known but cannot be used here (library or device missing)."""


class Backend:
    """Base class for backends. Subclasses set ``name``, ``device`` and ``extra``, and load ``xp`` lazily.

    ``namespace()`` imports the array library on first use, so that ``import plugrad``
    never imports numba or cupy. ``available()`` says whether it can run here, and why not.
    """

    name: str = ""
    device_type: str = "cpu"
    extra: str = ""  # the pip extra that installs this backend's library, e.g. "numba"
    priority: int = 0

    def __init__(self) -> None:
        self._xp: Any = None
        self._native_dtypes: dict[_dt.dtype, Any] = {}
        self._from_native: dict[Any, _dt.dtype] = {}
        self.plugin_name: str = ""
        self.seed: int | None = None

    # --- what a backend must provide -------------------------------------------------
    def load_namespace(self) -> Any:
        """Import and return the array namespace (``numpy``, ``cupy``, ...)."""
        raise BackendUnavailable(f"backend {self.name!r} defines no array namespace")

    def available(self) -> tuple[bool, str]:
        """``(True, "")`` when usable here, else ``(False, reason)``; a missing library names the pip extra."""
        try:
            self.namespace()
        except ImportError as exc:
            hint = f"; install it with: pip install plugrad[{self.extra}]" if self.extra else ""
            return False, f"{type(exc).__name__}: {exc}{hint}"
        except Exception as exc:  # noqa: BLE001 - any failure to load makes it unavailable
            return False, f"{type(exc).__name__}: {exc}"
        return True, ""

    def to_numpy(self, array: Any) -> Any:
        """Return a NumPy array with the same values (a copy for device memory)."""
        return array

    def from_numpy(self, array: Any) -> Any:
        """Return a backend array made from a NumPy array."""
        return self.namespace().asarray(array)

    def device_name(self, index: int = 0) -> str:
        return self.device_type

    def info(self) -> dict[str, Any]:
        """Extra facts for ``plugrad info`` (library versions, device names, threads)."""
        return {}

    # --- helpers built on the namespace ---------------------------------------------
    def namespace(self) -> Any:
        xp = self._xp
        if xp is None:
            xp = self._xp = self.load_namespace()
        return xp

    def native_dtype(self, d: _dt.dtype) -> Any:
        nd = self._native_dtypes.get(d)
        if nd is None:
            xp = self.namespace()
            nd = getattr(xp, d.name, None)
            if nd is None:
                raise TypeError(f"backend {self.name!r} has no dtype {d.name}")
            self._native_dtypes[d] = nd
        return nd

    def dtype_of(self, array: Any) -> _dt.dtype:
        native = array.dtype
        d = self._from_native.get(native)
        if d is None:
            d = _dt.as_dtype(getattr(native, "name", str(native)))
            self._from_native[native] = d
        return d

    def asarray(self, data: Any, dtype: _dt.dtype | None = None) -> Any:
        xp = self.namespace()
        if dtype is None:
            return xp.asarray(data)
        return xp.asarray(data, dtype=self.native_dtype(dtype))

    def rng(self, generator: Any = None) -> Any:
        """Return this backend's default random stream, seeded by ``plugrad.manual_seed``."""
        raise self._no_random("rng")

    def new_generator(self, seed: int) -> Any:
        """A new random stream seeded with ``seed``, for a ``plugrad.Generator`` (the default shares ``rng()``)."""
        return self.rng()

    def rand(self, shape: tuple[int, ...], dtype: _dt.dtype) -> Any:
        raise self._no_random("rand")

    def randn(self, shape: tuple[int, ...], dtype: _dt.dtype) -> Any:
        raise self._no_random("randn")

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: _dt.dtype) -> Any:
        raise self._no_random("randint")

    # Derived draws: a backend may override them to draw as PyTorch does (the NumPy backend does).
    def uniform(self, shape: tuple[int, ...], dtype: _dt.dtype, low: float, high: float, **kw: Any) -> Any:
        return self.rand(shape, dtype, **kw) * (high - low) + low

    def normal(self, shape: tuple[int, ...], dtype: _dt.dtype, mean: float, std: float, **kw: Any) -> Any:
        return self.randn(shape, dtype, **kw) * std + mean

    def randperm(self, n: int, dtype: _dt.dtype, **kw: Any) -> Any:
        xp = self.namespace()
        order = xp.argsort(self.rand((n,), _dt.float64, **kw))
        return xp.astype(order, self.native_dtype(dtype)) if hasattr(xp, "astype") else order.astype(self.native_dtype(dtype))

    def _no_random(self, method: str) -> RuntimeError:
        return RuntimeError(
            f"backend {self.name!r} does not generate random numbers: its class {type(self).__name__} "
            f"must define {method}(); make the tensor on another backend and move it with .to({self.name!r})"
        )

    def manual_seed(self, seed: int) -> None:
        self.seed = seed

    def __repr__(self) -> str:
        return f"<plugrad backend {self.name!r} on {self.device_type}>"


class Device:
    """A device as PyTorch names it: ``cpu`` or ``cuda:0``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str, index: int | None = None) -> None:  # noqa: A002 - PyTorch's name
        if index is None and ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        if not isinstance(other, Device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))


# Note: public as plugrad.device, the name PyTorch gives the class (type(x.device).__name__ == "device").
Device.__module__ = "plugrad"
Device.__name__ = Device.__qualname__ = "device"


device = Device

_backends: dict[str, Backend] = {}
_default: list[Backend | None] = [None]


def _registry() -> dict[str, Backend]:
    from . import plugins

    plugins.ensure_loaded()
    return _backends


def register(backend: Backend) -> None:
    """Add a backend; called by the plugin registry, never on the per-op path."""
    _backends[backend.name] = backend


def known_backends() -> dict[str, Backend]:
    return dict(_registry())


def get_backend(name: str | Backend) -> Backend:
    """Return the backend called ``name``, with an error saying what to do if it cannot be used."""
    if isinstance(name, Backend):
        return name
    backends = _registry()
    b = backends.get(name)
    if b is None:
        raise RuntimeError(_unknown_backend_message(name, backends))
    ok, reason = b.available()
    if not ok:
        raise BackendUnavailable(f"backend {name!r} is not available: {reason}")
    return b


def _unknown_backend_message(name: str, backends: dict[str, Backend], devices: bool = False) -> str:
    from . import plugins

    failed = plugins.failure_for(name)
    if failed:
        return f"backend {name!r} failed to load: {failed}"
    known = ", ".join(sorted(backends)) or "none"
    if devices:
        kinds = ", ".join(sorted({b.device_type for b in backends.values()})) or "none"
        msg = f"unknown backend or device {name!r}; known backends: {known}; known devices: {kinds}"
    else:
        msg = f"unknown backend {name!r}; known backends: {known}"
    for r in plugins.records():
        if r.name == name and r.status == "disabled":
            msg += f". A plugin {r.describe()} is installed but disabled: {r.error}"
    return msg


def backend_for_device(dev: Any) -> Backend:
    """The backend that makes tensors for a device: the default backend if it is on that device."""
    d = dev if isinstance(dev, Device) else Device(str(dev))
    current = _default[0]
    if current is None:
        try:
            current = default_backend_obj()
        except RuntimeError:
            current = None  # Note: a bad PLUGRAD_BACKEND must not stop explicit devices from working
    if current is not None and current.device_type == d.type:
        return current
    if d.type in _registry():
        return get_backend(d.type)
    candidates = sorted(
        (b for b in _registry().values() if b.device_type == d.type), key=lambda b: -b.priority
    )
    for b in candidates:
        if b.available()[0]:
            return b
    if candidates:
        return get_backend(candidates[0].name)  # raises with the reason
    known = ", ".join(sorted({b.device_type for b in _registry().values()}))
    raise RuntimeError(f"no backend provides device {str(d)!r}; devices known: {known}")


def resolve(spec: Any) -> Backend:
    """A backend from a backend name, a device string (``"cuda"``, ``"cpu"``) or a Device."""
    if isinstance(spec, Backend):
        return spec
    if isinstance(spec, Device):
        return backend_for_device(spec)
    name = str(spec)
    if name in _registry():
        return get_backend(name)
    base = name.partition(":")[0]
    if any(b.device_type == base for b in _registry().values()):
        return backend_for_device(name)
    raise RuntimeError(_unknown_backend_message(name, _registry(), devices=True))


def default_backend_obj() -> Backend:
    b = _default[0]
    if b is None:
        name = os.environ.get("PLUGRAD_BACKEND", "") or "numpy"
        try:
            b = get_backend(name)
        except RuntimeError as exc:
            raise type(exc)(f"PLUGRAD_BACKEND={name!r} names a backend that cannot be used: {exc}") from None
        _default[0] = b
    return b


def set_default_backend(name: str | Backend) -> None:
    """Choose the backend that factories (``tensor``, ``ones``, ``randn``...) use.

    ``name`` is a backend name (``"numpy"``, ``"numba"``, ``"cupy"``), a device (``"cpu"``, ``"cuda"``)
    or a Backend. Tensors already made stay where they are.
    """
    _default[0] = resolve(name)


def get_default_backend() -> str:
    return default_backend_obj().name


@contextlib.contextmanager
def default_backend(name: str | Backend) -> Iterator[Backend]:
    """Use ``name`` (as for :func:`set_default_backend`) as the default backend inside the block."""
    prev = _default[0]
    chosen = _default[0] = resolve(name)
    try:
        yield chosen
    finally:
        _default[0] = prev


def reset_default() -> None:
    _default[0] = None


Kernel = Callable[..., Any]
