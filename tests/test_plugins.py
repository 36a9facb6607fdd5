"""Plugins: discovery through real entry points, isolation of broken plugins, op plugins, kernel overrides.

Broken plugins are made here: modules built with ``types.ModuleType`` and registered by hand, or
real distributions (a ``*.dist-info`` folder with ``entry_points.txt``) put on ``sys.path``. Every
test leaves the registries exactly as it found them (the ``registry_unchanged`` fixture checks).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import types
import warnings
from pathlib import Path
from typing import Any

import plugrad
import pytest
from plugrad import plugins
from plugrad.backend import _backends
from plugrad.ops import registry
from plugrad.ops.registry import Op
from plugrad.testing.samples import Sample, T

# --- helpers ------------------------------------------------------------------------------------


def _snapshot() -> dict[str, Any]:
    return {
        "ops": dict(registry.OPS),
        "native": dict(registry.NATIVE_KERNELS),
        "generic": dict(registry.GENERIC_KERNELS),
        "samples": {k: list(v) for k, v in registry.SAMPLES.items()},
        "backends": dict(_backends),
        "namespaces": dict(plugins.NAMESPACES),
    }


@pytest.fixture(autouse=True)
def registry_unchanged():
    """Each test must leave every table as it found it (nothing half-registered, nothing left over)."""
    plugins.ensure_loaded()
    before = _snapshot()
    yield
    assert _snapshot() == before


def make_plugin(name: str, contract: str | None = "1", **hooks: Any) -> types.ModuleType:
    """A plugin module called ``name`` whose hooks are the given functions of ``registry``."""
    module = types.ModuleType(name)
    if contract is not None:
        module.PLUGRAD_CONTRACT = contract  # type: ignore[attr-defined]
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, plugrad.hookimpl(fn))
    return module


def cube_op(name: str = "cube") -> Op:
    """An op the core does not have: ``x ** 3``, with its VJP written in plugrad ops."""

    def vjp(ctx: Any, g: Any) -> tuple:
        (x,) = ctx.inputs
        return (g * 3 * x * x,)

    return Op(name, 1, vjp, node="CubeBackward0", saves=((0,),),
              samples=lambda: [Sample((T(s),), name=f"shape{list(s)}") for s in ((), (3,), (2, 3))],
              reference=lambda np, x: x ** 3)


def cube_plugin(name: str = "cubes", *, fail_in_kernels: bool = False) -> types.ModuleType:
    """A complete op plugin: op, generic kernel, extra samples and a namespace ``plugrad.<name>``."""
    op = cube_op()
    functions = types.ModuleType(f"{name}_functions")
    functions.cube = lambda x: op.dispatch((x,))  # type: ignore[attr-defined]

    def ops_hook(registry: Any) -> None:
        registry.register_op(op)

    def kernels_hook(registry: Any) -> None:
        if fail_in_kernels:
            raise ValueError("kernel table is corrupt")
        registry.register_generic_kernel("cube", lambda xp: lambda x: x * x * x)

    def samples_hook(registry: Any) -> None:
        registry.register_samples("cube", lambda: [Sample((T((4, 1)),), name="column")])

    def namespaces_hook(registry: Any) -> None:
        registry.add_namespace(name, functions)

    return make_plugin(name, plugrad_register_ops=ops_hook, plugrad_register_kernels=kernels_hook,
                       plugrad_register_samples=samples_hook, plugrad_add_namespaces=namespaces_hook)


def register_expecting_failure(module: Any, *patterns: str) -> plugins.PluginRecord:
    """Register ``module`` by hand; it must be skipped with one RuntimeWarning matching every pattern."""
    with pytest.warns(RuntimeWarning) as caught:
        record = plugrad.register_plugin(module)
    try:
        messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        assert len(messages) == 1, messages
        assert f"plugrad plugin {module.__name__!r}" in messages[0]
        for pattern in patterns:
            assert pattern in messages[0], (pattern, messages[0])
        assert record.status == "failed"
        assert record.backends == [] and record.ops == []
    finally:
        plugrad.unregister_plugin(module.__name__)
    return record


def write_distribution(root: Path, dist: str, version: str, entry_points: dict[str, str],
                       modules: dict[str, str]) -> None:
    """A distribution installed in ``root``: its metadata, its ``plugrad`` entry points and its modules."""
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[plugrad]\n{lines}")
    for module_name, source in modules.items():
        (root / f"{module_name}.py").write_text(textwrap.dedent(source))


GOOD_PLUGIN_SOURCE = """
    import plugrad
    from plugrad.ops.registry import Op

    PLUGRAD_CONTRACT = "1"


    def _vjp(ctx, g):
        (x,) = ctx.inputs
        return (g * 3 * x * x,)


    CUBE = Op("cube", 1, _vjp, node="CubeBackward0", saves=((0,),))


    @plugrad.hookimpl
    def plugrad_register_ops(registry):
        registry.register_op(CUBE)


    @plugrad.hookimpl
    def plugrad_register_kernels(registry):
        registry.register_generic_kernel("cube", lambda xp: lambda x: x * x * x)
