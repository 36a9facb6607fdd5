"""``plugrad.nn``: modules, parameters, initialisation and the functional API, as in ``torch.nn``."""

from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = [*_modules_all, "Buffer", "Parameter", "functional", "init", "utils"]
