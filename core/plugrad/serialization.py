"""``plugrad.save`` / ``plugrad.load``: tensors and containers of them in a format that runs no code on load.

The file is a zip archive (like NumPy's ``.npz``) holding

* ``plugrad.json``: ``{"format": "plugrad", "version": 1, "root": NODE}``, the structure of the saved object;
* ``arrays/<k>.npy``: one NumPy ``.npy`` file per distinct tensor, written and read with
  ``allow_pickle=False``.

A NODE is a JSON object with a ``"type"``: ``"tensor"`` (``array``: the member name, ``dtype``, ``shape``,
``requires_grad``, ``parameter``, ``backend``, ``device``), ``"dict"`` (``items``: a list of ``[key NODE,
value NODE]``, ``ordered`` for OrderedDict), ``"list"`` / ``"tuple"`` (``items``), ``"int"``, ``"float"``
(``value`` is ``repr(x)``, so inf and nan survive), ``"complex"`` (``real``, ``imag``), ``"bool"``, ``"str"``,
``"none"``, or ``"dtype"`` (``name``). A tensor that appears several times is stored once and comes back
as one tensor. Loading only parses JSON and ``.npy`` headers: a truncated, corrupted or crafted file
(a pickle, an object array, a bad index) raises :class:`LoadError` naming the problem.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO

from . import dtypes as _dt
from .tensor import Tensor

FORMAT = "plugrad"
VERSION = 1
INDEX = "plugrad.json"
_MAX_INDEX_BYTES = 256 * 1024 * 1024


class LoadError(RuntimeError):
    """A file given to :func:`load` is not a valid plugrad save file; nothing in it was run."""


# --- saving ------------------------------------------------------------------------------------------


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Save ``obj`` (a tensor, a state dict, or nested dicts/lists/tuples of tensors and Python scalars) to ``f``.

    ``f`` is a path or a binary file object. See the module docstring for the format.
    """
    import numpy as np

    arrays: list[Any] = []
    memo: dict[int, dict[str, Any]] = {}
    root = _encode(obj, arrays, memo, "obj")
    index = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(INDEX, index)
        for k, arr in enumerate(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            zf.writestr(f"arrays/{k}.npy", buf.getvalue())


def _encode(obj: Any, arrays: list, memo: dict, path: str) -> dict[str, Any]:
    if isinstance(obj, Tensor):
        node = memo.get(id(obj))
        if node is None:
            from .nn.parameter import Parameter

            b = obj._backend
            arrays.append(b.to_numpy(obj._data))
            node = {"type": "tensor", "array": f"arrays/{len(arrays) - 1}.npy", "dtype": obj.dtype.name,
                    "shape": list(obj.shape), "requires_grad": bool(obj._requires_grad),
                    "parameter": isinstance(obj, Parameter), "backend": b.name, "device": b.device_type}
            memo[id(obj)] = node
        return node
    if obj is None:
        return {"type": "none"}
    if isinstance(obj, bool):
        return {"type": "bool", "value": obj}
    if isinstance(obj, int):
        return {"type": "int", "value": str(obj)}
    if isinstance(obj, float):
        return {"type": "float", "value": repr(obj)}
    if isinstance(obj, complex):
        return {"type": "complex", "real": repr(obj.real), "imag": repr(obj.imag)}
    if isinstance(obj, str):
        return {"type": "str", "value": obj}
    if isinstance(obj, _dt.dtype):
        return {"type": "dtype", "name": obj.name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool, tuple)) and k is not None:
                raise TypeError(f"plugrad.save: dict key {k!r} at {path} has type {type(k).__name__}; keys must be "
                                "str, int, float, bool, None or tuples of those")
            items.append([_encode(k, arrays, memo, f"{path} key"), _encode(v, arrays, memo, f"{path}[{k!r}]")])
        return {"type": "dict", "ordered": isinstance(obj, OrderedDict), "items": items}
    if type(obj) in (list, tuple):
        return {"type": type(obj).__name__,
                "items": [_encode(v, arrays, memo, f"{path}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(
        f"plugrad.save cannot store {type(obj).__name__} (at {path}): it saves tensors, dicts, lists, tuples, "
        "numbers, strings, None and dtypes; save a state_dict() rather than a module or optimizer object"
    )


# --- loading -------------------------------------------------------------------------------------------


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, *, weights_only: bool = True) -> Any:
    """Load an object saved by :func:`save`. Never runs code from the file.

    ``map_location`` (a backend or device name, e.g. ``"cpu"``) puts every tensor there; by default a tensor
    goes back to the backend it was saved from, or to the CPU default backend if that one is not available
    here and it was a CPU backend. ``weights_only`` is accepted for PyTorch compatibility: loading is always
    weights-only.
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    raw = _read_all(f, name)
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise LoadError(_not_zip_message(raw, name))
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(f"{name} is a corrupted or truncated zip archive ({exc}); it cannot be loaded") from None
    with zf:
        index = _read_index(zf, name)
        target = _target_resolver(map_location, name)
        return _Decoder(zf, name, target).node(index["root"], "root")


def _read_all(f: Any, name: str) -> bytes:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return fh.read()
    data = f.read()
    if not isinstance(data, bytes):
        raise TypeError(f"plugrad.load needs a path or a binary file object; {name} gave {type(data).__name__}")
    return data


def _not_zip_message(raw: bytes, name: str) -> str:
    if not raw:
        return f"{name} is empty: not a plugrad save file"
    if raw[:1] == b"\x80" or raw[:2] in (b"(d", b"(l", b"}q", b"]q"):
        return (f"{name} looks like a Python pickle (for example from torch.save or pickle.dump). plugrad.load never "
                "unpickles, because unpickling can run arbitrary code; re-save the data with plugrad.save")
    if raw[:4] == b"PK\x03\x04":
        return f"{name} is a truncated or corrupted zip archive (its central directory is missing); it cannot be loaded"
    if raw[:6] == b"\x93NUMPY":
        return f"{name} is a bare .npy file, not a plugrad save file; read it with numpy.load(..., allow_pickle=False)"
    return f"{name} is not a plugrad save file (expected a zip archive starting with b'PK\\x03\\x04', got {raw[:8]!r})"


def _read_member(zf: zipfile.ZipFile, member: str, name: str, limit: int | None = None) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise LoadError(f"{name} has no member {member!r}: the index refers to data that is not in the file") from None
    if limit is not None and info.file_size > limit:
        raise LoadError(f"{name}: member {member!r} is {info.file_size} bytes, more than the {limit} allowed")
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise LoadError(f"{name}: member {member!r} is corrupted or truncated ({exc})") from None


def _read_index(zf: zipfile.ZipFile, name: str) -> dict[str, Any]:
    if INDEX not in zf.namelist():
        raise LoadError(f"{name} is a zip archive but has no {INDEX!r} index: not a plugrad save file")
    text = _read_member(zf, INDEX, name, _MAX_INDEX_BYTES)
    try:
        index = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"{name}: the index {INDEX!r} is not valid JSON ({exc})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise LoadError(f"{name}: the index does not declare format {FORMAT!r}: not a plugrad save file")
    if index.get("version") != VERSION:
        raise LoadError(f"{name} was written in plugrad save format version {index.get('version')!r}; this plugrad "
                        f"reads version {VERSION}")
    if "root" not in index:
        raise LoadError(f"{name}: the index has no 'root' entry")
    return index


def _target_resolver(map_location: Any, name: str) -> Any:
    from .backend import get_backend, resolve

    if map_location is not None:
        fixed = resolve(map_location)
        return lambda backend, device, path: fixed

    def pick(backend: str, device: str, path: str) -> Any:
        try:
            return get_backend(backend)
        except Exception as exc:  # noqa: BLE001 - reported below unless a CPU backend can stand in
            if device == "cpu":
                return resolve("cpu")
            raise LoadError(
                f"{name}: tensor {path} was saved on backend {backend!r} ({device}), which is not available here "
                f"({exc}); pass map_location='cpu' (or another backend) to plugrad.load"
            ) from None

    return pick


class _Decoder:
    def __init__(self, zf: zipfile.ZipFile, name: str, target: Any) -> None:
        self.zf = zf
        self.name = name
        self.target = target
        self.tensors: dict[str, Tensor] = {}

    def fail(self, path: str, what: str) -> LoadError:
        return LoadError(f"{self.name}: invalid index at {path}: {what}")

    def node(self, node: Any, path: str) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise self.fail(path, f"expected an object with a 'type', got {type(node).__name__}")
        kind = node["type"]
        try:
            if kind == "tensor":
                return self.tensor(node, path)
            if kind == "none":
                return None
            if kind == "bool":
                return self.typed(node, "value", bool, path)
            if kind == "int":
                return int(self.typed(node, "value", str, path))
            if kind == "float":
                return float(self.typed(node, "value", str, path))
            if kind == "complex":
                return complex(float(self.typed(node, "real", str, path)), float(self.typed(node, "imag", str, path)))
            if kind == "str":
                return self.typed(node, "value", str, path)
            if kind == "dtype":
                return _dt.as_dtype(self.typed(node, "name", str, path))
            if kind in ("list", "tuple"):
                items = [self.node(v, f"{path}[{i}]") for i, v in enumerate(self.typed(node, "items", list, path))]
                return items if kind == "list" else tuple(items)
            if kind == "dict":
                out: dict[Any, Any] = OrderedDict() if node.get("ordered") else {}
                for i, pair in enumerate(self.typed(node, "items", list, path)):
                    if not isinstance(pair, list) or len(pair) != 2:
                        raise self.fail(path, f"dict item {i} is not a [key, value] pair")
                    key = self.node(pair[0], f"{path} key {i}")
                    try:
                        hash(key)
                    except TypeError:
                        raise self.fail(path, f"dict key {i} is of unhashable type {type(key).__name__}") from None
                    out[key] = self.node(pair[1], f"{path}[{key!r}]")
                return out
        except ValueError as exc:
            if isinstance(exc, LoadError):
                raise
            raise self.fail(path, f"bad {kind} value ({exc})") from None
        except TypeError as exc:
            raise self.fail(path, f"bad {kind} value ({exc})") from None
        raise self.fail(path, f"unknown node type {kind!r}")

    def typed(self, node: dict, key: str, kind: type, path: str) -> Any:
        value = node.get(key)
        if not isinstance(value, kind):
            raise self.fail(path, f"{node.get('type')!r} needs {key!r} of type {kind.__name__}, got {value!r:.80}")
        return value

    def tensor(self, node: dict, path: str) -> Tensor:
        import numpy as np

        member = self.typed(node, "array", str, path)
        cached = self.tensors.get(member)
        if cached is not None:
            return cached
        dtype_name = self.typed(node, "dtype", str, path)
        if dtype_name not in _dt.BY_NAME:
            raise self.fail(path, f"unknown dtype {dtype_name!r}")
        shape = self.typed(node, "shape", list, path)
        raw = _read_member(self.zf, member, self.name)
        try:
            arr = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
        except ValueError as exc:
            if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                raise LoadError(f"{self.name}: member {member!r} holds a Python-object array, which only pickle can "
                                "read; plugrad.load never unpickles, so it refuses this file") from None
            raise LoadError(f"{self.name}: member {member!r} is not a valid .npy array ({exc})") from None
        except (OSError, EOFError) as exc:
            raise LoadError(f"{self.name}: member {member!r} is truncated or corrupted ({exc})") from None
        if arr.dtype.name != dtype_name:
            raise LoadError(f"{self.name}: member {member!r} holds {arr.dtype.name} data but the index says "
                            f"{dtype_name}")
        if list(arr.shape) != shape:
            raise LoadError(f"{self.name}: member {member!r} has shape {list(arr.shape)} but the index says {shape}")
        if not arr.flags.writeable:
            arr = arr.copy()
        backend = self.target(str(node.get("backend", "numpy")), str(node.get("device", "cpu")), path)
        from .tensor import _wrap

        t = _wrap(backend.from_numpy(arr), backend)
        if node.get("parameter"):
            from .nn.parameter import Parameter

            t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
        elif node.get("requires_grad"):
            t.requires_grad_(True)
        self.tensors[member] = t
        return t


__all__ = ["LoadError", "load", "save"]
