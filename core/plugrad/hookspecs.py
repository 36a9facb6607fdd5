"""The plugin contract: every hook a plugrad plugin may implement.

A plugin is a module (or object) named by an entry point in the group ``plugrad``.
It marks its functions with ``plugrad.hookimpl`` and sets
``PLUGRAD_CONTRACT = "1"``, the contract version it was written for; a plugin
whose major version differs from :data:`CONTRACT_VERSION` is refused.

Each hook receives a registry object (:class:`plugrad.plugins.Registry`): a
plugin calls ``registry.register_backend(...)``, ``registry.register_op(...)`` and
so on. Registrations are staged and committed together once every hook of the
plugin has returned; a hook that raises, or a name that clashes, skips the whole
plugin with a warning. Hooks run at discovery (the first time plugrad needs a
backend or an op) in the order below, never on the per-op path.
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
def plugrad_register_backends(registry: Registry) -> None:
    """Register backends with ``registry.register_backend(backend)``.

    :param registry: the registry; ``backend`` is a :class:`plugrad.backend.Backend` instance whose
        ``name`` is unique among installed backends (``override=True`` replaces one on purpose).
    """


@hookspec
def plugrad_register_ops(registry: Registry) -> None:
    """Register new ops with ``registry.register_op(op)`` (an :class:`plugrad.ops.registry.Op`).

    :param registry: the registry; an op carries its VJP rule, written with plugrad ops so it works on
        every backend and can itself be differentiated. Names must be new unless ``override=True``.
    """


@hookspec
def plugrad_register_kernels(registry: Registry) -> None:
    """Register kernels: ``registry.register_kernel(op_name, backend_name, fn)`` for one backend, or
    ``registry.register_generic_kernel(op_name, factory)`` where ``factory(xp)`` returns a kernel written
    against an array-API namespace ``xp`` and so serves every backend.

    :param registry: the registry; kernels take and return backend arrays, never Tensors.
    """


@hookspec
def plugrad_register_samples(registry: Registry) -> None:
    """Register op-database samples: ``registry.register_samples(op_name, fn)``.

    An op registered with ``register_op`` carries its own samples (``Op(..., samples=fn)``); this hook
    adds more, for the plugin's ops or for existing ones.

    :param registry: the registry; ``fn()`` returns an iterable of :class:`plugrad.testing.samples.Sample`
        objects whose tensor inputs are :class:`plugrad.testing.samples.T` specs (shape and value range),
        made on each backend under test. The conformance kit turns each sample into forward, gradient,
        broadcasting and dtype tests on every backend.
    """


@hookspec
def plugrad_add_namespaces(registry: Registry) -> None:
    """Expose user-facing functions: ``registry.add_namespace("linalg", module)`` makes
    ``plugrad.linalg`` resolve to ``module``.

    :param registry: the registry; the name must not be one of plugrad's own attributes, and must be
        new unless ``override=True``.
    """
