"""``nn.utils.stateless``: PyTorch's older home of :func:`plugrad.func.functional_call`."""

from ...func.functional_call import functional_call

__all__ = ["functional_call"]
