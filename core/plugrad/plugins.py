"""Plugin discovery: entry points in the group ``plugrad``, each loaded alone and isolated.

Discovery is lazy (the first time a backend or op is needed) and cached. A
plugin that fails to import, declares another contract version, raises in a
hook or registers a clashing name is reported with a ``RuntimeWarning`` naming
it, its distribution and the error, and skipped; its registrations are staged
and only committed when all of its hooks succeeded, so nothing is left
half-registered. The built-in backends join through the same group; when
plugrad runs from a source checkout without installed metadata, they are found
by module name.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

import pluggy

from . import hookspecs

BUILTIN_MODULES = {"numpy": "plugrad_numpy", "numba": "plugrad_numba", "cupy": "plugrad_cupy"}
HOOKS = (
    "plugrad_register_backends",
    "plugrad_register_ops",
    "plugrad_register_kernels",
    "plugrad_register_samples",
    "plugrad_add_namespaces",
)


@dataclass
class PluginRecord:
    """What ``plugrad info`` shows about one plugin."""

    name: str
    distribution: str = ""
    version: str = ""
    builtin: bool = False
    status: str = "loaded"  # loaded | failed | disabled
    error: str = ""
    kinds: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    module: Any = None


class Registry:
    """The object handed to every hook. Registrations are staged, then committed when the plugin's hooks succeed."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._actions: list[tuple[str, tuple, dict]] = []

    def register_backend(self, backend: Any) -> None:
        from .backend import Backend

        if not isinstance(backend, Backend):
            raise TypeError(f"register_backend expects a plugrad.backend.Backend, got {type(backend).__name__}")
        self._actions.append(("backend", (backend,), {}))

    def register_op(self, op: Any, *, override: bool = False) -> None:
        op.owner = self.owner
        self._actions.append(("op", (op,), {"override": override}))

    def register_kernel(self, op_name: str, backend_name: str, fn: Callable[..., Any], *, override: bool = False) -> None:
        self._actions.append(("kernel", (op_name, backend_name, fn), {"override": override}))

    def register_generic_kernel(self, op_name: str, factory: Callable[[Any], Callable[..., Any]], *, override: bool = False) -> None:
        self._actions.append(("generic", (op_name, factory), {"override": override}))

    def register_samples(self, op_name: str, fn: Callable[..., Any]) -> None:
        self._actions.append(("samples", (op_name, fn), {}))

    def add_namespace(self, name: str, module: Any) -> None:
        self._actions.append(("namespace", (name, module), {}))

    # Validate everything first so a clash leaves the tables untouched.
    def commit(self, record: PluginRecord) -> None:
        from .ops import registry as reg

        staged_ops = {a[1][0].name for a in self._actions if a[0] == "op"}
        for kind, args, kw in self._actions:
            if kind == "op" and not kw["override"] and args[0].name in reg.OPS:
                prev = reg.OPS[args[0].name]
                raise reg.RegistrationError(
                    f"op {args[0].name!r} is registered twice: by {prev.owner!r} and by {self.owner!r}; "
                    "pass override=True to replace it on purpose"
                )
            if kind == "kernel" and not kw["override"] and (args[0], args[1]) in reg.NATIVE_KERNELS:
                prev_owner = reg.NATIVE_KERNELS[(args[0], args[1])][1]
                raise reg.RegistrationError(
                    f"kernel for op {args[0]!r} on backend {args[1]!r} is registered twice: by {prev_owner!r} "
                    f"and by {self.owner!r}; pass override=True to replace it on purpose"
                )
            if kind == "generic" and not kw["override"] and args[0] in reg.GENERIC_KERNELS:
                prev_owner = reg.GENERIC_KERNELS[args[0]][1]
                raise reg.RegistrationError(
                    f"generic kernel for op {args[0]!r} is registered twice: by {prev_owner!r} and by "
                    f"{self.owner!r}; pass override=True to replace it on purpose"
                )
            if kind in ("kernel", "generic", "samples") and args[0] not in reg.OPS and args[0] not in staged_ops:
                raise reg.RegistrationError(f"{self.owner!r} registers a {kind} for unknown op {args[0]!r}")
        from . import backend as _backend

        for kind, args, kw in self._actions:
            if kind == "backend":
                args[0].plugin_name = self.owner
                _backend.register(args[0])
                record.backends.append(args[0].name)
                _add_kind(record, "backend")
            elif kind == "op":
                reg.register_op(args[0], override=kw["override"])
                record.ops.append(args[0].name)
                _add_kind(record, "ops")
            elif kind == "kernel":
                reg.register_kernel(*args, owner=self.owner, override=kw["override"])
            elif kind == "generic":
                reg.register_generic_kernel(*args, owner=self.owner, override=kw["override"])
            elif kind == "samples":
                reg.SAMPLES.setdefault(args[0], []).append(args[1])
            elif kind == "namespace":
                NAMESPACES[args[0]] = args[1]
        _COMMITTED.setdefault(self.owner, []).extend(self._actions)


