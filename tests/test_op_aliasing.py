"""No op hands out its input's memory unless it is declared a view: an in-place op on a result must never write
into an input (PyTorch's copies, such as flip, diag and rot90, are copies here too), and a declared view must
write through whatever the input's layout."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from plugrad.backend import get_backend
from plugrad.factories import _made
from plugrad.ops import registry
from plugrad.testing import opdb

# Internal ops whose result is only ever written back into their first input, never handed to a user.
_WRITE_BACK = {"copy_from", "fill_value", "unsafe_view", "squeeze_inplace", "squeeze_dim_inplace",
               "squeeze_dims_inplace", "unsqueeze_inplace", "t_inplace", "transpose_inplace"}


def _layouts(args: tuple) -> list[tuple]:
    """The sample's inputs as they are, and with every matrix-or-larger input column-major."""
    def column_major(a):
        if hasattr(a, "_data") and a.dim() >= 2 and isinstance(a._data, np.ndarray):
            return _made(np.asfortranarray(a._data), a._backend)  # reports column-major strides, as PyTorch's
        return a
    return [args, tuple(column_major(a) for a in args)]


def test_no_op_aliases_its_inputs(backend_name: str) -> None:
    backend = get_backend(backend_name)
    xp = backend.namespace()
    shares = getattr(xp, "shares_memory", None)
    if shares is None:
        pytest.skip(f"backend {backend_name!r} has no shares_memory to tell views from copies")
    aliased = []
    for name, op in sorted(registry.OPS.items()):
        if op.is_view or name in _WRITE_BACK:
            continue
        try:
            samples = opdb.op_samples(name)
        except Exception:  # noqa: BLE001 - the op database reports broken sample functions itself
            continue
        for sid, sample in samples:
            m = opdb.materialize(sample, backend, "float64", 0)
            for args in _layouts(m.args):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        out = op.dispatch(tuple(args), m.attrs)
                    except Exception:  # noqa: BLE001 - samples meant to raise are the op database's concern
                        continue
                for o in out if isinstance(out, tuple) else (out,):
                    for a in args:
                        if (hasattr(o, "_data") and hasattr(a, "_data") and getattr(o._data, "size", 0)
                                and shares(o._data, a._data)):
                            aliased.append(f"{name}[{sid}]")
    assert not aliased, f"ops whose results share memory with an input: {sorted(set(aliased))}"


def test_declared_views_share_their_input_in_any_layout(backend_name: str) -> None:
    backend = get_backend(backend_name)
    shares = getattr(backend.namespace(), "shares_memory", None)
    if shares is None:
        pytest.skip(f"backend {backend_name!r} has no shares_memory to tell views from copies")
    copied = []
    for name, op in sorted(registry.OPS.items()):
        if not op.is_view:
            continue
        for sid, sample in opdb.op_samples(name):
            m = opdb.materialize(sample, backend, "float64", 0)
            # as_strided addresses the storage in row-major order, and view_as_complex refuses (in its
            # function, which this bypasses) a last dimension with a stride other than 1: row-major inputs only
            layouts = _layouts(m.args)[:1] if name in ("as_strided", "view_as_complex") else _layouts(m.args)
            for args in layouts:
                base = args[0]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        out = op.dispatch(tuple(args), m.attrs)
                    except Exception:  # noqa: BLE001 - samples meant to raise are the op database's concern
                        continue
                for o in out if isinstance(out, tuple) else (out,):
                    if getattr(o._data, "size", 0) and getattr(base._data, "size", 0) and not shares(o._data, base._data):
                        # a reshape that must copy (PyTorch's reshape copies too) is the one allowed exception
                        if name != "reshape":
                            copied.append(f"{name}[{sid}]")
    assert not copied, f"view ops whose results do not share their input's memory: {sorted(set(copied))}"
