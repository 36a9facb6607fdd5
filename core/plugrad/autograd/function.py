"""Custom differentiable operations in user code: ``class MyOp(plugrad.autograd.Function)``.

``MyOp.apply(*args)`` runs ``forward(ctx, *args)`` without recording, then, when
an input requires grad, records one node named ``MyOpBackward`` whose ``ctx`` is
the node itself, as in PyTorch. Its ``backward(ctx, *grads)`` may use plugrad ops,
so it can be differentiated again unless marked ``once_differentiable``.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

from . import grad_mode as _gm
from .anomaly import anomaly_state, record_trace
from .node import RELEASED, Node, SavedPacked, check_inference_saved, pack_saved, saved_hooks


class FunctionCtx:
    """What ``forward`` and ``backward`` share: saved tensors, flags, and any attribute the user sets."""

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for ``backward``; they are checked against in-place changes when read."""
        from ..tensor import Tensor

        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                # Note: other values are stored as attributes of ctx (ctx.value = ...).
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type {type(t).__name__}"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self._to_save_forward = tensors

    def mark_dirty(self, *tensors: Any) -> None:
        """Declare inputs that ``forward`` modified in place (their version is bumped)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Declare outputs that never require grad (indices, masks)."""
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` receives None (not zeros) for outputs that got no gradient."""
        self._materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        node = self
        if getattr(node, "_released", False):
            from .node import _FREED

            raise RuntimeError(_FREED)
        saved = getattr(self, "_saved_pairs", None)
        if saved is None:
            return ()
        out = []
        for t, vc, version, output_nr in saved:
            if t.__class__ is SavedPacked:
                t = t.unpack(self)  # type: ignore[arg-type]
            elif t is not None and vc is not None and vc[0] != version:
                _raise_saved_modified(self, t, vc[0], version, output_nr)  # type: ignore[arg-type]
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors


def _raise_saved_modified(node: Node, t: Any, now: int, expected: int, output_nr: int | None) -> None:
    """PyTorch's version error for a saved tensor; an output of this node is named as this node's output."""
    from .node import _legacy_name, _modified_message

    producer, nr = (node, output_nr) if output_nr is not None else (t._grad_fn, t._output_nr)
    raise RuntimeError(_modified_message(_legacy_name(t), tuple(t._data.shape), producer, nr, now, expected))


class BackwardCFunction(Node, FunctionCtx):
    """The node of a custom Function; subclasses are named ``<Function>Backward``."""

    __slots__ = ()
    _forward_cls: Any = None
    _n_args: int
    _tensor_positions: list[int]

    def __repr__(self) -> str:
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} object at {id(self):#x}>"

    def apply(self, grads: list) -> tuple:
        cls = self._forward_cls
        d = self.__dict__
        if d.get("_materialize_grads", True):
            grads = [g if g is not None else _zeros_for(self, i) for i, g in enumerate(grads)]
        positions = d.get("_tensor_out_positions")
        if positions is not None:  # forward returned non-tensors too: their gradient is None
            full: list = [None] * d["_n_outputs"]
            for pos, g in zip(positions, grads):
                full[pos] = g
            grads = full
        result = _user_backward(cls)(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = self._n_args
        if len(result) < n_args or any(r is not None for r in result[n_args:]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n_args}, got {len(result)})"
            )
        from ..tensor import Tensor

        picked = []
        for pos in self._tensor_positions:
            g = result[pos]
            if g is not None and not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            picked.append(g)
        return tuple(picked)

    def release(self) -> None:
        if self.__dict__.get("_saved_pairs") is not None:
            self.__dict__["_saved_pairs"] = None
            self._saved = RELEASED
        Node.release(self)


def _zeros_for(node: Node, i: int) -> Any:
    from ..ops import _zeros_native

    return _zeros_native(node._out_shapes[i], node._out_dtypes[i], node._backend)


def _user_backward(cls: Any) -> Callable[..., Any]:
    """The subclass's ``backward`` or its ``vjp`` (two names for one method; defining both is an error)."""
    backward_fn = cls.backward
    vjp_fn = cls.vjp
    if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
        raise RuntimeError(
            "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should only "
            "implement one of them."
        )
    return vjp_fn if vjp_fn is not Function.vjp else backward_fn


class _FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(f"{name}Backward", (BackwardCFunction,),
                                 {"__slots__": (), "_forward_cls": cls, "__module__": __name__})


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class of custom ops: define static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``.

    Call ``MyOp.apply(*args)``; ``backward`` returns one gradient per argument of ``forward`` (None for
    non-tensor arguments or inputs that need none).
    """

    # Note: PyTorch raises NotImplementedError (a RuntimeError) when a subclass leaves these undefined.
    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """Compute the outputs: ``forward(ctx, *args)``, or ``forward(*args)`` with :meth:`setup_context`."""
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        """Save what ``backward`` needs, when ``forward`` is written without ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """One gradient per ``forward`` argument, given one gradient per output (None for non-tensor outputs)."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from ..tensor import Tensor, _wrap

        setup_context = cls.setup_context
        if setup_context is not Function.setup_context:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        node = cls._backward_cls()
        Node.__init__(node)
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        node.needs_input_grad = needs
        recording = _gm.state.enabled and any(needs)
        prev = _gm.state.enabled
        _gm.state.enabled = False
        try:
            if setup_context is Function.setup_context:
                outputs = cls.forward(node, *args, **kwargs)
            else:
                outputs = cls.forward(*args, **kwargs)
                setup_context(node, args, outputs)
        finally:
            _gm.state.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        d = node.__dict__
        dirty = d.get("_dirty", ())
        for t in dirty:
            if not any(t is o for o in outs):
                raise RuntimeError(
                    "Some elements marked as dirty during the forward method were not returned as output. The "
                    "inputs that are modified inplace must all be outputs of the Function."
                )
            t._bump_version()
        if not recording:
            return outputs
        for t in dirty:
            if t._requires_grad and t._grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        # Outputs that are inputs (returned as is) become new tensors so the graph stays acyclic.
        non_diff = d.get("_non_differentiable", set())
        fixed = []
        for o in outs:
            if isinstance(o, Tensor) and any(o is a for a in args):
                if any(o is t for t in dirty):
                    fixed.append(o)
                else:
                    v = _wrap(o._data, o._backend)
                    v._vc = o._vc
                    if id(o) in non_diff:  # the new tensor stays non-differentiable, as the input was marked
                        non_diff.add(id(v))
                    fixed.append(v)
            else:
                fixed.append(o)
        outs = tuple(fixed)
        node._op = None
        node.attrs = ()
        node._seq = next(_node_seq())
        node._backend = next((a._backend for a in args if isinstance(a, Tensor)), None)
        if anomaly_state.enabled:
            node._trace = record_trace()
        edges = []
        for i in tensor_positions:
            a = args[i]
            if a._requires_grad:
                edges.append((a._grad_fn or a._accumulator(), a._output_nr))
            else:
                edges.append((None, 0))
        node.next_functions = tuple(edges)
        node._input_shapes = [args[i]._data.shape for i in tensor_positions]
        node._input_dtypes = [args[i]._data.dtype for i in tensor_positions]
        d["_tensor_positions"] = tensor_positions
        d["_n_args"] = len(args)
        tensor_outs = [o for o in outs if isinstance(o, Tensor)]
        node._out_shapes = tuple(o._data.shape for o in tensor_outs)
        node._out_dtypes = tuple(o._data.dtype for o in tensor_outs)
        if len(tensor_outs) != len(outs):
            d["_tensor_out_positions"] = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
            d["_n_outputs"] = len(outs)
        nr = 0
        for o in outs:
            if not isinstance(o, Tensor):
                continue
            if id(o) not in non_diff and (o.dtype.is_floating_point or o.dtype.is_complex):
                o._requires_grad = True
                o._grad_fn = node
                o._output_nr = nr
            nr += 1
        to_save = d.pop("_to_save", None)
        if to_save is not None:
            pairs: list[tuple[Any, Any, int, Any]] = []
            packing = bool(saved_hooks.stack)
            for t in to_save:
                if t is None:
                    pairs.append((None, None, 0, None))
                    continue
                check_inference_saved(t)
                output_nr = t._output_nr if t._grad_fn is node else None
                if packing:
                    pairs.append((pack_saved(t, output_nr), None, 0, output_nr))
                    continue
                vc = t._vc
                if vc is None:
                    vc = t._vc = [0]
                # An output of this node is reported, if modified later, as this node's output (as in PyTorch).
                pairs.append((t, vc, vc[0], output_nr))
            d["_saved_pairs"] = pairs
            node._saved = ()  # Note: non-None so the engine releases this node after a backward pass
        return outs[0] if single else outs


def _node_seq() -> Any:
    from ..ops.registry import _seq

    return _seq


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a ``backward`` that cannot itself be differentiated: it runs without recording, and
    differentiating its result raises an error naming the function."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with _gm.no_grad():
            result = fn(ctx, *grads)
        if not _gm.state.enabled:
            return result
        if not any(isinstance(g, _tensor_cls()) and g._requires_grad for g in grads):
            return result
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        live = tuple(g for g in grads if isinstance(g, _tensor_cls()) and g._requires_grad)
        marked = tuple(_DelayedError.apply(o, ctx.name(), *live) if isinstance(o, _tensor_cls()) else o for o in outs)
        return marked[0] if single else marked

    return wrapper


def _tensor_cls() -> Any:
    from ..tensor import Tensor

    return Tensor


class _DelayedError(Function):
    """Passes a value through; its gradient raises: the backward it came from was once_differentiable."""

    @staticmethod
    def forward(ctx: Any, x: Any, name: str, *sources: Any) -> Any:
        # The incoming gradients are inputs only so that the result stays attached to the graph.
        ctx.fn_name = name
        return x.clone()

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with @once_differentiable ({ctx.fn_name})"
        )


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


__all__ = ["Function", "FunctionCtx", "InplaceFunction", "once_differentiable", "BackwardCFunction"]
