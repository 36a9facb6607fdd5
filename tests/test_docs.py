"""Every code example of every page under docs/ runs, in page order, and prints what the page shows.

How the code blocks of a page are read (Markdown fences; MyST directive fences such as ```{note} are looked into):

- ```pycon: a doctest (``>>>`` and ``...`` lines, then the expected output; a traceback's last line is the error).
- ```python: run as a script; what it prints must equal the ```text block that follows it (only blank lines
  between). A ```python block that prints with no such block fails.
- ``% file: NAME`` (a MyST comment) right before a block: the block is the file NAME of the page's scratch
  folder, which is importable while the page runs. Pages with files run with installed third-party plugins
  switched off, so the plugin they build is the only one.
- ``% requires: WHAT[, WHAT...]`` right before a block: the block (and its output) runs as a test of its own,
  after the page's blocks before it whose requirements are met, skipped with the reason where WHAT is missing: ``backend NAME`` (an
  available plugrad backend), ``module NAME`` (an importable module), ``program NAME`` (an executable on PATH).
- ``% figure: NAME.svg`` right before a block: the block makes ``dot``, a picture of a graph (``plugrad.viz``); it
  needs the graphviz module, and the committed ``docs/_static/NAME.svg`` must show the same nodes, labels and
  edges. ``PLUGRAD_DOCS_WRITE_FIGURES=1`` writes the SVGs instead (that needs Graphviz's ``dot`` program):
  ``PLUGRAD_DOCS_WRITE_FIGURES=1 pytest tests/test_docs.py -k figure``.
- Blocks of other languages (console, toml, text, ...) are shown, not run.

Expected output is compared exactly, with ``...`` standing for any text (addresses, timings). The blocks of a
page share one namespace; whatever a page changes (default backend and dtype, grad mode, print options,
plugins registered by hand, its scratch modules) is put back afterwards. A UserWarning or RuntimeWarning that an
example does not catch fails it: a reader would see it, and the page does not show it.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import plugrad
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
MARKER = re.compile(r"^%\s*(?P<kind>file|requires|figure):\s*(?P<value>\S.*?)\s*$")
RUN_LANGUAGES = {"pycon", "python"}
FLAGS = doctest.ELLIPSIS
REQUIREMENT_HINTS = {
    "numba": "pip install plugrad[numba]",
    "cupy": "pip install plugrad[cuda12] and a CUDA GPU",
    "sklearn": "pip install plugrad[examples]",
    "graphviz": "pip install plugrad[examples]",
    "dot": "the Graphviz binaries, e.g. apt install graphviz",
}


@dataclass
class Block:
    """One fenced code block: its language, first line of code (1-based), code, and the markers before it."""

    page: Path
    language: str
    line: int
    code: str
    file: str | None = None
    requires: str | None = None
    figure: str | None = None
    output: Block | None = None  # the ```text block showing what a ```python block prints

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(DOCS).as_posix()}:{self.line}"


@dataclass
class Page:
    path: Path
    blocks: list[Block] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.relative_to(DOCS).as_posix()

    @property
    def has_files(self) -> bool:
        return any(b.file for b in self.blocks)


def parse_page(path: Path) -> Page:
    """The runnable blocks of a page, each with its markers and (for ```python) its output block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    markers: dict[str, str] = {}
    directives: list[str] = []  # open MyST directive fences: their content is Markdown and may hold code blocks
    i = 0
    after_code = False  # the previous non-blank line closed a code block (for ```text output blocks)
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if directives and line.strip() and _closes(line.strip(), directives[-1]):
            directives.pop()
            i += 1
            after_code = False
            continue
        if m is None:
            mk = MARKER.match(line)
            if mk:
                markers[mk["kind"]] = mk["value"]
            elif line.strip():
                markers.clear()
                after_code = False
            i += 1
            continue
        fence, info = m["fence"], m["info"].strip()
        if info.startswith("{"):
            directives.append(fence)
            markers.clear()
            i += 1
            continue
        language = info.split()[0].lower() if info else ""
        start = i + 1
        j = start
        while j < len(lines) and not _closes(lines[j].strip(), fence):
            j += 1
        if j == len(lines):
            raise AssertionError(f"{path.relative_to(DOCS)}:{i + 1}: code block is never closed")
        code = "\n".join(ln[len(m["indent"]):] if ln.startswith(m["indent"]) else ln for ln in lines[start:j]) + "\n"
        requires = ", ".join(r for r in (markers.get("requires"), "module graphviz" if "figure" in markers else None) if r)
        block = Block(path, language, start + 1, code, markers.get("file"), requires or None, markers.get("figure"))
        previous = blocks[-1] if blocks else None
        if (language == "text" and after_code and previous is not None and previous.language == "python"
                and previous.output is None and previous.file is None and not markers):
            previous.output = block
        elif language in RUN_LANGUAGES:
            if language == "pycon" and block.file:
                raise AssertionError(f"{block.where}: a `% file:` block must be ```python, not ```pycon")
            blocks.append(block)
        elif markers:
            raise AssertionError(f"{block.where}: `% {next(iter(markers))}:` marks a ```{language} block, "
                                 f"which is not run; put it before a ```pycon or ```python block")
        markers.clear()
        after_code = True
        i = j + 1
    return Page(path, blocks)


