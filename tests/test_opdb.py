"""The op database on the backend the suite runs on, property tests over random shapes, and the runner itself."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from typing import Any

import plugrad
import pytest
from _devices import FAKE_CUDA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from plugrad.backend import get_backend
from plugrad.ops.registry import Op
from plugrad.testing import opdb
from plugrad.testing.samples import A, Mask, Sample, T


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "op_case" in metafunc.fixturenames:
        found = opdb.cases(metafunc.config.plugrad_backend)  # type: ignore[attr-defined]
        metafunc.parametrize("op_case", found, ids=[c.id for c in found])


# --- the database --------------------------------------------------------------------------------


def test_every_op_has_samples() -> None:
    missing = opdb.ops_without_samples()
    assert not missing, f"ops without op-database samples: {', '.join(missing)}"


def test_every_op_has_a_reference() -> None:
    missing = opdb.ops_without_reference()
    assert not missing, f"ops without a NumPy reference: {', '.join(missing)}"


def test_op_database(op_case: opdb.OpCase) -> None:
    op_case.run()


# --- properties over random shapes ---------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("op_name", opdb.binary_elementwise_ops())
@PROPERTY_SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=4),
       seed=st.integers(0, 2**32 - 1))
def test_binary_op_broadcasts_like_numpy_and_gradients_keep_input_shapes(
        op_name: str, shapes: Any, seed: int, backend_name: str) -> None:
    shape_a, shape_b = shapes.input_shapes
    opdb.check_binary_broadcast(op_name, get_backend(backend_name), shape_a, shape_b, seed)


@st.composite
def _reduction_args(draw: Any, with_dims: bool) -> tuple:
    ndim = draw(st.integers(1 if with_dims else 0, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    if not with_dims:
        return shape, None, False
    dims = tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))
    return shape, dims, draw(st.booleans())


@pytest.mark.parametrize("op_name", opdb.reduction_ops())
@PROPERTY_SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_reduction_matches_numpy_and_gradient_keeps_input_shape(
        op_name: str, data: Any, seed: int, backend_name: str) -> None:
    shape, dims, keepdim = data.draw(_reduction_args(opdb.reduction_takes_dims(op_name)))
    opdb.check_reduction(op_name, get_backend(backend_name), shape, dims, keepdim, seed)


def test_property_tests_find_the_core_binary_ops_and_reductions() -> None:
    assert {"add", "sub", "mul", "div", "pow_tensor"} <= set(opdb.binary_elementwise_ops())
    assert {"sum", "sum_dim", "mean", "mean_dim"} <= set(opdb.reduction_ops())


# --- the runner itself -----------------------------------------------------------------------------


def _cube_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    return (g * 3 * x * x,)


def _wrong_cube_vjp(ctx: Any, g: Any) -> tuple:
    (x,) = ctx.inputs
    return (g * 2 * x * x,)


def _cube_samples() -> list[Sample]:
    return [Sample((T((2, 3)),), name="matrix"), Sample((T(()),), name="scalar")]


def _plugin(name: str, op: Op, *, kernel: Any = None, generic: bool = True,
            extra_samples: Any = None) -> types.ModuleType:
    """A plugin module registering ``op`` with an array-API kernel, and optionally a native one and samples."""
    module = types.ModuleType(name)
    module.PLUGRAD_CONTRACT = "1"  # type: ignore[attr-defined]

    def ops_hook(registry: Any) -> None:
        registry.register_op(op)

    def kernels_hook(registry: Any) -> None:
        if generic:
            registry.register_generic_kernel(op.name, lambda xp: lambda x: x * x * x)
        if kernel is not None:
            registry.register_kernel(op.name, "numpy", kernel)

    def samples_hook(registry: Any) -> None:
        if extra_samples is not None:
            registry.register_samples(op.name, extra_samples)

    module.plugrad_register_ops = plugrad.hookimpl(ops_hook)  # type: ignore[attr-defined]
    module.plugrad_register_kernels = plugrad.hookimpl(kernels_hook)  # type: ignore[attr-defined]
    module.plugrad_register_samples = plugrad.hookimpl(samples_hook)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def cube_plugin() -> Any:
    registered = []

    def register(name: str, vjp: Any = _cube_vjp, **kw: Any) -> str:
        op = Op(f"{name}_op", 1, vjp, node="CubeBackward0", saves=((0,),), samples=_cube_samples,
                reference=lambda np, x: x ** 3)
        record = plugrad.register_plugin(_plugin(name, op, **kw))
        assert record.status == "loaded", record.error
        registered.append(name)
        return op.name

    yield register
    for name in registered:
        plugrad.unregister_plugin(name)


def _run(found: list[opdb.OpCase]) -> dict[str, str]:
    failures = {}
    for case in found:
        try:
            case.run()
        except opdb.OpCheckError as exc:
            failures[case.id] = str(exc)
    return failures


def test_plugin_op_gets_every_check_with_readable_ids(cube_plugin: Any) -> None:
    name = cube_plugin("opdb_cubes")
    assert opdb.select_ops(plugin="opdb_cubes") == [name]
    found = opdb.cases("numpy", plugin="opdb_cubes")
    ids = {c.id for c in found}
    assert f"{name}-numpy-float64-matrix-gradcheck" in ids
    assert f"{name}-numpy-float64-scalar-gradgradcheck" in ids
    assert f"{name}-numpy-float32-matrix-forward" in ids
    assert f"{name}-numpy-float32-matrix-dtype" in ids
    assert f"{name}-numpy-float32-matrix-backend" in ids
    assert not any(c.check == "native" for c in found)
    assert _run(found) == {}


def test_a_wrong_vjp_fails_naming_op_backend_dtype_and_sample(cube_plugin: Any) -> None:
    name = cube_plugin("opdb_wrong_cubes", vjp=_wrong_cube_vjp)
    failures = _run(opdb.cases("numpy", ops=[name]))
    # Note: gradgradcheck differentiates the (wrong) rule itself, so only gradcheck can see it is wrong.
    assert set(failures) == {f"{name}-numpy-float64-{s}-gradcheck" for s in ("matrix", "scalar")}
    msg = failures[f"{name}-numpy-float64-matrix-gradcheck"]
    assert msg.startswith(f"op {name!r} on backend 'numpy', float64, sample matrix(T[2, 3]), check gradcheck: "
                          "gradcheck failed: Jacobian mismatch for output 0 with respect to input 0,")


def test_native_kernel_is_compared_with_the_generic_one(cube_plugin: Any) -> None:
    name = cube_plugin("opdb_native_cubes", kernel=lambda x: x * x * x + 1e-3)
    found = opdb.cases("numpy", ops=[name])
    assert {c.dtype for c in found if c.check == "native"} == {"float32", "float64"}
    failures = _run([c for c in found if c.check == "native"])
    assert len(failures) == 4
    assert "the native kernel's output 0 (vs the generic kernel's) differs" in failures[
        f"{name}-numpy-float64-matrix-native"]


def test_plugin_samples_join_the_ops_own(cube_plugin: Any) -> None:
    name = cube_plugin("opdb_more_cubes", extra_samples=lambda: [Sample((T((4,), 0.5, 2.0),), name="positive"),
                                                                 Sample((T((2,)),), name="matrix")])
    assert [sid for sid, _ in opdb.op_samples(name)] == ["matrix", "scalar", "positive", "matrix#2"]


def test_missing_samples_and_references_are_listed() -> None:
    op = Op("opdb_bare", 1, None)
    module = types.ModuleType("opdb_bare_plugin")
    module.PLUGRAD_CONTRACT = "1"  # type: ignore[attr-defined]
    module.plugrad_register_ops = plugrad.hookimpl(lambda registry: registry.register_op(op))  # type: ignore
    plugrad.register_plugin(module)
    try:
        assert "opdb_bare" in opdb.ops_without_samples()
        assert "opdb_bare" in opdb.ops_without_reference()
        assert opdb.cases("numpy", ops=["opdb_bare"]) == []
    finally:
        plugrad.unregister_plugin("opdb_bare_plugin")


def test_a_sample_function_that_raises_becomes_a_failing_case(cube_plugin: Any) -> None:
    def broken() -> list:
        raise KeyError("no such shape")

    name = cube_plugin("opdb_broken_samples", extra_samples=broken)
    found = opdb.cases("numpy", ops=[name])
    assert [c.id for c in found] == [f"{name}-numpy-samples"]
    with pytest.raises(opdb.OpCheckError, match="(?s)listing the op's samples raised:\n.*KeyError: 'no such shape'"):
        found[0].run()


def test_unknown_op_and_plugin_names_are_errors_listing_what_exists() -> None:
    with pytest.raises(ValueError, match=r"unknown op\(s\) \['nope'\]; registered ops: .*\bmul\b"):
        opdb.select_ops(["nope"])
    with pytest.raises(ValueError, match="no plugrad plugin named 'nope' is installed; plugins: .*numpy"):
        opdb.select_ops(plugin="nope")


def test_materialize_is_deterministic_and_makes_attributes_on_the_backend() -> None:
    backend = get_backend("numpy")
    sample = Sample((T((2, 3)), T((3,), dtype="int64", low=0, high=3, grad=False), 2.5),
                    (Mask((2, 3)), A([0, 1]), (A([1]), "keep")), name="mixed")
    m1 = opdb.materialize(sample, backend, "float32", seed=7, requires_grad=True)
    assert opdb.materialize(Sample((T(()),)), backend, "float64", seed=0).args[0].shape == ()
    m2 = opdb.materialize(sample, backend, "float32", seed=7)
    assert m1.args[0].dtype is plugrad.float32 and m1.args[0].requires_grad
    assert m1.args[1].dtype is plugrad.int64 and not m1.args[1].requires_grad
    assert m1.args[2] == 2.5 and not m2.args[0].requires_grad
    assert m1.args[0].tolist() == m2.args[0].tolist()
    assert m1.np_args[0].dtype.name == "float64" and m1.np_args[0].tolist() == m1.args[0].tolist()
    assert m1.attrs[0].dtype.name == "bool" and m1.attrs[0].shape == (2, 3)
    assert m1.attrs[1].tolist() == [0, 1] and m1.attrs[2][1] == "keep"
    assert m1.np_attrs[2][0].tolist() == [1]


def test_where_sample_with_a_mask_runs() -> None:
    failures = _run(opdb.cases("numpy", ops=["where"]))
    assert failures == {}


def test_conformance_kit_runs_as_a_pytest_plugin(tmp_path: Any, backend_name: str) -> None:
    env = dict(os.environ, PYTEST_ADDOPTS="")
    cmd = [sys.executable, "-m", "pytest", "-p", "plugrad.testing.conformance", "--pyargs",
           "plugrad.testing.conformance", f"--plugrad-backend={backend_name}", "--plugrad-ops=mul,sum", "-q",
           "-p", "no:cacheprovider", "-rN"]
    if backend_name == FAKE_CUDA:  # registered by this suite, not installed: the subprocess registers it too
        cmd += ["-p", "_devices"]
        env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.abspath(__file__)), env.get("PYTHONPATH", "")])
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    n = len(opdb.cases(backend_name, ops=["mul", "sum"]))
    assert last.startswith(f"{n + 2} passed"), result.stdout
    listed = subprocess.run(cmd + ["--collect-only"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert f"test_op[mul-{backend_name}-float64-broadcast_rhs-gradcheck]" in listed.stdout


def test_conformance_kit_rejects_an_unknown_backend(tmp_path: Any) -> None:
    cmd = [sys.executable, "-m", "pytest", "-p", "plugrad.testing.conformance", "--pyargs",
           "plugrad.testing.conformance", "--plugrad-backend=no_such_backend", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "unknown backend 'no_such_backend'; known backends: " in result.stdout
