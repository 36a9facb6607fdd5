"""plugrad.data: TensorDataset, DataLoader batching, shuffling with a seed, drop_last, collation."""

from __future__ import annotations

import numpy as np
import plugrad
import pytest
from _devices import to_numpy
from plugrad.data import DataLoader, TensorDataset, default_collate


def _dataset(n=10):
    return TensorDataset(plugrad.arange(n * 2, dtype=plugrad.float32).reshape(n, 2), plugrad.arange(n))


def test_tensor_dataset_indexes_rows():
    ds = _dataset()
    x, y = ds[3]
    assert len(ds) == 10 and x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(plugrad.zeros(3, 2), plugrad.zeros(4))


def test_batches_in_order_with_short_last_batch():
    loader = DataLoader(_dataset(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype is plugrad.float32
    assert batches[0][1].dtype is plugrad.int64


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(_dataset(), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[1]) for b in loader] == [4, 4]


def test_shuffle_is_a_permutation_reproducible_from_the_seed():
    def epochs(**kw):
        loader = DataLoader(_dataset(), batch_size=3, shuffle=True, **kw)
        return [[i for b in loader for i in b[1].tolist()] for _ in range(2)]

    a = epochs(generator=plugrad.manual_seed(7))
    b = epochs(generator=7)
    assert a == b
    assert sorted(a[0]) == list(range(10)) and a[0] != list(range(10)) and a[0] != a[1]
    plugrad.manual_seed(3)
    c = epochs()
    plugrad.manual_seed(3)
    assert epochs() == c


def test_rows_stay_paired_after_shuffling():
    for x, y in DataLoader(_dataset(), batch_size=4, shuffle=True, generator=1):
        np.testing.assert_array_equal(to_numpy(x)[:, 0], 2 * to_numpy(y))


def test_default_collate_stacks_and_recurses():
    batch = default_collate([(plugrad.ones(2), 1, 0.5, "a"), (plugrad.zeros(2), 2, 1.5, "b")])
    assert batch[0].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert batch[1].dtype is plugrad.int64 and batch[2].dtype is plugrad.float64 and batch[3] == ["a", "b"]
    d = default_collate([{"x": plugrad.ones(1)}, {"x": plugrad.zeros(1)}])
    assert d["x"].shape == (2, 1)
    loader = DataLoader([(plugrad.tensor([float(i)]), i) for i in range(5)], batch_size=2)
    assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3], [4]]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(TypeError, match="generator must be a plugrad.Generator or an int seed, got str"):
        DataLoader(_dataset(), shuffle=True, generator="seed")
