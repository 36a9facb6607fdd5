"""The plugin contract: every hook a plugrad plugin may implement.

A plugin is a module (or object) named by an entry point in the group ``plugrad``.
It marks its functions with ``plugrad.hookimpl`` and sets
``PLUGRAD_CONTRACT = "1"``, the contract version it was written for; a plugin
whose major version differs from :data:`CONTRACT_VERSION` is refused.

Each hook receives a registry object, so a plugin never imports plugrad's
internals: it calls ``registry.register_backend(...)``, ``registry.register_op(...)``
and so on. Hooks run at discovery (the first time plugrad needs a backend or an
op), never on the per-op path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .plugins import Registry

CONTRACT_VERSION = "1"
"""The version of this contract. Plugins declare the one they target as ``PLUGRAD_CONTRACT``."""

hookspec = pluggy.HookspecMarker("plugrad")
hookimpl = pluggy.HookimplMarker("plugrad")


@hookspec
def plugrad_register_backends(registry: "Registry") -> None:
    """Register backends with ``registry.register_backend(backend)``.

    :param registry: the registry; ``backend`` is a :class:`plugrad.backend.Backend` instance whose
        ``name`` is unique among installed backends.
    """


@hookspec
def plugrad_register_ops(registry: "Registry") -> None:
    """Register new ops with ``registry.register_op(op)`` (an :class:`plugrad.ops.registry.Op`).

    :param registry: the registry; an op carries its VJP rule, written with plugrad ops so it works on
        every backend and can itself be differentiated. Names must be new unless ``override=True``.
    """


@hookspec
def plugrad_register_kernels(registry: "Registry") -> None:
    """Register kernels: ``registry.register_kernel(op_name, backend_name, fn)`` for one backend, or
    ``registry.register_generic_kernel(op_name, factory)`` where ``factory(xp)`` returns a kernel written
    against an array-API namespace ``xp`` and so serves every backend.

    :param registry: the registry; kernels take and return backend arrays, never Tensors.
    """


@hookspec
def plugrad_register_samples(registry: "Registry") -> None:
    """Register op-database samples: ``registry.register_samples(op_name, fn)``.

    :param registry: the registry; ``fn(make)`` yields :class:`plugrad.testing.opdb.Sample` objects,
        with ``make(shape, dtype)`` building random tensors. The conformance kit turns each sample into
        forward, gradient, broadcasting and dtype tests on every backend.
    """


@hookspec
def plugrad_add_namespaces(registry: "Registry") -> None:
    """Expose user-facing functions: ``registry.add_namespace("linalg", module)`` makes
    ``plugrad.linalg`` resolve to ``module``.

    :param registry: the registry.
    """
