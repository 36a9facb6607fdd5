"""Datasets and batching: ``TensorDataset`` and ``DataLoader`` (``torch.utils.data``'s names and arguments).

``DataLoader(dataset, batch_size, shuffle, drop_last, generator)`` yields batches in the main process.
Shuffling draws one permutation per epoch as PyTorch's ``RandomSampler`` does: ``randperm`` from
``generator`` (a ``plugrad.Generator``, or an int seed for one), else from a new generator seeded by one draw
of the default one, so after the same ``manual_seed`` the batches come in PyTorch's order.
"""

from __future__ import annotations

import math
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


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[Any], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping subsets of the given lengths (or fractions that sum to 1)."""
    from . import factories

    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    device = generator.device if generator is not None and generator is not factories.default_generator else None
    perm = factories.randperm(sum(lengths), generator=generator, device=device).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out


class Sampler:
    """Yields the indices of a dataset's samples, in some order."""

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(f"{type(self).__name__} must define __iter__()")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices each epoch, drawn as PyTorch's ``RandomSampler`` draws it."""

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: Any = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        from . import factories

        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = int(factories.empty((), dtype="int64").random_().item())
            generator = factories.Generator().manual_seed(seed)
        device = generator.device  # indices come from the generator's device, as in PyTorch
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from factories.randint(high=n, size=(32,), dtype="int64", generator=generator, device=device).tolist()
            yield from factories.randint(high=n, size=(self.num_samples % 32,), dtype="int64", generator=generator,
                                         device=device).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from factories.randperm(n, generator=generator, device=device).tolist()
        yield from factories.randperm(n, generator=generator, device=device).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size


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
        return [default_collate(list(s)) for s in zip(*batch)]  # a list for tuples too, as in PyTorch
    if hasattr(first, "__array_interface__"):
        return ops.stack([factories.as_tensor(a) for a in batch], 0)
    raise TypeError(
        f"default_collate: batch must contain tensors, numbers, strings, dicts or lists; found {type(first).__name__}"
    )


def _as_generator(generator: Any) -> Any:
    from .factories import Generator

    if isinstance(generator, Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return Generator().manual_seed(generator)
    raise TypeError(f"generator must be a plugrad.Generator or an int seed, got {type(generator).__name__}")


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
        self._generator = _as_generator(generator) if generator is not None else None

    def _order(self) -> list[int]:
        n = len(self.dataset)
        if self.sampler is not None:
            return [int(i) for i in self.sampler]
        if not self.shuffle:
            return list(range(n))
        return list(RandomSampler(self.dataset, generator=self._generator))

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
        from . import factories

        # PyTorch's loader iterator draws a base seed for its workers first, from `generator` or the default
        # one, even with no worker: drawn here too, so that the numbers drawn after a loop are PyTorch's.
        gen = self._generator
        factories.empty((), dtype="int64", device=gen.device if gen is not None else None).random_(generator=gen)
        return self._iterate()

    def _iterate(self) -> Iterator[Any]:
        ds = self.dataset
        fast = isinstance(ds, TensorDataset) and self.collate_fn is None and self.batch_size is not None
        for batch in self._batches():
            if fast:
                yield [_take_rows(t, batch) for t in ds.tensors]
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


__all__ = [
    "BatchSampler", "DataLoader", "Dataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
    "TensorDataset", "default_collate", "random_split",
]