"""

BROKEN_PLUGIN_SOURCE = """
    raise ImportError("this plugin needs libfoo, which is not installed")
"""


@pytest.fixture
def site(tmp_path: Path):
    """A folder put on ``sys.path`` like site-packages; plugins are rescanned once the test removed it."""
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("plugrad_test_")]:
            del sys.modules[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plugrad.refresh_plugins()


def clean_env(pythonpath: Path | None = None, **env: str) -> dict[str, str]:
    """The environment for a fresh interpreter: no PLUGRAD_* settings but ``env``, ``pythonpath`` first."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGRAD_")}
    full_env.update(env)
    if pythonpath is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), full_env.get("PYTHONPATH", "")]))
    return full_env


def run_python(code: str, *, pythonpath: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=clean_env(pythonpath, **env), timeout=120)


# --- broken plugins are reported and skipped ------------------------------------------------------


def test_plugin_that_raises_on_import_is_reported_with_its_distribution_and_skipped(site: Path) -> None:
    write_distribution(site, "plugrad-test-broken", "0.3", {"broken": "plugrad_test_broken"},
                       {"plugrad_test_broken": BROKEN_PLUGIN_SOURCE})
    with pytest.warns(RuntimeWarning) as caught:
        plugrad.refresh_plugins()
    messages = [str(w.message) for w in caught]
    assert any(
        "plugrad plugin 'broken' (distribution plugrad-test-broken 0.3) was skipped" in m
        and "ImportError: this plugin needs libfoo, which is not installed" in m
        for m in messages
    ), messages
    (record,) = [r for r in plugins.records() if r.name == "broken"]
    assert (record.status, record.distribution, record.version) == ("failed", "plugrad-test-broken", "0.3")
    # plugrad itself keeps working, and so does everything else installed
    x = plugrad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert any(r.name == "numpy" and r.status == "loaded" for r in plugins.records())


def test_import_plugrad_survives_a_broken_installed_plugin_in_a_fresh_interpreter(site: Path) -> None:
    write_distribution(site, "plugrad-test-broken", "0.3", {"broken": "plugrad_test_broken"},
                       {"plugrad_test_broken": BROKEN_PLUGIN_SOURCE})
    proc = run_python("""
        import plugrad
        print((plugrad.ones(2) + 1).tolist())
    """, pythonpath=site)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[2.0, 2.0]"
    assert "plugrad plugin 'broken' (distribution plugrad-test-broken 0.3) was skipped" in proc.stderr
    assert "RuntimeWarning" in proc.stderr


def test_hook_that_raises_leaves_no_op_behind() -> None:
    record = register_expecting_failure(
        cube_plugin("raising_kernels", fail_in_kernels=True),
        "hook plugrad_register_kernels raised ValueError: kernel table is corrupt",
    )
    assert record.error.startswith("hook plugrad_register_kernels raised")
    assert "cube" not in registry.OPS
    assert "raising_kernels" not in plugins.NAMESPACES