def _add_kind(record: PluginRecord, kind: str) -> None:
    if kind not in record.kinds:
        record.kinds.append(kind)


NAMESPACES: dict[str, Any] = {}
_COMMITTED: dict[str, list] = {}
_records: dict[str, PluginRecord] = {}
_manual: list[tuple[str, Any]] = []
_lock = threading.RLock()
_loaded = [False]


def ensure_loaded() -> None:
    """Discover and load plugins once; later calls cost one list lookup."""
    if not _loaded[0]:
        with _lock:
            if not _loaded[0]:
                _loaded[0] = True
                _load_all()


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _discover() -> list[tuple[str, Callable[[], Any], str, str, bool]]:
    """(name, loader, distribution, version, builtin) for every plugin to load, built-ins first."""
    found: dict[str, tuple[str, Callable[[], Any], str, str, bool]] = {}
    try:
        eps = metadata.entry_points(group="plugrad")
    except Exception as exc:  # noqa: BLE001 - broken metadata must not break import
        warnings.warn(f"plugrad could not read entry points: {exc}", RuntimeWarning, stacklevel=3)
        eps = ()  # type: ignore[assignment]
    for ep in eps:
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else ""
        version = dist.version if dist is not None else ""
        builtin = ep.name in BUILTIN_MODULES and ep.value.split(":")[0] == BUILTIN_MODULES[ep.name]
        if ep.name not in found:
            found[ep.name] = (ep.name, ep.load, dist_name, version, builtin)
    for name, module in BUILTIN_MODULES.items():
        if name not in found:
            found[name] = (name, lambda m=module: importlib.import_module(m), "plugrad", _own_version(), True)
    disable = _truthy("PLUGRAD_DISABLE_PLUGIN_AUTOLOAD")
    allow = {p.strip() for p in os.environ.get("PLUGRAD_PLUGINS", "").split(",") if p.strip()}
    result = []
    for name, entry in sorted(found.items(), key=lambda kv: (not kv[1][4], kv[0])):
        builtin = entry[4]
        if not builtin and (disable or (allow and name not in allow)):
            why = "PLUGRAD_DISABLE_PLUGIN_AUTOLOAD is set" if disable else "not in PLUGRAD_PLUGINS"
            _records[name] = PluginRecord(name, entry[2], entry[3], builtin, "disabled", why)
            continue
        result.append(entry)
    return result


def _own_version() -> str:
    from . import __version__

    return __version__


