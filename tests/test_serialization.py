"""plugrad.save / plugrad.load: round trips, and files that must be refused without running anything."""

from __future__ import annotations

import io
import json
import math
import pickle
import zipfile

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad import nn, optim
from plugrad.serialization import LoadError


def _roundtrip(obj, tmp_path=None):
    if tmp_path is not None:
        path = tmp_path / "obj.pt"
        plugrad.save(obj, path)
        return plugrad.load(path)
    buf = io.BytesIO()
    plugrad.save(obj, buf)
    buf.seek(0)
    return plugrad.load(buf)


def test_model_and_optimizer_state_dicts_roundtrip(tmp_path):
    plugrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3), nn.LayerNorm(3))
    opt = optim.AdamW(model.parameters(), lr=0.01)
    loss = model(plugrad.randn(4, 1, 4, 4)).pow(2).mean()
    loss.backward()
    opt.step()
    saved = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 7}
    back = _roundtrip(saved, tmp_path)
    assert list(back["model"]) == list(saved["model"]) and back["epoch"] == 7
    for k, v in saved["model"].items():
        assert back["model"][k].dtype is v.dtype and np.array_equal(to_numpy(back["model"][k]), to_numpy(v))
    twin = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3), nn.LayerNorm(3))
    twin.load_state_dict(back["model"])
    x = plugrad.randn(2, 1, 4, 4)
    assert np.array_equal(to_numpy(twin(x)), to_numpy(model(x)))
    opt2 = optim.AdamW(twin.parameters(), lr=0.5)
    opt2.load_state_dict(back["optim"])
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt2.state[twin[0].weight]["step"].item() == 1.0


def test_nested_python_values_dtypes_and_sharing_roundtrip():
    shared = plugrad.tensor([1.5, -2.0], dtype=plugrad.float64)
    p = nn.Parameter(plugrad.ones(2))
    obj = {
        "a": [1, 2.5, float("inf"), float("nan"), -0.0, 3 + 4j, True, None, "text", (1, (2, "x"))],
        7: shared, (1, "k"): shared, "p": p, "dtype": plugrad.int16,
        "ints": plugrad.tensor([[1, 2]], dtype=plugrad.int64), "mask": plugrad.tensor([True, False]),
        "scalar": plugrad.tensor(3.0, requires_grad=True), "big": 2**70,
    }
    back = _roundtrip(obj)
    a = back["a"]
    assert a[:3] == [1, 2.5, math.inf] and math.isnan(a[3]) and math.copysign(1, a[4]) == -1
    assert a[5:] == [3 + 4j, True, None, "text", (1, (2, "x"))] and isinstance(a[9], tuple)
    assert back[7] is back[(1, "k")] and back[7].dtype is plugrad.float64 and back[7].tolist() == [1.5, -2.0]
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["dtype"] is plugrad.int16 and back["big"] == 2**70
    assert back["ints"].dtype is plugrad.int64 and back["mask"].dtype is plugrad.bool
    assert back["scalar"].shape == () and back["scalar"].requires_grad and back["scalar"].is_leaf
    back["ints"].add_(1)  # loaded arrays are writable
    assert list(back) == list(obj)


def test_saving_unsupported_objects_names_them():
    with pytest.raises(TypeError, match=r"cannot store Linear \(at obj\['m'\]\).*state_dict"):
        plugrad.save({"m": nn.Linear(1, 1)}, io.BytesIO())


def _good_bytes():
    buf = io.BytesIO()
    plugrad.save({"w": plugrad.arange(64, dtype=plugrad.float32)}, buf)
    return buf.getvalue()


def _load_bytes(raw):
    return plugrad.load(io.BytesIO(raw))