def _closes(stripped: str, fence: str) -> bool:
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def missing_requirement(requires: str) -> str | None:
    """Why ``% requires: WHAT, ...`` is not met here (the skip reason), or None when it is."""
    reasons = [r for r in map(_missing_one, requires.split(",")) if r]
    return "; ".join(reasons) or None


def _missing_one(requires: str) -> str | None:
    kind, _, name = requires.strip().partition(" ")
    name = name.strip()
    hint = REQUIREMENT_HINTS.get(name)
    suffix = f" ({hint})" if hint else ""
    if kind == "backend":
        from plugrad import backend

        known = backend.known_backends()
        if name not in known:
            return f"needs plugrad's {name!r} backend, which is not installed here{suffix}"
        ok, reason = known[name].available()
        return None if ok else f"needs the plugrad backend {name!r}, unavailable here: {reason}"
    if kind == "module":
        return None if importlib.util.find_spec(name) is not None else f"needs the Python module {name!r}{suffix}"
    if kind == "program":
        return None if shutil.which(name) else f"needs the program {name!r} on PATH{suffix}"
    raise AssertionError(f"unknown requirement {requires!r}: use 'backend NAME', 'module NAME' or 'program NAME'")


# --- running blocks ---------------------------------------------------------------------------------------------


class _Runner(doctest.DocTestRunner):
    """Doctest runner that reports failures as text (for pytest.fail) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(optionflags=FLAGS, verbose=False)
        self.report: list[str] = []

    def report_failure(self, out, test, example, got):  # type: ignore[override]
        self.report.append(self._failure_header(test, example) + _diff(example.want, got))

    def report_unexpected_exception(self, out, test, example, exc_info):  # type: ignore[override]
        self.report.append(self._failure_header(test, example) + "Exception raised:\n"
                           + doctest._indent(doctest._exception_traceback(exc_info)))  # type: ignore[attr-defined]


def _diff(want: str, got: str) -> str:
    indent = doctest._indent  # type: ignore[attr-defined]
    return f"Expected:\n{indent(want or '(nothing)')}Got:\n{indent(got or '(nothing)')}"


def run_block(block: Block, namespace: dict, scratch: Path) -> None:
    """Run one block in the page's namespace; fail with the page and line when it does not do what the page says."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        if block.file:
            target = scratch / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
            importlib.invalidate_caches()
        elif block.language == "pycon":
            _run_doctest(block, namespace)
        else:
            _run_script(block, namespace)


def _run_doctest(block: Block, namespace: dict) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.code, {}, block.where, str(block.page), block.line - 1)
    if not test.examples:
        raise AssertionError(f"{block.where}: a ```pycon block without any `>>>` example")
    test.globs = namespace  # Note: the page's blocks share one namespace (get_doctest works on a copy)
    runner = _Runner()
    runner.run(test, clear_globs=False)
    if runner.report:
        pytest.fail("\n".join(runner.report), pytrace=False)


def _run_script(block: Block, namespace: dict) -> None:
    source = "\n" * (block.line - 1) + block.code  # Note: tracebacks then give the page's line numbers
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, str(block.page), "exec"), namespace)  # noqa: S102 - running the docs is the point
    got = out.getvalue()
    if block.output is None:
        if got:
            pytest.fail(f"{block.where}: the block prints, but no ```text block after it shows what:\n"
                        f"{doctest._indent(got)}", pytrace=False)  # type: ignore[attr-defined]
        return
    want = block.output.code
    if not doctest.OutputChecker().check_output(want, got, FLAGS):
        pytest.fail(f"{block.where}: printed output differs from the ```text block at line {block.output.line}\n"
                    + _diff(want, got), pytrace=False)


