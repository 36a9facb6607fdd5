"""(family module; filled in by its op declarations)"""

from __future__ import annotations

__all__: list[str] = []
TENSOR_METHODS: dict = {}
