"""plugrad's conformance kit, on every op this plugin registers (backend: PLUGRAD_BACKEND, default numpy)."""

import os

import pytest
from plugrad.testing.opdb import cases

BACKEND = os.environ.get("PLUGRAD_BACKEND") or "numpy"


@pytest.mark.parametrize("case", cases(BACKEND, plugin="linalg"), ids=lambda case: case.id)
def test_conformance(case) -> None:
    case.run()