@contextlib.contextmanager
def page_state(page: Page, tmp_path: Path) -> Iterator[dict]:
    """A fresh namespace for the page; afterwards, plugrad's global settings as they were before it."""
    from plugrad import backend, plugins

    by_hand = {r.name for r in plugins.records() if r.origin == "by hand"}
    dtype = plugrad.get_default_dtype()
    grad_enabled = plugrad.is_grad_enabled()
    anomaly = plugrad.autograd.is_anomaly_enabled()
    path = list(sys.path)
    modules = dict(sys.modules)
    isolate = page.has_files and any(r.status == "loaded" and not r.builtin for r in plugins.records())
    env = os.environ.get("PLUGRAD_DISABLE_PLUGIN_AUTOLOAD")
    if isolate:
        os.environ["PLUGRAD_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        plugins.refresh_plugins()
    if page.has_files:
        sys.path.insert(0, str(tmp_path))
    try:
        # The pages print CPU tensors; on a GPU backend run them on the CPU backend the suite would pick there.
        current = backend.default_backend_obj()
        with plugrad.default_backend(current if current.device_type == "cpu" else backend.resolve("cpu")):
            yield {"__name__": "__docs__"}
    finally:
        for record in plugins.records():
            if record.origin == "by hand" and record.name not in by_hand:
                plugrad.unregister_plugin(record.name)
        sys.path[:] = path
        for name in set(sys.modules) - set(modules):
            if _under(sys.modules[name], tmp_path):
                del sys.modules[name]
        sys.modules.update({k: v for k, v in modules.items() if sys.modules.get(k) is not v})
        if isolate:
            if env is None:
                os.environ.pop("PLUGRAD_DISABLE_PLUGIN_AUTOLOAD", None)
            else:
                os.environ["PLUGRAD_DISABLE_PLUGIN_AUTOLOAD"] = env
            plugins.refresh_plugins()
        plugrad.set_default_dtype(dtype)
        plugrad.set_grad_enabled(grad_enabled)
        plugrad.autograd.set_detect_anomaly(anomaly)
        plugrad.set_printoptions(profile="default")


def _under(module: object, folder: Path) -> bool:
    origin = getattr(module, "__file__", None) or ""
    return bool(origin) and Path(origin).resolve().is_relative_to(folder.resolve())


# --- pictures ---------------------------------------------------------------------------------------------------

STATIC = DOCS / "_static"
WRITE_FIGURES = os.environ.get("PLUGRAD_DOCS_WRITE_FIGURES", "") not in ("", "0")


def stable_source(source: str) -> str:
    """DOT source with ``make_dot``'s node ids (``n`` + an object id) renumbered in order of appearance."""
    ids: dict[str, str] = {}
    return re.sub(r"\bn\d+\b", lambda m: ids.setdefault(m[0], f"n{len(ids) + 1}"), source)


def dot_structure(source: str) -> tuple[dict[str, list[str]], set[tuple[str, str]]]:
    """Node name -> label lines, and the edges, of a DOT source."""
    nodes = {}
    for name, quoted, bare in re.findall(r'^\s*(\w+) \[label=(?:"((?:[^"\\]|\\.)*)"|(\S+))', source, flags=re.M):
        label = quoted if quoted or not bare else bare
        nodes[name] = [ln.strip() for ln in label.replace("\\n", "\n").split("\n") if ln.strip()]
    edges = set(re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M))
    return nodes, edges