def test_truncated_file_is_refused():
    raw = _good_bytes()
    with pytest.raises(LoadError, match="truncated or corrupted"):
        _load_bytes(raw[: len(raw) // 2])
    with pytest.raises(LoadError, match="empty"):
        _load_bytes(b"")


def test_corrupted_data_is_refused():
    raw = bytearray(_good_bytes())
    pos = raw.rfind(b"\x00\x00\x80\x3f")  # the float 1.0 inside the array data
    raw[pos + 3] ^= 0xFF
    with pytest.raises(LoadError, match="corrupted"):
        _load_bytes(bytes(raw))


class _Payload:
    ran = False

    def __reduce__(self):
        return (_Payload._mark, ())

    @staticmethod
    def _mark():
        _Payload.ran = True


def test_pickle_files_are_refused_and_never_unpickled():
    raw = pickle.dumps({"w": _Payload()})
    with pytest.raises(LoadError, match="pickle"):
        _load_bytes(raw)
    assert not _Payload.ran


def _crafted(index=None, members=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        if index is not None:
            zf.writestr("plugrad.json", index if isinstance(index, str) else json.dumps(index))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npy(arr, allow_pickle=False):
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=allow_pickle)
    return b.getvalue()


def _tensor_node(dtype="float32", shape=(2,)):
    return {"type": "tensor", "array": "arrays/0.npy", "dtype": dtype, "shape": list(shape), "requires_grad": False,
            "parameter": False, "backend": "numpy", "device": "cpu"}


def test_crafted_object_array_is_refused_without_unpickling():
    payload = np.array([_Payload()], dtype=object)
    raw = _crafted({"format": "plugrad", "version": 1, "root": _tensor_node("object", (1,))},
                   {"arrays/0.npy": _npy(payload, allow_pickle=True)})
    with pytest.raises(LoadError):
        _load_bytes(raw)
    raw = _crafted({"format": "plugrad", "version": 1, "root": _tensor_node("float32", (1,))},
                   {"arrays/0.npy": _npy(payload, allow_pickle=True)})
    with pytest.raises(LoadError, match="Python-object array, which only pickle can read"):
        _load_bytes(raw)
    assert not _Payload.ran


@pytest.mark.parametrize("index,members,match", [
    (None, {"x": b"1"}, "has no 'plugrad.json' index"),
    ("{not json", {}, "not valid JSON"),
    ({"format": "other", "version": 1, "root": {"type": "none"}}, {}, "does not declare format 'plugrad'"),
    ({"format": "plugrad", "version": 99, "root": {"type": "none"}}, {}, "format version 99"),
    ({"format": "plugrad", "version": 1, "root": {"type": "eval", "value": "1"}}, {}, "unknown node type 'eval'"),
    ({"format": "plugrad", "version": 1, "root": {"type": "int", "value": "12x"}}, {}, "bad int value"),
    ({"format": "plugrad", "version": 1, "root": _tensor_node()}, {}, "no member 'arrays/0.npy'"),
    ({"format": "plugrad", "version": 1, "root": _tensor_node("float64")},
     {"arrays/0.npy": _npy(np.zeros(2, np.float32))}, "holds float32 data but the index says float64"),
    ({"format": "plugrad", "version": 1, "root": _tensor_node(shape=(3,))},
     {"arrays/0.npy": _npy(np.zeros(2, np.float32))}, "has shape"),
    ({"format": "plugrad", "version": 1, "root": _tensor_node()}, {"arrays/0.npy": b"\x93NUMPYgarbage"},
     "not a valid .npy array"),
    ({"format": "plugrad", "version": 1, "root": {"type": "dict", "items": [[{"type": "list", "items": []},
                                                                            {"type": "none"}]]}},
     {}, "unhashable"),
])
def test_crafted_indexes_are_refused(index, members, match):
    with pytest.raises(LoadError, match=match):
        _load_bytes(_crafted(index, members))


def test_other_files_are_named():
    with pytest.raises(LoadError, match="bare .npy file"):
        _load_bytes(_npy(np.zeros(2)))
    with pytest.raises(LoadError, match="not a plugrad save file"):
        _load_bytes(b"hello world")


def test_map_location_moves_tensors():
    back = plugrad.load(io.BytesIO(_good_bytes()), map_location="cpu")
    assert back["w"].device.type == "cpu" and back["w"].tolist() == list(range(64))
