"""Variable-length sequences for the recurrent layers: padding and ``PackedSequence``, as in ``torch.nn.utils.rnn``.

A packed sequence stores the time steps of a batch of sequences sorted by decreasing length one after
another: step ``t`` holds the ``batch_sizes[t]`` sequences still running. All conversions are composed
from plugrad ops (``cat``, ``stack``, ``index_select``), so gradients flow through them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ... import dtypes, factories
from ...ops.shape import cat, stack

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
    "unpad_sequence", "pack_sequence", "unpack_sequence",
]


class PackedSequence_(NamedTuple):
    data: Any
    batch_sizes: Any
    sorted_indices: Any
    unsorted_indices: Any


class PackedSequence(PackedSequence_):
    """The packed steps ``data``, the CPU int64 ``batch_sizes`` per step, and the permutation that sorted the
    batch by length (``None`` when it already was). Made by :func:`pack_padded_sequence` / :func:`pack_sequence`."""

    def __new__(cls, data: Any, batch_sizes: Any = None, sorted_indices: Any = None,
                unsorted_indices: Any = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                    "manually. They should be instantiated by functions like pack_sequence and "
                    "pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        else:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` moved / cast as by ``Tensor.to``; the indices follow ``data`` to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def follow(t: Any) -> Any:
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, follow(self.sorted_indices), follow(self.unsorted_indices))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        data = self.data.cuda(*args, **kwargs)
        return self.to(data.device)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=dtypes.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=dtypes.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=dtypes.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=dtypes.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=dtypes.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=dtypes.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=dtypes.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on a CUDA device."""
        return bool(self.data.is_cuda)


def invert_permutation(permutation: Any) -> Any:
    """The inverse of a permutation of ``0..n-1`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    return permutation.argsort()


def _lengths_tensor(lengths: Any) -> list[int]:
    if hasattr(lengths, "tolist"):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``."""
    values = _lengths_tensor(lengths)
    sorted_indices = None
    if not enforce_sorted:
        lengths_t = factories.as_tensor(values, dtype=dtypes.int64, device="cpu")
        sorted_lengths, sorted_indices = lengths_t.sort(descending=True)
        values = [int(v) for v in sorted_lengths.tolist()]
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    batch_size = input.size(1)
    if len(values) != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
                           f"(batch_size={batch_size})")
    if values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if any(a < b for a, b in zip(values, values[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                           "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if values[0] > input.size(0):
        raise RuntimeError(f"pack_padded_sequence: the longest length {values[0]} exceeds the padded sequence "
                           f"length {input.size(0)}")
    batch_sizes = [sum(1 for v in values if v > t) for t in range(values[0])]
    data = cat([input[t, :b] for t, b in enumerate(batch_sizes)])
    sizes = factories.as_tensor(batch_sizes, dtype=dtypes.int64, device="cpu")
    return PackedSequence(data, sizes, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Any, Any]:
    """Undo :func:`pack_padded_sequence`: the padded batch and the CPU int64 lengths, in the original order."""
    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = batch_sizes[0]
    trailing = tuple(data.shape[1:])

    def padding(rows: int) -> Any:
        return factories.full((rows, *trailing), padding_value, dtype=data.dtype, device=data.device)

    steps = []
    for chunk, b in zip(data.split(batch_sizes), batch_sizes):
        steps.append(chunk if b == batch else cat([chunk, padding(batch - b)]))
    steps.extend(padding(batch) for _ in range(max_seq_length - len(batch_sizes)))
    padded = stack(steps)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = factories.as_tensor([sum(1 for b in batch_sizes if b > i) for i in range(batch)],
                                  dtype=dtypes.int64, device="cpu")
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Any:
    """Stack sequences of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with ``batch_first``),
    padding with ``padding_value`` on ``padding_side``."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    seqs = tuple(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = seqs[0]
    trailing = tuple(first.shape[1:])
    max_len = max(s.size(0) for s in seqs)
    padded = []
    for s in seqs:
        for dim, (a, b) in enumerate(zip(trailing, tuple(s.shape[1:])), start=1):
            if a != b:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   f"non-singleton dimension {dim}")
        missing = max_len - s.size(0)
        if missing == 0:
            padded.append(s.to(first.dtype))
            continue
        fill = factories.full((missing, *trailing), padding_value, dtype=first.dtype, device=first.device)
        parts = [s.to(first.dtype), fill] if padding_side == "right" else [fill, s.to(first.dtype)]
        padded.append(cat(parts))
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Any, lengths: Any, batch_first: bool = False) -> list[Any]:
    """Split a padded batch back into its sequences of ``lengths``."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:length] for seq, length in zip(padded_sequences.unbind(0), _lengths_tensor(lengths))]


def pack_sequence(sequences: list[Any], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)`` (sorted by decreasing length unless ``enforce_sorted=False``)."""
    lengths = factories.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Any]:
    """The list of sequences a :class:`PackedSequence` holds, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