def svg_structure(svg: str) -> tuple[dict[str, list[str]], set[tuple[str, str]]]:
    """Node name -> text lines, and the edges, of an SVG that Graphviz drew."""
    import html

    nodes = {}
    for title, body in re.findall(r'<g id="\w+" class="node">\s*<title>(.*?)</title>(.*?)</g>', svg, flags=re.S):
        nodes[html.unescape(title)] = [html.unescape(t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", body)
                                       if t.strip()]
    edges = set()
    for title in re.findall(r'<g id="\w+" class="edge">\s*<title>(.*?)</title>', svg, flags=re.S):
        tail, _, head = html.unescape(title).partition("->")
        edges.add((tail, head))
    return nodes, edges


def render_svg(source: str, target: Path) -> None:
    import graphviz

    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(graphviz.Source(source).pipe(format="svg"))


def compare_picture(source: str, target: Path, made_by: str) -> None:
    """The committed SVG ``target`` shows what ``source`` describes (or, when writing figures, is drawn anew)."""
    if WRITE_FIGURES:
        render_svg(source, target)
    rel = target.relative_to(DOCS).as_posix()
    assert target.exists(), (f"docs/{rel} is missing; draw it with PLUGRAD_DOCS_WRITE_FIGURES=1 "
                             f"pytest tests/test_docs.py -k figure")
    want = dot_structure(source)
    got = svg_structure(target.read_text(encoding="utf-8"))
    assert got == want, (f"docs/{rel} no longer shows what {made_by} draws; redraw it with "
                         f"PLUGRAD_DOCS_WRITE_FIGURES=1 pytest tests/test_docs.py -k figure\n"
                         f"drawn: {want}\ncommitted: {got}")


def check_figure(block: Block, namespace: dict) -> None:
    dot = namespace.get("dot")
    assert dot is not None and hasattr(dot, "source"), f"{block.where}: a `% figure:` block must leave `dot` defined"
    assert f"_static/{block.figure}" in block.page.read_text(encoding="utf-8"), (
        f"{block.where}: the page draws {block.figure} but never shows _static/{block.figure}")
    compare_picture(stable_source(dot.source), STATIC / (block.figure or ""), f"the block at {block.where}")


DOT_FILES = sorted(STATIC.rglob("*.dot"))


@pytest.mark.parametrize("source", DOT_FILES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_figure_drawn_from_a_dot_file_matches_it(source: Path) -> None:
    if WRITE_FIGURES:
        pytest.importorskip("graphviz", reason="writing figures needs the graphviz module (pip install plugrad[examples])")
    compare_picture(source.read_text(encoding="utf-8"), source.with_suffix(".svg"), source.name)


def test_every_committed_figure_is_drawn_by_the_docs() -> None:
    drawn = {b.figure for p in PAGES for b in p.blocks if b.figure} | {
        p.with_suffix(".svg").relative_to(STATIC).as_posix() for p in DOT_FILES}
    committed = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.svg")}
    assert committed <= drawn, f"SVGs under docs/_static that no page or .dot file draws: {sorted(committed - drawn)}"
    assert drawn <= committed, f"figures the docs draw but nobody committed: {sorted(drawn - committed)}"


# --- the tests --------------------------------------------------------------------------------------------------

PAGES = [parse_page(p) for p in sorted(DOCS.rglob("*.md")) if "_build" not in p.relative_to(DOCS).parts]
RUNNABLE = [p for p in PAGES if any(not b.requires for b in p.blocks)]
GUARDED = [(p, b) for p in PAGES for b in p.blocks if b.requires]


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: p.name)
def test_page_examples_print_what_the_page_shows(page: Page, tmp_path: Path) -> None:
    with page_state(page, tmp_path) as namespace:
        for block in page.blocks:
            if not block.requires:
                run_block(block, namespace, tmp_path)


@pytest.mark.parametrize("page, block", GUARDED, ids=[b.where + ("-figure" if b.figure else "") for _p, b in GUARDED])
def test_example_that_needs_an_optional_dependency(page: Page, block: Block, tmp_path: Path) -> None:
    reason = missing_requirement(block.requires or "")
    if reason:
        pytest.skip(f"{block.where}: {reason}")
    with page_state(page, tmp_path) as namespace:
        for earlier in page.blocks[: page.blocks.index(block)]:
            if not earlier.requires or not missing_requirement(earlier.requires):
                run_block(earlier, namespace, tmp_path)
        run_block(block, namespace, tmp_path)
        if block.figure:
            check_figure(block, namespace)


def test_api_reference_lists_every_op_family() -> None:
    from plugrad import ops

    text = (DOCS / "api" / "ops.md").read_text(encoding="utf-8")
    missing = [f.__name__ for f in ops.FAMILIES if getattr(f, "__all__", None) and f".. automodule:: {f.__name__}\n"
               not in text]
    assert not missing, f"op families with public functions that docs/api/ops.md does not document: {missing}"


def test_every_page_is_in_a_toctree() -> None:
    """Sphinx warns about orphan pages; this says which one without a docs build."""
    listed = set()
    for page in PAGES:
        text = page.path.read_text(encoding="utf-8")
        for body in re.findall(r"```\{toctree\}\n(.*?)```", text, flags=re.S):
            for entry in body.splitlines():
                entry = entry.strip()
                if entry and not entry.startswith(":"):
                    target = entry.split("<")[-1].rstrip(">").strip()
                    listed.add((page.path.parent / target).resolve().with_suffix(".md"))
    orphans = [p.name for p in PAGES if p.path.resolve() not in listed and p.name != "index.md"]
    assert not orphans, f"pages in no toctree: {orphans}"
