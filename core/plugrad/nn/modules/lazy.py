"""``LazyModuleMixin``: modules whose parameter shapes are inferred from their first input.

Until its first forward a lazy module holds :class:`~plugrad.nn.UninitializedParameter` s (and
``UninitializedBuffer`` s); a forward pre-hook calls ``initialize_parameters`` with the input, which
materializes them and resets them as the eager module would, and the module's class then becomes
``cls_to_become`` (``LazyLinear`` becomes ``Linear``). Loading a state dict with real tensors into an
uninitialized lazy module materializes its parameters with the loaded shapes first.
"""

from __future__ import annotations

import itertools
from typing import Any

from ...autograd.grad_mode import no_grad
from ..parameter import is_lazy


class LazyModuleMixin:
    """A mixin for modules that initialize their parameters lazily ("lazy modules"), as in PyTorch.

    Convert a network with lazy modules to its dtype and device first, then run a dummy batch through it
    ("dry run") to initialize them; after that it is used as usual. Lazy modules initialize after the other
    modules, so the random numbers they draw differ from those of the same network built eagerly.
    """

    cls_to_become: type[Any] | None = None
    _parameters: dict
    _buffers: dict
    _non_persistent_buffers_set: set

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)  # type: ignore[attr-defined]
        self._initialize_hook = self.register_forward_pre_hook(  # type: ignore[attr-defined]
            self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        # Uninitialized parameters and buffers go in as they are (they cannot be detached).
        for name, param in self._parameters.items():
            if param is not None:
                if not (is_lazy(param) or keep_vars):
                    param = param.detach()
                destination[prefix + name] = param
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                if not (is_lazy(buf) or keep_vars):
                    buf = buf.detach()
                destination[prefix + name] = buf

    def _lazy_load_hook(self, state_dict: Any, prefix: str, local_metadata: dict, strict: bool,
                        missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        """load_state_dict pre-hook: materialize each uninitialized parameter or buffer that ``state_dict``
        holds a real tensor for, with that tensor's shape (so that it is then copied in as usual)."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Initialize the parameters from the input batch (each lazy module defines it)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether this module still has uninitialized parameters or buffers."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def _infer_parameters(self, module: Any, args: tuple, kwargs: dict | None = None) -> None:
        """The forward pre-hook: initialize from the first input, drop the hooks and become ``cls_to_become``."""
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")  # type: ignore[attr-defined]
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self) -> Any:
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. Run a dummy "
                           "forward pass to correctly initialize the modules")


__all__ = ["LazyModuleMixin"]
