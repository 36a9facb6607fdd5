"""Datasets and batching: ``TensorDataset`` and ``DataLoader`` (``torch.utils.data``'s names and arguments).

``DataLoader(dataset, batch_size, shuffle, drop_last, generator)`` yields batches in the main process.
Shuffling draws one permutation per epoch from a Python ``random.Random`` seeded by ``generator``
(anything with ``initial_seed()``, such as the object ``plugrad.manual_seed`` returns, or an int),
else from plugrad's global generator, so ``plugrad.manual_seed(s)`` makes the order reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .autograd import grad_mode as _gm
from .tensor import Tensor, _wrap


class Dataset:
    """A map-style dataset: ``__getitem__(index)`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} must define __len__()")


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of tensors that share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0] if tensors[0].dim() else None
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset takes tensors, got {type(t).__name__}")
            if t.dim() == 0 or t.shape[0] != n:
                raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch: tensors are stacked, numbers become tensors, tuples and dicts recurse."""
    from . import factories, ops

    first = batch[0]
    if isinstance(first, Tensor):
        return ops.stack(list(batch), 0)
    if isinstance(first, bool):
        return factories.tensor(list(batch), dtype="bool")
    if isinstance(first, int):
        return factories.tensor(list(batch), dtype="int64")
    if isinstance(first, float):
        return factories.tensor(list(batch), dtype="float64")
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(first, (tuple, list)):
        size = len(first)
        if any(len(elem) != size for elem in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(s)) for s in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    if hasattr(first, "__array_interface__"):
        return ops.stack([factories.as_tensor(a) for a in batch], 0)
    raise TypeError(
        f"default_collate: batch must contain tensors, numbers, strings, dicts or lists; found {type(first).__name__}"
    )


def _seed_of(generator: Any) -> int:
    if isinstance(generator, int):
        return generator
    seed = getattr(generator, "initial_seed", None)
    if seed is None:
        raise TypeError(
            f"generator must be an int seed or have initial_seed() (as plugrad.manual_seed's result has), "
            f"got {type(generator).__name__}"
        )
    return int(seed())


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``, optionally shuffled, dropping a short last batch
    with ``drop_last``. A :class:`TensorDataset` is batched by taking rows directly (no per-sample stacking)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False, sampler: Any = None,
                 batch_sampler: Any = None, num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, generator: Any = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if num_workers:
            raise ValueError("plugrad's DataLoader loads in the main process only; use num_workers=0")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
            )
        self.dataset = dataset
        self.batch_size = batch_size if batch_sampler is None else None
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.drop_last = drop_last
        self.generator = generator
        self._rng = random.Random(_seed_of(generator)) if generator is not None else None

    def _order(self) -> list[int]:
        n = len(self.dataset)
        if self.sampler is not None:
            return [int(i) for i in self.sampler]
        order = list(range(n))
        if self.shuffle:
            rng = self._rng
            if rng is None:
                from .factories import randint

                rng = random.Random(int(randint(0, 2**62, (1,)).item()))
            rng.shuffle(order)
        return order

    def _batches(self) -> Iterator[list[int]]:
        if self.batch_sampler is not None:
            for b in self.batch_sampler:
                yield [int(i) for i in b]
            return
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield [i]
            return
        bs = self.batch_size
        for start in range(0, len(order), bs):
            batch = order[start:start + bs]
            if len(batch) < bs and self.drop_last:
                return
            yield batch

    def __iter__(self) -> Iterator[Any]:
        ds = self.dataset
        fast = isinstance(ds, TensorDataset) and self.collate_fn is None and self.batch_size is not None
        for batch in self._batches():
            if fast:
                yield tuple(_take_rows(t, batch) for t in ds.tensors)
            elif self.batch_size is None and self.batch_sampler is None:
                item = ds[batch[0]]
                yield self.collate_fn(item) if self.collate_fn is not None else item
            else:
                yield (self.collate_fn or default_collate)([ds[i] for i in batch])

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


def _take_rows(t: Tensor, rows: list[int]) -> Tensor:
    """Rows ``rows`` of ``t`` as a new tensor; through the graph (indexing) only when ``t`` requires grad."""
    if t._requires_grad and _gm.state.enabled:
        from .factories import tensor

        return t[tensor(rows, device=t._backend)]
    xp = t._backend.namespace()
    idx = t._backend.asarray(rows, _int64())
    return _wrap(xp.take(t._data, idx, axis=0), t._backend)


def _int64() -> Any:
    from . import dtypes

    return dtypes.int64


__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]
