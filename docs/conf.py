"""Sphinx configuration: MyST Markdown pages, the furo theme, and an API reference from docstrings.

Build with ``tox -e docs`` (or ``sphinx-build -W --keep-going -b html docs docs/_build/html``). Every code
example on these pages runs as a test in ``tests/test_docs.py``.
"""

from __future__ import annotations

from typing import Any

import plugrad
from plugrad import ops

project = "plugrad"
author = "the plugrad authors"
copyright = "the plugrad authors"  # noqa: A001 - Sphinx's name
release = plugrad.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = f"plugrad {release}"
html_static_path = ["_static"]
pygments_style = "friendly"
pygments_dark_style = "monokai"

# Every op function is also a Tensor method (``x.exp()`` is ``plugrad.exp(x)``): the API reference documents
# it once, with its family, and leaves it out of the Tensor class.
_OP_FUNCTIONS = {id(getattr(ops, name)) for family in ops.FAMILIES for name in getattr(family, "__all__", ())}


def _skip_op_methods(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool | None:
    if what == "class" and id(obj) in _OP_FUNCTIONS:
        return True
    return None


def setup(app: Any) -> None:
    app.connect("autodoc-skip-member", _skip_op_methods)
