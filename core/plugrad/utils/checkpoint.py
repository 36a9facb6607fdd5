"""Activation checkpointing (PyTorch's ``torch.utils.checkpoint``): run a piece of the forward pass without
keeping its intermediate values, and run it again during backward to get them.

Two ways, as in PyTorch. ``use_reentrant=True`` wraps the piece in one autograd Function whose backward
recomputes the piece and runs a nested backward through it. ``use_reentrant=False`` runs the piece under
saved-tensor hooks that keep only a placeholder for each tensor an op saves; the first time backward reads
one, the piece is recomputed and the recomputed tensors are handed out instead. Either way the random
streams are restored before recomputing (``preserve_rng_state``), so dropout draws the same mask.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import plugrad
from plugrad import Tensor
from plugrad.autograd import Function
from plugrad.autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]


def _backends_of(args: tuple[Any, ...]) -> list[Any]:
    """The default backend and the backends of the tensor arguments, each once."""
    from plugrad.backend import default_backend_obj

    found = [default_backend_obj()]
    for a in args:
        if isinstance(a, Tensor) and a._backend not in found:
            found.append(a._backend)
    return found


def _rng_states(backends: list[Any]) -> list[tuple[Any, Any]]:
    """The random stream state of each backend whose stream can report one."""
    states = []
    for b in backends:
        stream = b.rng()
        if hasattr(stream, "get_state") and hasattr(stream, "set_state"):
            states.append((stream, stream.get_state()))
    return states


@contextmanager
def _restored_rng(states: list[tuple[Any, Any]] | None) -> Iterator[None]:
    """Run the block from the saved random states, then put the streams back where they were."""
    if states is None:
        yield
        return
    now = [(stream, stream.get_state()) for stream, _ in states]
    for stream, state in states:
        stream.set_state(state)
    try:
        yield
    finally:
        for stream, state in now:
            stream.set_state(state)


def _detached_inputs(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in args)


class _CheckpointFunction(Function):
    """The reentrant variant: forward without a graph, backward by recomputing and a nested backward."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable[..., Any], preserve_rng_state: bool, *args: Any) -> Any:
        ctx.run_function = run_function
        ctx.rng_states = _rng_states(_backends_of(args)) if preserve_rng_state else None
        ctx.checkpointed_args = args
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with plugrad.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        tensors = iter(ctx.saved_tensors)
        args = tuple(next(tensors) if isinstance(a, Tensor) else a for a in ctx.checkpointed_args)
        inputs = _detached_inputs(args)
        with _restored_rng(ctx.rng_states), plugrad.enable_grad():
            outputs = ctx.run_function(*inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        plugrad.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        grads = tuple(x.grad if isinstance(x, Tensor) else None for x in inputs)
        return (None, None) + grads


class _Recomputation:
    """The non-reentrant variant's state: placeholders handed out in the forward, tensors after recomputing."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 rng_states: list[tuple[Any, Any]] | None) -> None:
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.rng_states = rng_states
        self.count = 0
        self.recomputed: dict[int, Any] | None = None

    def pack(self, tensor: Tensor) -> int:
        index = self.count
        self.count += 1
        return index

    def unpack(self, index: int) -> Tensor:
        if self.recomputed is None or index not in self.recomputed:
            self.recompute()
        assert self.recomputed is not None
        tensor = self.recomputed.pop(index)
        if not self.recomputed:
            self.recomputed = None  # everything handed out: a later backward (retain_graph) recomputes again
        return tensor

    def recompute(self) -> None:
        kept: list[Tensor] = []

        def keep(tensor: Tensor) -> int:
            kept.append(tensor)
            return len(kept) - 1

        inputs = _detached_inputs(self.args)
        with _restored_rng(self.rng_states), plugrad.enable_grad(), saved_tensors_hooks(keep, lambda i: kept[i]):
            self.function(*inputs, **self.kwargs)
        if len(kept) != self.count:
            raise RuntimeError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward "
                f"and recomputation.\nNumber of tensors saved during forward: {self.count}\n"
                f"Number of tensors saved during recomputation: {len(kept)}")
        self.recomputed = dict(enumerate(kept))


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` without keeping its intermediate values for backward; backward runs
    ``function`` again to get them. Gradients are those of running ``function`` plainly."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
            "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False "
            "is recommended, but if you need to preserve the current default behavior, you can pass "
            "use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
        if context_fn is not None or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if plugrad.is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
        return _CheckpointFunction.apply(function, preserve, *args)
    if context_fn is not None:
        raise ValueError("plugrad's checkpoint takes no context_fn: it has no selective checkpointing contexts")
    state = _Recomputation(function, args, kwargs, _rng_states(_backends_of(args)) if preserve else None)
    with saved_tensors_hooks(state.pack, state.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,  # noqa: A002
                          **kwargs: Any) -> Any:
    """Run the modules or functions in ``functions`` (a list or ``nn.Sequential``) in ``segments`` chunks,
    checkpointing every chunk but the last."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
            "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
            "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
            "you can pass use_reentrant=True. Refer to docs for more details on the differences between the two "
            "variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start: int, end: int, functions: Any) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    if isinstance(functions, plugrad.nn.Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input, use_reentrant=use_reentrant,  # noqa: A001
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