def _load_all() -> None:
    for name, loader, dist, version, builtin in _discover():
        record = PluginRecord(name, dist, version, builtin)
        _records[name] = record
        try:
            module = loader()
        except ModuleNotFoundError as exc:
            if builtin and exc.name == BUILTIN_MODULES.get(name):
                # A built-in backend package that is not on the path: simply absent.
                del _records[name]
                continue
            _fail(record, f"import failed: {type(exc).__name__}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            _fail(record, f"import failed: {type(exc).__name__}: {exc}")
            continue
        _register_module(record, module)
    for name, obj in list(_manual):
        if name not in _records or _records[name].status != "loaded":
            record = PluginRecord(name, "(registered by hand)", "")
            _records[name] = record
            _register_module(record, obj)


def _check_contract(record: PluginRecord, module: Any) -> bool:
    declared = getattr(module, "PLUGRAD_CONTRACT", None)
    if declared is None:
        _fail(record, f"declares no PLUGRAD_CONTRACT; plugrad implements contract {hookspecs.CONTRACT_VERSION}, "
                      f"so set PLUGRAD_CONTRACT = {hookspecs.CONTRACT_VERSION!r} in the plugin module")
        return False
    if str(declared).split(".")[0] != hookspecs.CONTRACT_VERSION.split(".")[0]:
        _fail(record, f"built for plugin contract {declared}, but this plugrad implements contract "
                      f"{hookspecs.CONTRACT_VERSION}; install a version of the plugin made for it")
        return False
    return True


def _register_module(record: PluginRecord, module: Any) -> None:
    record.module = module
    if not _check_contract(record, module):
        return
    pm = pluggy.PluginManager("plugrad")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(module, name=record.name)
        pm.check_pending()
    except Exception as exc:  # noqa: BLE001
        _fail(record, f"invalid hooks: {type(exc).__name__}: {exc}")
        return
    registry = Registry(record.name)
    for hook_name in HOOKS:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            try:
                impl.function(registry=registry)
            except Exception as exc:  # noqa: BLE001
                _fail(record, f"hook {hook_name} raised {type(exc).__name__}: {exc}")
                return
    try:
        registry.commit(record)
    except Exception as exc:  # noqa: BLE001
        _fail(record, f"{type(exc).__name__}: {exc}")
        return


def _fail(record: PluginRecord, error: str) -> None:
    record.status = "failed"
    record.error = error
    dist = f" (distribution {record.distribution} {record.version})" if record.distribution else ""
    warnings.warn(f"plugrad plugin {record.name!r}{dist} was skipped: {error}", RuntimeWarning, stacklevel=4)


def register_plugin(plugin: Any, name: str | None = None) -> PluginRecord:
    """Register a plugin module or object by hand (tests, notebooks) and load it now."""
    ensure_loaded()
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    with _lock:
        record = PluginRecord(name, "(registered by hand)", "")
        _records[name] = record
        _manual.append((name, plugin))
        _register_module(record, plugin)
    return record


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered by hand and everything it registered."""
    with _lock:
        _manual[:] = [(n, p) for n, p in _manual if n != name]
        _remove_owner(name)
        _records.pop(name, None)


def _remove_owner(owner: str) -> None:
    from . import backend as _backend
    from .ops import registry as reg

    for kind, args, _kw in _COMMITTED.pop(owner, []):
        if kind == "backend":
            _backend._backends.pop(args[0].name, None)
            if _backend._default[0] is args[0]:
                _backend._default[0] = None
        elif kind == "op":
            if reg.OPS.get(args[0].name) is args[0]:
                del reg.OPS[args[0].name]
                from .ops import _restore_builtin

                _restore_builtin(args[0].name)
        elif kind == "kernel":
            if reg.NATIVE_KERNELS.get((args[0], args[1]), (None, None))[1] == owner:
                del reg.NATIVE_KERNELS[(args[0], args[1])]
                reg._invalidate(args[0])
        elif kind == "generic":
            if reg.GENERIC_KERNELS.get(args[0], (None, None))[1] == owner:
                del reg.GENERIC_KERNELS[args[0]]
                reg._invalidate(args[0])
        elif kind == "samples":
            fns = reg.SAMPLES.get(args[0], [])
            if args[1] in fns:
                fns.remove(args[1])
        elif kind == "namespace":
            NAMESPACES.pop(args[0], None)


def refresh_plugins() -> None:
    """Forget every loaded plugin and rescan the entry points (after a ``pip install`` in a session)."""
    from . import backend as _backend

    with _lock:
        default = _backend._default[0].name if _backend._default[0] is not None else None
        for owner in list(_COMMITTED):
            _remove_owner(owner)
        _records.clear()
        _loaded[0] = False
        ensure_loaded()
        if default is not None and default in _backend._backends:
            _backend._default[0] = _backend._backends[default]


def records() -> list[PluginRecord]:
    ensure_loaded()
    return list(_records.values())


def failure_for(name: str) -> str:
    for r in _records.values():
        if r.status == "failed" and (r.name == name or name in r.backends):
            return r.error
    return ""


def summary() -> str:
    return ", ".join(f"{r.name} ({r.status})" for r in _records.values()) or "none"