def test_op_that_clashes_with_a_builtin_is_refused_naming_both_owners() -> None:
    def ops_hook(registry: Any) -> None:
        registry.register_op(cube_op("cube"))  # new: must not be left behind
        registry.register_op(cube_op("add"))

    builtin_add = registry.OPS["add"]
    register_expecting_failure(
        make_plugin("clashing", plugrad_register_ops=ops_hook),
        "op 'add' is registered twice: by 'plugrad' and by 'clashing'", "override=True",
    )
    assert registry.OPS["add"] is builtin_add
    assert "cube" not in registry.OPS
    assert (plugrad.tensor([1.0]) + 1).tolist() == [2.0]  # plugrad's own add still runs


def test_second_plugin_registering_the_same_op_is_refused() -> None:
    plugrad.register_plugin(cube_plugin("cubes"))
    try:
        def ops_hook(registry: Any) -> None:
            registry.register_op(cube_op())

        register_expecting_failure(make_plugin("cubes_again", plugrad_register_ops=ops_hook),
                                   "op 'cube' is registered twice: by 'cubes' and by 'cubes_again'")
        assert registry.OPS["cube"].owner == "cubes"
    finally:
        plugrad.unregister_plugin("cubes")


def test_plugin_for_another_contract_version_is_refused() -> None:
    module = cube_plugin("future_contract")
    module.PLUGRAD_CONTRACT = "2"
    register_expecting_failure(module, "built for plugin contract 2", "implements contract 1")
    assert "cube" not in registry.OPS


def test_plugin_without_a_contract_is_refused_with_the_fix() -> None:
    module = cube_plugin("no_contract")
    del module.PLUGRAD_CONTRACT
    register_expecting_failure(module, "declares no PLUGRAD_CONTRACT", "PLUGRAD_CONTRACT = '1'")
    assert "cube" not in registry.OPS


def test_misspelled_hook_is_refused() -> None:
    module = make_plugin("typo", plugrad_register_op=lambda registry: None)
    register_expecting_failure(module, "invalid hooks", "plugrad_register_op")


def test_kernel_for_an_unknown_op_is_refused() -> None:
    def kernels_hook(registry: Any) -> None:
        registry.register_generic_kernel("no_such_op", lambda xp: xp.negative)

    register_expecting_failure(make_plugin("orphan_kernel", plugrad_register_kernels=kernels_hook),
                               "registers a generic kernel for unknown op 'no_such_op'")


def test_backend_name_clash_is_refused() -> None:
    from plugrad_numpy import NumpyBackend

    def backends_hook(registry: Any) -> None:
        registry.register_backend(NumpyBackend())

    register_expecting_failure(make_plugin("second_numpy", plugrad_register_backends=backends_hook),
                               "backend 'numpy' is registered twice: by 'numpy' and by 'second_numpy'")
    assert plugrad.ones(1, device="numpy").backend == "numpy"


def test_namespace_that_would_hide_a_plugrad_attribute_is_refused() -> None:
    def namespaces_hook(registry: Any) -> None:
        registry.add_namespace("tensor", types.ModuleType("shadow"))

    register_expecting_failure(make_plugin("shadowing", plugrad_add_namespaces=namespaces_hook),
                               "plugrad.tensor", "choose another name")
    assert callable(plugrad.tensor)


def test_registering_the_same_plugin_name_twice_raises() -> None:
    plugrad.register_plugin(cube_plugin("cubes"))
    try:
        with pytest.raises(ValueError, match=r"a plugin named 'cubes' is already loaded .*unregister_plugin"):
            plugrad.register_plugin(cube_plugin("cubes"))
    finally:
        plugrad.unregister_plugin("cubes")


def test_unregistering_an_unknown_plugin_raises_listing_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"no plugin named 'nothing' is registered; registered: .*numpy \(loaded\)"):
        plugrad.unregister_plugin("nothing")


