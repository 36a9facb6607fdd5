"""plugrad-linalg: linear algebra for plugrad, as a third-party op plugin.

Installing the distribution is all it takes: its entry point (group ``plugrad``,
name ``linalg``) names this module, whose hooks register the ops with their VJP
rules, their generic array-API kernels and their op-database samples, and make
``plugrad.linalg`` the module of user-facing functions::

    import plugrad
    A = plugrad.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    plugrad.linalg.det(A).backward()
"""

from __future__ import annotations

from typing import Any

import plugrad

from . import functions, ops

__version__ = "0.1.0"
PLUGRAD_CONTRACT = "1"


@plugrad.hookimpl
def plugrad_register_ops(registry: Any) -> None:
    for op in ops.OPS:
        registry.register_op(op)


@plugrad.hookimpl
def plugrad_register_kernels(registry: Any) -> None:
    for name, factory in ops.GENERIC_KERNELS.items():
        registry.register_generic_kernel(name, factory)


@plugrad.hookimpl
def plugrad_add_namespaces(registry: Any) -> None:
    registry.add_namespace("linalg", functions)
