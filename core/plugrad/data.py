"""Datasets and batching: ``TensorDataset`` and ``DataLoader`` (``torch.utils.data``'s names and arguments).

``DataLoader(dataset, batch_size, shuffle, drop_last, generator)`` yields batches in the main process.
Shuffling draws one permutation per epoch as PyTorch's ``RandomSampler`` does: ``randperm`` from
``generator`` (a ``plugrad.Generator``, or an int seed for one), else from a new generator seeded by one draw
of the default one, so after the same ``manual_seed`` the batches come in PyTorch's order.
"""

from __future__ import annotations

import bisect
import copy
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

from .autograd import grad_mode as _gm
from .tensor import Tensor, _wrap


class Dataset:
    """A map-style dataset: ``__getitem__(index)`` (and usually ``__len__``); ``a + b`` concatenates."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset, Iterable):
    """A dataset that is a stream of samples: subclasses define ``__iter__`` (abstract, as in PyTorch);
    ``a + b`` chains two streams."""

    def __add__(self, other: Any) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


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


class StackDataset(Dataset):
    """Samples are tuples (datasets given positionally) or dicts (given by keyword) of the ``index``-th samples
    of datasets of one length."""

    datasets: tuple | dict

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            if kwargs:
                raise ValueError(
                    "Supported either ``tuple``- (via ``args``) or"
                    "``dict``- (via ``kwargs``) like input/output, but both types are given."
                )
            self._length = len(args[0])
            if any(self._length != len(dataset) for dataset in args):
                raise ValueError("Size mismatch between datasets")
            self.datasets = args
        elif kwargs:
            datasets = list(kwargs.values())
            self._length = len(datasets[0])
            if any(self._length != len(dataset) for dataset in datasets):
                raise ValueError("Size mismatch between datasets")
            self.datasets = kwargs
        else:
            raise ValueError("At least one dataset should be passed")

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {k: dataset[index] for k, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices``, each dataset asked once through its own ``__getitems__`` if it has one."""
        named = self.datasets.items() if isinstance(self.datasets, dict) else enumerate(self.datasets)
        columns = []
        for _, dataset in named:
            if callable(getattr(dataset, "__getitems__", None)):
                items = dataset.__getitems__(indices)
                if len(items) != len(indices):
                    raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}")
            else:
                items = [dataset[i] for i in indices]
            columns.append(items)
        if isinstance(self.datasets, dict):
            keys = list(self.datasets)
            return [dict(zip(keys, sample)) for sample in zip(*columns)]
        return [tuple(sample) for sample in zip(*columns)]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after another; ``cumulative_sizes[i]`` is the number of
    samples in the first ``i + 1``."""

    datasets: list
    cumulative_sizes: list[int]

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        sizes, total = [], 0
        for dataset in sequence:
            total += len(dataset)
            sizes.append(total)
        return sizes

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]

    @property
    def cummulative_sizes(self) -> list[int]:
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`", FutureWarning, stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """Several :class:`IterableDataset` streams one after another, chained as they are iterated."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)  # type: ignore[arg-type]
        return total


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


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order each epoch (one ``randperm`` from ``generator``)."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        from . import factories

        device = self.generator.device if self.generator is not None else None
        for i in factories.randperm(len(self.indices), generator=self.generator, device=device).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (``multinomial``, so the
    same indices as PyTorch's for the same seed)."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        from . import dtypes, factories

        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        device = generator.device if generator is not None else None
        weights_tensor = factories.as_tensor(weights, dtype=dtypes.float64, device=device)
        if len(weights_tensor.shape) != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        from . import factories

        drawn = factories.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        yield from iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class DistributedSampler(Sampler):
    """The share of rank ``rank`` among ``num_replicas`` processes: every ``num_replicas``-th index from
    ``rank`` on, of a permutation drawn from a generator seeded with ``seed + epoch`` (see :meth:`set_epoch`),
    padded by repeating indices (or cut, with ``drop_last``) to a multiple of ``num_replicas``.

    plugrad has no process group, so ``num_replicas`` and ``rank`` must be given.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            raise RuntimeError("Requires distributed package to be available")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            # the largest length that splits evenly, so that every rank gets as many samples
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        from . import factories

        n = len(self.dataset)
        if self.shuffle:
            g = factories.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = factories.randperm(n, generator=g, device=g.device).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match total_size ({self.total_size})")
        indices = indices[self.rank: self.total_size: self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(
                f"Number of subsampled indices ({len(indices)}) does not match num_samples ({self.num_samples})"
            )
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the seed of the next shuffle, so that each epoch has its own order."""
        self.epoch = epoch


class _InfiniteConstantSampler(Sampler):
    """The sampler of a loader over an :class:`IterableDataset`: ``None`` forever (the dataset decides)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


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
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars into tensors, recursing into dicts, named tuples and sequences (what a
    loader without batching applies to each sample)."""
    from . import factories

    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and data.dtype.kind in "SaUO":
            return data  # arrays of strings or objects stay as they are
        return factories.as_tensor(data)
    if isinstance(data, Mapping):
        try:
            if isinstance(data, MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, as in PyTorch
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, MutableSequence):
                seq = copy.copy(data)
                for i, d in enumerate(data):
                    seq[i] = default_convert(d)
                return seq
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch: tensors and NumPy arrays are stacked, numbers become tensors,
    dicts, named tuples and sequences recurse (tuples become lists), strings stay a list."""
    from . import factories, ops

    first = batch[0]
    elem_type = type(first)
    if isinstance(first, Tensor):
        return ops.stack(list(batch), 0)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ in ("ndarray", "memmap"):
            if first.dtype.kind in "SaUO":
                raise TypeError(_COLLATE_ERROR.format(first.dtype))
            return ops.stack([factories.as_tensor(a) for a in batch], 0)
        if first.shape == ():
            return factories.as_tensor(batch)
    if isinstance(first, float):
        return factories.tensor(list(batch), dtype="float64")
    if isinstance(first, int):  # bool too: a bool tensor, as in PyTorch
        return factories.tensor(list(batch))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, Mapping):
        try:
            if isinstance(first, MutableMapping):
                clone = copy.copy(first)
                clone.update({key: default_collate([d[key] for d in batch]) for key in first})
                return clone
            return elem_type({key: default_collate([d[key] for d in batch]) for key in first})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return elem_type(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(first, Sequence):
        size = len(first)
        if any(len(elem) != size for elem in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(first, tuple):
            return [default_collate(s) for s in transposed]  # a list for tuples too, as in PyTorch
        try:
            if isinstance(first, MutableSequence):
                seq = copy.copy(first)
                for i, samples in enumerate(transposed):
                    seq[i] = default_collate(samples)
                return seq
            return elem_type([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_COLLATE_ERROR.format(elem_type))


_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def get_worker_info() -> None:
    """Information about the current loader worker process: always ``None``, since plugrad's
    :class:`DataLoader` loads in the main process only."""
    return None


def _as_generator(generator: Any) -> Any:
    from .factories import Generator

    if isinstance(generator, Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return Generator().manual_seed(generator)
    raise TypeError(f"generator must be a plugrad.Generator or an int seed, got {type(generator).__name__}")


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``, optionally shuffled, dropping a short last batch
    with ``drop_last``; PyTorch's arguments, defaults and checks. A map-style dataset is read through
    ``sampler`` (or ``batch_sampler``), an :class:`IterableDataset` by iterating it. A :class:`TensorDataset`
    with the default collation is batched by taking rows directly (no per-sample stacking).

    Loading happens in the main process: ``num_workers`` must be 0.
    """

    _initialized = False

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None, sampler: Any = None,
                 batch_sampler: Any = None, num_workers: int = 0, collate_fn: Callable[[Any], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None, multiprocessing_context: Any = None,
                 generator: Any = None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if num_workers:
            raise ValueError(f"plugrad's DataLoader loads in the main process only; use num_workers=0, "
                             f"not num_workers={num_workers}")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            raise ValueError("multiprocessing_context can only be used with multi-process loading "
                             f"(num_workers > 0), but got num_workers={num_workers}")
        if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        self._generator = _as_generator(generator) if generator is not None else None
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=self._generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called: int | None = None
        self._initialized = True

    def __setattr__(self, attr: str, val: Any) -> None:
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                          "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> Iterator[Any]:
        from . import factories

        # PyTorch's loader iterator draws a base seed for its workers first, from `generator` or the default
        # one, even with no worker: drawn here too, so that the numbers drawn after a loop are PyTorch's.
        gen = self._generator
        factories.empty((), dtype="int64", device=gen.device if gen is not None else None).random_(generator=gen)
        return self._iterate()

    def _iterate(self) -> Iterator[Any]:
        fetch = self._iterable_fetcher() if self._iterable else self._map_fetcher()
        reported = self._IterableDataset_len_called
        yielded = 0
        for index in self._index_sampler:
            try:
                data = fetch(index)
            except StopIteration:
                return
            yielded += 1
            if self._iterable and reported is not None and yielded > reported:
                warnings.warn(f"Length of IterableDataset {self.dataset} was reported to be {reported}"
                              f"(when accessing len(dataloader)), but {yielded} samples have been fetched. ",
                              stacklevel=2)
            yield data

    def _map_fetcher(self) -> Callable[[Any], Any]:
        ds, collate = self.dataset, self.collate_fn
        if not self._auto_collation:
            return lambda index: collate(ds[index])
        if isinstance(ds, TensorDataset) and collate is default_collate:
            return lambda batch: [_take_rows(t, [int(i) for i in batch]) for t in ds.tensors]
        getitems = getattr(ds, "__getitems__", None)
        if getitems:
            return lambda batch: collate(getitems(batch))
        return lambda batch: collate([ds[i] for i in batch])

    def _iterable_fetcher(self) -> Callable[[Any], Any]:
        stream = iter(self.dataset)
        ended = False
        collate, drop_last = self.collate_fn, self.drop_last

        def fetch(index: Any) -> Any:
            nonlocal ended
            if ended:
                raise StopIteration
            if not self._auto_collation:
                return collate(next(stream))
            data = []
            for _ in index:
                try:
                    data.append(next(stream))
                except StopIteration:
                    ended = True
                    break
            if not data or (drop_last and len(data) < len(index)):
                raise StopIteration
            return collate(data)

        return fetch

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            self._IterableDataset_len_called = length
            if self.batch_size is not None:
                return length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


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
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
    "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
    "get_worker_info", "random_split",
]