def test_registry_rejects_objects_of_the_wrong_kind() -> None:
    def ops_hook(registry: Any) -> None:
        registry.register_op(lambda x: x)

    register_expecting_failure(make_plugin("not_an_op", plugrad_register_ops=ops_hook),
                               "register_op expects a plugrad.ops.registry.Op, got function")


# --- a working op plugin -------------------------------------------------------------------------


def test_op_plugin_adds_an_op_that_works_with_autograd() -> None:
    record = plugrad.register_plugin(cube_plugin("cubes"))
    try:
        assert (record.status, record.kinds, record.ops) == ("loaded", ["ops", "kernels"], ["cube"])
        cube = plugrad.cubes.cube
        x = plugrad.tensor([1.0, -2.0, 0.5], dtype=plugrad.float64, requires_grad=True)
        y = cube(x)
        assert type(y.grad_fn).__name__ == "CubeBackward0"
        assert y.tolist() == [1.0, -8.0, 0.125]
        (g,) = plugrad.autograd.grad(y.sum(), x, create_graph=True)
        assert g.tolist() == [3.0, 12.0, 0.75]
        g.sum().backward()  # the VJP is made of plugrad ops, so it differentiates again: 6x
        assert x.grad.tolist() == [6.0, -12.0, 3.0]
        # the op database sees the op's own samples and the ones the plugin added
        op = registry.get_op("cube")
        assert [s.name for s in op.samples()] == ["shape[]", "shape[3]", "shape[2, 3]"]
        assert [s.name for fn in registry.SAMPLES["cube"] for s in fn()] == ["column"]
        assert registry.kernel_source("cube", x._backend) == "generic"
    finally:
        plugrad.unregister_plugin("cubes")
    assert "cube" not in registry.OPS
    with pytest.raises(AttributeError, match="has no attribute 'cubes'"):
        plugrad.cubes  # noqa: B018


def test_op_plugin_passes_gradcheck() -> None:
    from plugrad.autograd import gradcheck

    plugrad.register_plugin(cube_plugin("cubes"))
    try:
        x = plugrad.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=plugrad.float64, requires_grad=True)
        assert gradcheck(plugrad.cubes.cube, (x,))
    finally:
        plugrad.unregister_plugin("cubes")


