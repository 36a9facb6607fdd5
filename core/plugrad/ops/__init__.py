"""All built-in ops, their user-facing functions, and the Tensor methods and operators that call them.

Op families live in their own modules (elementwise, reduction, shape, ...);
importing this package declares every op and its generic kernel.
"""

from __future__ import annotations

from . import (  # noqa: E402
    activation,
    bessel,
    comparison,
    complex_numbers,
    counting,
    elementwise,
    indexing,
    linalg,
    linalg_core,
    nn,
    orthogonal_polynomials,
    reduction,
    registry,
    scatter_into,
    shape,
    special,
    special_functions,
    spectral,
    storage,
)
from .activation import *  # noqa: F401,F403
from .activation import __all__ as _act_all
from .comparison import *  # noqa: F401,F403
from .comparison import __all__ as _cmp_all
from .complex_numbers import *  # noqa: F401,F403
from .complex_numbers import __all__ as _complex_all
from .conversion import _copy_from, _to_backend, _to_dtype, _to_native_dtype, clone, full_like_, zeros_like_  # noqa: F401
from .counting import *  # noqa: F401,F403
from .counting import __all__ as _count_all
from .creation import _zeros_native, full_like, ones_like, zeros_like  # noqa: F401
from .distance import *  # noqa: F401,F403
from .distance import __all__ as _dist_all
from .elementwise import *  # noqa: F401,F403
from .elementwise import __all__ as _ew_all
from .indexing import *  # noqa: F401,F403
from .indexing import __all__ as _idx_all
from .linalg import *  # noqa: F401,F403
from .linalg import __all__ as _linalg_all
from .linalg_core import *  # noqa: F401,F403
from .linalg_core import __all__ as _linalg_core_all
from .reduction import *  # noqa: F401,F403
from .reduction import __all__ as _red_all
from .scatter_into import *  # noqa: F401,F403
from .scatter_into import __all__ as _scatter_all
from .shape import *  # noqa: F401,F403
from .shape import __all__ as _shape_all
from .special import *  # noqa: F401,F403
from .special import __all__ as _special_all
from .special_functions import *  # noqa: F401,F403
from .special_functions import __all__ as _special_functions_all
from .spectral import istft, stft  # noqa: F401
from .storage import *  # noqa: F401,F403
from .storage import __all__ as _storage_all

FAMILIES = (elementwise, comparison, complex_numbers, reduction, shape, activation, linalg, linalg_core, indexing, nn,
            counting, special, special_functions, bessel, orthogonal_polynomials, spectral, scatter_into, storage)

registry.mark_views(
    "alias", "diagonal", "permute", "reshape", "select", "slice", "squeeze", "squeeze_dim", "squeeze_dims", "t",
    "transpose", "unsqueeze", "split", "split_with_sizes", "unbind", "expand", "real", "imag", "view_as_real",
    "view_as_complex",
)

_BUILTIN_OPS = dict(registry.OPS)


def _restore_builtin(name: str) -> None:
    """Put back a built-in op after a plugin that overrode it is removed."""
    if name in _BUILTIN_OPS:
        registry.OPS[name] = _BUILTIN_OPS[name]


__all__ = [*_cmp_all, *_complex_all, *_ew_all, *_red_all, *_shape_all, *_act_all, *_linalg_all, *_linalg_core_all,
           *_idx_all, *_dist_all, *_count_all, *_special_all, *_special_functions_all, *_scatter_all, *_storage_all,
           "stft", "istft",
           "clone", "zeros_like", "ones_like", "full_like"]

from ._numpy_names import add_numpy_names as _add_numpy_names  # noqa: E402

_add_numpy_names(globals(), __all__)