def test_kernel_override_replaces_the_builtin_and_unregistering_restores_it() -> None:
    calls = []

    def counting_sin(xp: Any) -> Any:
        def sin(x: Any) -> Any:
            calls.append(x.shape)
            return xp.sin(x)

        return sin

    def plain(registry: Any) -> None:
        registry.register_generic_kernel("sin", counting_sin)

    register_expecting_failure(make_plugin("no_override", plugrad_register_kernels=plain),
                               "generic kernel for op 'sin' is registered twice: by 'plugrad' and by 'no_override'")

    def overriding(registry: Any) -> None:
        registry.register_generic_kernel("sin", counting_sin, override=True)
        registry.register_kernel("floor", "numpy", lambda x: x // 1)

    plugrad.register_plugin(make_plugin("faster_kernels", plugrad_register_kernels=overriding))
    try:
        x = plugrad.tensor([1.0, -2.0], device="numpy")
        assert plugrad.sin(x).tolist() == plugrad.tensor([1.0, -2.0]).sin().tolist()
        assert calls == [(2,), (2,)]
        assert registry.kernel_source("floor", x._backend) == "native"
        assert registry.GENERIC_KERNELS["sin"][1] == "faster_kernels"
    finally:
        plugrad.unregister_plugin("faster_kernels")
    plugrad.sin(x)
    assert calls == [(2,), (2,)]  # the built-in kernel is back
    assert registry.kernel_source("floor", x._backend) == "generic"


def test_op_override_replaces_the_builtin_until_unregistered() -> None:
    def ops_hook(registry: Any) -> None:
        registry.register_op(cube_op("neg"), override=True)

    builtin_neg = registry.OPS["neg"]
    plugrad.register_plugin(make_plugin("neg_override", plugrad_register_ops=ops_hook))
    try:
        assert registry.OPS["neg"].owner == "neg_override"
    finally:
        plugrad.unregister_plugin("neg_override")
    assert registry.OPS["neg"] is builtin_neg


def test_plugin_registered_by_hand_survives_refresh_plugins() -> None:
    plugrad.register_plugin(cube_plugin("cubes"))
    try:
        backend = plugrad.ones(1, device="numpy")._backend
        plugrad.refresh_plugins()
        assert registry.OPS["cube"].owner == "cubes"
        assert plugrad.ones(1, device="numpy")._backend is backend  # backends keep their identity across a refresh
    finally:
        plugrad.unregister_plugin("cubes")


# --- installed plugins: entry points, autoload switches, plugrad info ------------------------------


def test_installed_op_plugin_is_found_through_its_entry_point(site: Path) -> None:
    write_distribution(site, "plugrad-test-cube", "1.2", {"cube": "plugrad_test_cube"},
                       {"plugrad_test_cube": GOOD_PLUGIN_SOURCE})
    plugrad.refresh_plugins()
    (record,) = [r for r in plugins.records() if r.name == "cube"]
    assert (record.status, record.distribution, record.version, record.ops) == (
        "loaded", "plugrad-test-cube", "1.2", ["cube"])
    x = plugrad.tensor([2.0], requires_grad=True)
    registry.get_op("cube").dispatch((x,)).backward()
    assert x.grad.tolist() == [12.0]


def _loaded_plugins_in_subprocess(site: Path, **env: str) -> dict[str, str]:
    proc = run_python("""
        import json
        from plugrad import plugins
        print(json.dumps({r.name: r.status + ":" + r.error for r in plugins.records()}))
    """, pythonpath=site, **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_autoload_switches_in_a_fresh_interpreter(site: Path) -> None:
    write_distribution(site, "plugrad-test-cube", "1.2", {"cube": "plugrad_test_cube"},
                       {"plugrad_test_cube": GOOD_PLUGIN_SOURCE})
    write_distribution(site, "plugrad-test-broken", "0.3", {"broken": "plugrad_test_broken"},
                       {"plugrad_test_broken": BROKEN_PLUGIN_SOURCE})

    everything = _loaded_plugins_in_subprocess(site)
    assert everything["numpy"] == "loaded:"
    assert everything["cube"] == "loaded:"
    assert everything["broken"].startswith("failed:import failed: ImportError")

    none = _loaded_plugins_in_subprocess(site, PLUGRAD_DISABLE_PLUGIN_AUTOLOAD="1")
    assert none["numpy"] == "loaded:"  # built-in backends always load
    assert none["cube"] == "disabled:PLUGRAD_DISABLE_PLUGIN_AUTOLOAD is set"
    assert none["broken"] == "disabled:PLUGRAD_DISABLE_PLUGIN_AUTOLOAD is set"

    only_cube = _loaded_plugins_in_subprocess(site, PLUGRAD_PLUGINS="cube")
    assert only_cube["cube"] == "loaded:"
    assert only_cube["broken"] == "disabled:not named in PLUGRAD_PLUGINS"

    named_despite_disable = _loaded_plugins_in_subprocess(site, PLUGRAD_PLUGINS="cube",
                                                          PLUGRAD_DISABLE_PLUGIN_AUTOLOAD="1")
    assert named_despite_disable["cube"] == "loaded:"
    assert named_despite_disable["broken"] == "disabled:not named in PLUGRAD_PLUGINS"


def test_allow_list_naming_a_missing_plugin_warns(site: Path) -> None:
    proc = run_python("import plugrad; plugrad.ones(1)", pythonpath=site, PLUGRAD_PLUGINS="nonexistent")
    assert proc.returncode == 0, proc.stderr
    assert "PLUGRAD_PLUGINS names 'nonexistent', which no installed distribution provides" in proc.stderr


def test_plugrad_info_lists_plugins_with_status_and_kernel_coverage(site: Path) -> None:
    write_distribution(site, "plugrad-test-cube", "1.2", {"cube": "plugrad_test_cube"},
                       {"plugrad_test_cube": GOOD_PLUGIN_SOURCE})
    write_distribution(site, "plugrad-test-broken", "0.3", {"broken": "plugrad_test_broken"},
                       {"plugrad_test_broken": BROKEN_PLUGIN_SOURCE})
    proc = subprocess.run([sys.executable, "-m", "plugrad", "info", "--json"], capture_output=True, text=True,
                          env=clean_env(site), timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert data["contract"] == "1" and data["plugrad"] == plugrad.__version__
    (numpy_backend,) = by_name["numpy"]["backends"]
    assert numpy_backend["available"] and numpy_backend["device"] == "cpu"
    kernels = numpy_backend["kernels"]
    assert sorted(kernels["native"] + kernels["generic"] + kernels["none"]) == sorted(set(
        kernels["native"] + kernels["generic"] + kernels["none"]))
    assert len(kernels["native"]) + len(kernels["generic"]) + len(kernels["none"]) == data["ops"]
    assert "cube" in kernels["generic"]
    assert numpy_backend["info"]["numpy"]
    assert by_name["cube"]["kinds"] == ["ops", "kernels"]
    assert (by_name["cube"]["distribution"], by_name["cube"]["version"]) == ("plugrad-test-cube", "1.2")
    assert by_name["broken"]["status"] == "failed"
    assert "ImportError: this plugin needs libfoo" in by_name["broken"]["error"]

    table = subprocess.run([sys.executable, "-m", "plugrad", "info"], capture_output=True, text=True,
                           env=clean_env(site), timeout=120)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith(f"plugrad {plugrad.__version__}, plugin contract 1, default backend: numpy")
    assert lines[2].split() == ["PLUGIN", "DISTRIBUTION", "KIND", "STATUS", "DEVICE", "NATIVE", "GENERIC", "NONE"]
    rows = {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in lines[3:] if line.strip())}
    name, dist, kinds, status, device, *counts = rows["numpy"]
    assert (dist, status, device) == (f"plugrad {plugrad.__version__}", "loaded", "cpu")
    assert kinds.split(", ")[0] == "backend"
    assert sum(int(c) for c in counts) == data["ops"]
    assert rows["broken"] == ["broken", "plugrad-test-broken 0.3", "-", "failed", "-", "-", "-", "-"]
    assert "broken: failed: import failed: ImportError: this plugin needs libfoo" in table.stdout
    assert "cube: 1 op(s): cube" in table.stdout
    assert table.stderr == ""  # broken plugins are in the table, not repeated as warnings


def test_plugrad_info_reports_an_unavailable_backend_with_its_install_hint() -> None:
    from plugrad.__main__ import main
    from plugrad.backend import Backend

    class MissingLibraryBackend(Backend):
        name = "missinglib"
        extra = "numba"

        def load_namespace(self) -> Any:
            raise ImportError("No module named 'numba'")

    def backends_hook(registry: Any) -> None:
        registry.register_backend(MissingLibraryBackend())

    plugrad.register_plugin(make_plugin("missinglib", plugrad_register_backends=backends_hook))
    try:
        import io

        out = io.StringIO()
        assert main(["info"], out=out) == 0
        text = out.getvalue()
        row = next(line for line in text.splitlines() if line.startswith("missinglib "))
        assert re.split(r"\s{2,}", row)[:5] == ["missinglib", "(by hand)", "backend", "unavailable", "cpu"]
        assert ("missinglib: unavailable: ImportError: No module named 'numba'; "
                "install it with: pip install plugrad[numba]") in text
    finally:
        plugrad.unregister_plugin("missinglib")


def test_plugrad_command_without_a_subcommand_prints_usage() -> None:
    proc = subprocess.run([sys.executable, "-m", "plugrad"], capture_output=True, text=True, env=clean_env(),
                          timeout=120)
    assert proc.returncode == 2
    assert "usage: plugrad" in proc.stderr and "info" in proc.stderr
