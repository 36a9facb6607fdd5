"""Plugin discovery: entry points in the group ``plugrad``, each loaded alone and isolated.

Discovery is lazy (the first time a backend or op is needed) and cached. A
plugin that fails to import, declares another contract version, raises in a
hook or registers a clashing name is reported with a ``RuntimeWarning`` naming
it, its distribution and the error, and skipped. Its registrations are staged
and committed only when all of its hooks succeeded; a commit that fails half
way is undone, so nothing is left half-registered. The built-in backends join
through the same group; when plugrad runs from a source checkout without
installed metadata, they are found by module name.

Two environment variables control autoloading of third-party plugins (the
built-in backends always load): ``PLUGRAD_DISABLE_PLUGIN_AUTOLOAD=1`` loads none,
and ``PLUGRAD_PLUGINS=name1,name2`` loads only the ones named (it also names the
ones to load despite ``PLUGRAD_DISABLE_PLUGIN_AUTOLOAD``).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from types import FrameType
from typing import Any

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
CORE_OWNER = "plugrad"  # the owner of everything core/ registers itself


@dataclass
class PluginRecord:
    """What ``plugrad info`` shows about one plugin.

    ``origin`` is ``"built-in"``, ``"entry point"`` or ``"by hand"`` (:func:`register_plugin`);
    ``status`` is ``"loaded"``, ``"failed"`` (``error`` says why) or ``"disabled"`` (``error`` says by what).
    """

    name: str
    distribution: str = ""
    version: str = ""
    origin: str = "entry point"
    status: str = "loaded"
    error: str = ""
    kinds: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    module: Any = None

    @property
    def builtin(self) -> bool:
        return self.origin == "built-in"

    def describe(self) -> str:
        """``'name'`` plus the distribution it came from, for messages."""
        if self.distribution:
            version = f" {self.version}" if self.version else ""
            return f"{self.name!r} (distribution {self.distribution}{version})"
        return f"{self.name!r} ({self.origin})" if self.origin != "entry point" else repr(self.name)


class Registry:
    """The object handed to every hook.

    Each ``register_*`` call is staged; :meth:`commit` checks all of them against the
    tables first and applies them only when none clashes, so a failing plugin leaves
    the tables as they were.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._actions: list[tuple[str, tuple, bool]] = []

    def register_backend(self, backend: Any, *, override: bool = False) -> None:
        """Add a :class:`plugrad.backend.Backend` instance; its ``name`` must be new unless ``override``."""
        from .backend import Backend

        if not isinstance(backend, Backend):
            raise TypeError(
                f"register_backend expects a plugrad.backend.Backend instance, got {type(backend).__name__}"
            )
        if not backend.name:
            raise ValueError(f"the backend class {type(backend).__name__} has an empty `name`; give it one")
        self._actions.append(("backend", (backend,), override))

    def register_op(self, op: Any, *, override: bool = False) -> None:
        """Add an :class:`plugrad.ops.registry.Op`; its name must be new unless ``override``."""
        from .ops.registry import Op

        if not isinstance(op, Op):
            raise TypeError(f"register_op expects a plugrad.ops.registry.Op, got {type(op).__name__}")
        self._actions.append(("op", (op,), override))

    def register_kernel(self, op_name: str, backend_name: str, fn: Callable[..., Any], *,
                        override: bool = False) -> None:
        """A kernel of ``op_name`` for one backend: takes and returns that backend's arrays."""
        self._actions.append(("kernel", (op_name, backend_name, fn), override))

    def register_generic_kernel(self, op_name: str, factory: Callable[[Any], Callable[..., Any]], *,
                                override: bool = False) -> None:
        """A kernel of ``op_name`` for every backend: ``factory(xp)`` returns it for array namespace ``xp``."""
        self._actions.append(("generic", (op_name, factory), override))

    def register_samples(self, op_name: str, fn: Callable[[], Any]) -> None:
        """More op-database samples for ``op_name``: ``fn()`` returns an iterable of ``Sample``."""
        self._actions.append(("samples", (op_name, fn), False))

    def add_namespace(self, name: str, module: Any, *, override: bool = False) -> None:
        """Make ``plugrad.<name>`` resolve to ``module`` (user-facing functions of an op plugin)."""
        if not name.isidentifier():
            raise ValueError(f"namespace name {name!r} is not a Python identifier")
        self._actions.append(("namespace", (name, module), override))

    # --- commit -----------------------------------------------------------------------------
    def _validate(self) -> None:
        from . import backend as _backend
        from .ops import registry as reg

        staged: dict[str, set] = {"backend": set(), "op": set(), "kernel": set(), "generic": set(), "namespace": set()}
        me = self.owner

        def twice(what: str, prev_owner: str) -> None:
            raise reg.RegistrationError(
                f"{what} is registered twice: by {prev_owner!r} and by {me!r}; "
                "pass override=True to replace it on purpose"
            )

        for kind, args, override in self._actions:
            if kind == "backend":
                name = args[0].name
                if name in staged["backend"]:
                    raise reg.RegistrationError(f"{me!r} registers backend {name!r} twice")
                prev_backend = _backend._backends.get(name)
                if prev_backend is not None and not override:
                    twice(f"backend {name!r}", prev_backend.plugin_name or CORE_OWNER)
                staged["backend"].add(name)
            elif kind == "op":
                name = args[0].name
                if name in staged["op"]:
                    raise reg.RegistrationError(f"{me!r} registers op {name!r} twice")
                prev_op = reg.OPS.get(name)
                if prev_op is not None and not override:
                    twice(f"op {name!r}", prev_op.owner)
                staged["op"].add(name)
            elif kind in ("kernel", "generic"):
                key = (args[0], args[1]) if kind == "kernel" else args[0]
                what = (f"kernel for op {args[0]!r} on backend {args[1]!r}" if kind == "kernel"
                        else f"generic kernel for op {args[0]!r}")
                if key in staged[kind]:
                    raise reg.RegistrationError(f"{me!r} registers the {what} twice")
                table: dict[Any, tuple[Any, str]] = reg.NATIVE_KERNELS if kind == "kernel" else reg.GENERIC_KERNELS
                if key in table and not override:
                    twice(f"the {what}", table[key][1])
                staged[kind].add(key)
            elif kind == "namespace":
                name = args[0]
                if name in staged["namespace"]:
                    raise reg.RegistrationError(f"{me!r} adds namespace plugrad.{name} twice")
                import plugrad

                if name in vars(plugrad):
                    raise reg.RegistrationError(
                        f"{me!r} adds namespace plugrad.{name}, which would be hidden by plugrad's own "
                        f"attribute {name!r}; choose another name"
                    )
                if name in NAMESPACES and not override:
                    twice(f"namespace plugrad.{name}", _NAMESPACE_OWNERS.get(name, CORE_OWNER))
                staged["namespace"].add(name)
            if kind in ("kernel", "generic", "samples") and args[0] not in reg.OPS and args[0] not in staged["op"]:
                what = {"kernel": "a kernel", "generic": "a generic kernel", "samples": "samples"}[kind]
                raise reg.RegistrationError(
                    f"{me!r} registers {what} for unknown op {args[0]!r}; register the op first (register_op) "
                    f"or check its name"
                )

    def commit(self, record: PluginRecord) -> None:
        """Apply the staged registrations, all or none."""
        self._validate()
        undo: list[Callable[[], None]] = []
        try:
            for kind, args, override in self._actions:
                undo.append(_APPLY[kind](self.owner, record, args, override))
        except BaseException:
            for fn in reversed(undo):
                fn()
            record.backends.clear()
            record.ops.clear()
            raise
        _COMMITTED.setdefault(self.owner, []).extend(undo)


def _alive(owner: str) -> bool:
    return owner == CORE_OWNER or owner in _COMMITTED or owner in _committing


def _apply_backend(owner: str, record: PluginRecord, args: tuple, override: bool) -> Callable[[], None]:
    from . import backend as _backend

    backend: Any = args[0]
    retired = _retired_backends.get(backend.name)
    if retired is not None and type(retired) is type(backend):
        backend = retired  # Note: a refresh keeps backend objects, so existing tensors stay on a known backend
    backend.plugin_name = owner
    prev = _backend._backends.get(backend.name)
    _backend.register(backend)
    record.backends.append(backend.name)
    _add_kind(record, "backend")

    name = backend.name

    def undo() -> None:
        if _backend._backends.get(name) is backend:
            if prev is not None and _alive(prev.plugin_name or CORE_OWNER):
                _backend._backends[name] = prev
            else:
                del _backend._backends[name]
            if _backend._default[0] is backend:
                _backend._default[0] = None

    return undo


def _apply_op(owner: str, record: PluginRecord, args: tuple, override: bool) -> Callable[[], None]:
    from .ops import registry as reg

    op: Any = args[0]
    op.owner = owner
    prev = reg.OPS.get(op.name)
    reg.register_op(op, override=override)
    record.ops.append(op.name)
    _add_kind(record, "ops")

    name = op.name

    def undo() -> None:
        if reg.OPS.get(name) is op:
            if prev is not None and _alive(prev.owner):
                reg.OPS[name] = prev
                prev._cache.clear()
            else:
                del reg.OPS[name]

    return undo


def _apply_table(table: dict, key: Any, value: tuple, owner: str, register: Callable[[], None],
                 op_name: str) -> Callable[[], None]:
    from .ops import registry as reg

    prev = table.get(key)
    register()

    def undo() -> None:
        if table.get(key) is not None and table[key][0] is value[0] and table[key][1] == owner:
            if prev is not None and _alive(prev[1]):
                table[key] = prev
            else:
                del table[key]
            reg._invalidate(op_name)

    return undo


def _apply_kernel(owner: str, record: PluginRecord, args: tuple, override: bool) -> Callable[[], None]:
    from .ops import registry as reg

    op_name, backend_name, fn = args
    _add_kind(record, "kernels")
    return _apply_table(
        reg.NATIVE_KERNELS, (op_name, backend_name), (fn, owner), owner,
        lambda: reg.register_kernel(op_name, backend_name, fn, owner=owner, override=override), op_name,
    )


def _apply_generic(owner: str, record: PluginRecord, args: tuple, override: bool) -> Callable[[], None]:
    from .ops import registry as reg

    op_name, factory = args
    _add_kind(record, "kernels")
    return _apply_table(
        reg.GENERIC_KERNELS, op_name, (factory, owner), owner,
        lambda: reg.register_generic_kernel(op_name, factory, owner=owner, override=override), op_name,
    )


def _apply_samples(owner: str, record: PluginRecord, args: tuple, override: bool) -> Callable[[], None]:
    from .ops import registry as reg

    op_name, fn = args
    reg.SAMPLES.setdefault(op_name, []).append(fn)

    def undo() -> None:
        fns = reg.SAMPLES.get(op_name, [])
        if fn in fns:
            fns.remove(fn)
        if not fns:
            reg.SAMPLES.pop(op_name, None)

    return undo


def _apply_namespace(owner: str, record: PluginRecord, args: tuple, override: bool) -> Callable[[], None]:
    name, module = args
    prev = NAMESPACES.get(name)
    prev_owner = _NAMESPACE_OWNERS.get(name)
    NAMESPACES[name] = module
    _NAMESPACE_OWNERS[name] = owner

    def undo() -> None:
        if NAMESPACES.get(name) is module:
            if prev is not None and prev_owner is not None and _alive(prev_owner):
                NAMESPACES[name] = prev
                _NAMESPACE_OWNERS[name] = prev_owner
            else:
                NAMESPACES.pop(name, None)
                _NAMESPACE_OWNERS.pop(name, None)

    return undo


_APPLY: dict[str, Callable[[str, PluginRecord, tuple, bool], Callable[[], None]]] = {
    "backend": _apply_backend,
    "op": _apply_op,
    "kernel": _apply_kernel,
    "generic": _apply_generic,
    "samples": _apply_samples,
    "namespace": _apply_namespace,
}


def _add_kind(record: PluginRecord, kind: str) -> None:
    if kind not in record.kinds:
        record.kinds.append(kind)


NAMESPACES: dict[str, Any] = {}
_NAMESPACE_OWNERS: dict[str, str] = {}
_COMMITTED: dict[str, list[Callable[[], None]]] = {}  # owner -> undo functions, in the order applied
_committing: set[str] = set()
_records: dict[str, PluginRecord] = {}
_manual: dict[str, Any] = {}  # plugins registered by hand, kept across refresh_plugins()
_retired_backends: dict[str, Any] = {}
_lock = threading.RLock()
_loaded = [False]
_loading = [False]


def ensure_loaded() -> None:
    """Discover and load plugins once; later calls cost one list lookup.

    Other threads wait until loading is done; a plugin that calls back into plugrad while it
    loads sees the tables as they are so far.
    """
    if not _loaded[0]:
        with _lock:
            if not _loaded[0] and not _loading[0]:
                _loading[0] = True
                try:
                    _load_all()
                finally:
                    _loading[0] = False
                    _loaded[0] = True


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


@dataclass
class _Candidate:
    name: str
    load: Callable[[], Any]
    distribution: str
    version: str
    origin: str


def _discover() -> list[_Candidate]:
    """Every plugin to load, built-ins first; disabled and duplicate ones get a record and are left out."""
    found: dict[str, _Candidate] = {}
    duplicates: list[tuple[_Candidate, _Candidate]] = []
    try:
        eps = list(metadata.entry_points(group="plugrad"))
    except Exception as exc:  # noqa: BLE001 - broken metadata must not break import
        warnings.warn(f"plugrad could not read the installed entry points: {type(exc).__name__}: {exc}",
                      RuntimeWarning, stacklevel=4)
        eps = []
    for ep in eps:
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else ""
        version = dist.version if dist is not None else ""
        builtin = ep.name in BUILTIN_MODULES and ep.value.split(":")[0] == BUILTIN_MODULES[ep.name]
        cand = _Candidate(ep.name, ep.load, dist_name, version, "built-in" if builtin else "entry point")
        if ep.name in found:
            duplicates.append((found[ep.name], cand))
        else:
            found[ep.name] = cand
    for name, module in BUILTIN_MODULES.items():
        if name not in found:
            found[name] = _Candidate(name, functools.partial(importlib.import_module, module), CORE_OWNER,
                                     _own_version(), "built-in")
    disable = _truthy("PLUGRAD_DISABLE_PLUGIN_AUTOLOAD")
    allow = {p.strip() for p in os.environ.get("PLUGRAD_PLUGINS", "").split(",") if p.strip()}
    result = []
    for cand in sorted(found.values(), key=lambda c: (c.origin != "built-in", c.name)):
        if cand.origin != "built-in" and (allow or disable) and cand.name not in allow:
            why = "not named in PLUGRAD_PLUGINS" if allow else "PLUGRAD_DISABLE_PLUGIN_AUTOLOAD is set"
            _records[cand.name] = PluginRecord(cand.name, cand.distribution, cand.version, cand.origin, "disabled", why)
            continue
        result.append(cand)
    for first, second in duplicates:
        if _records.get(first.name, PluginRecord("")).status == "disabled":
            continue
        _fail(PluginRecord(second.name, second.distribution, second.version, second.origin),
              f"entry point name {second.name!r} is already taken by distribution {first.distribution}; "
              f"uninstall one of them or rename the entry point", keep=False)
    missing = sorted(allow - set(found))
    if missing:
        warnings.warn(
            f"PLUGRAD_PLUGINS names {', '.join(map(repr, missing))}, which no installed distribution provides; "
            f"installed plugins: {', '.join(sorted(found))}",
            RuntimeWarning, stacklevel=4,
        )
    return result


def _own_version() -> str:
    from . import __version__

    return __version__


def _load_all() -> None:
    for cand in _discover():
        record = PluginRecord(cand.name, cand.distribution, cand.version, cand.origin)
        _records[cand.name] = record
        try:
            module = cand.load()
        except ModuleNotFoundError as exc:
            if cand.origin == "built-in" and exc.name == BUILTIN_MODULES.get(cand.name):
                del _records[cand.name]  # a built-in backend package that is not installed: simply absent
                continue
            _fail(record, f"import failed: {type(exc).__name__}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            _fail(record, f"import failed: {type(exc).__name__}: {exc}")
            continue
        _register_module(record, module)
    for name, plugin in _manual.items():
        current = _records.get(name)
        if current is not None and current.status == "loaded":
            _fail(PluginRecord(name, origin="by hand"),
                  f"an installed plugin {current.describe()} has the same name; unregister_plugin({name!r}) "
                  f"and register it under another name", keep=False)
            continue
        record = _records[name] = PluginRecord(name, origin="by hand")
        _register_module(record, plugin)
    _retired_backends.clear()


def _check_contract(record: PluginRecord, module: Any) -> bool:
    declared = getattr(module, "PLUGRAD_CONTRACT", None)
    ours = hookspecs.CONTRACT_VERSION
    if declared is None:
        _fail(record, f"declares no PLUGRAD_CONTRACT; this plugrad implements plugin contract {ours}, so a plugin "
                      f"written for it sets PLUGRAD_CONTRACT = {ours!r} in its module")
        return False
    if str(declared).split(".")[0] != ours.split(".")[0]:
        _fail(record, f"was built for plugin contract {declared}, but this plugrad implements contract {ours}; "
                      f"install a version of the plugin made for contract {ours}")
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
                impl.function(*[registry for _ in impl.argnames])
            except Exception as exc:  # noqa: BLE001
                _fail(record, f"hook {hook_name} raised {type(exc).__name__}: {exc}")
                return
    _committing.add(record.name)
    try:
        registry.commit(record)
    except Exception as exc:  # noqa: BLE001
        _fail(record, f"{type(exc).__name__}: {exc}")
    finally:
        _committing.discard(record.name)


def _fail(rec: PluginRecord, error: str, *, keep: bool = True) -> None:
    """Mark ``rec`` failed and warn. ``keep=False``: a second plugin of a taken name, listed beside the first."""
    rec.status = "failed"
    rec.error = error
    if keep:
        _records[rec.name] = rec
    else:
        _records[f"{rec.name} [{rec.distribution or rec.origin}]"] = rec
    warnings.warn(f"plugrad plugin {rec.describe()} was skipped: {error}", RuntimeWarning, stacklevel=_outside_level())


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _outside_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside plugrad."""
    frame: FrameType | None = sys._getframe(2)  # the caller of the function that warns, which is stacklevel 2
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


# --- public API -------------------------------------------------------------------------------


def register_plugin(plugin: Any, name: str | None = None) -> PluginRecord:
    """Register a plugin module or object by hand (tests, notebooks) and load it now.

    It goes through the same checks as an installed plugin: a failure is reported with a
    ``RuntimeWarning`` and leaves nothing registered; the returned record says what happened.
    It stays registered across :func:`refresh_plugins` until :func:`unregister_plugin`.
    """
    ensure_loaded()
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    with _lock:
        current = _records.get(name)
        if current is not None and current.status == "loaded":
            raise ValueError(
                f"a plugin named {name!r} is already loaded ({current.origin}); "
                f"call plugrad.unregister_plugin({name!r}) first, or pass another name"
            )
        _manual[name] = plugin
        record = _records[name] = PluginRecord(name, origin="by hand")
        _register_module(record, plugin)
    return record


def unregister_plugin(name: str) -> None:
    """Remove a plugin and everything it registered (what it replaced with ``override=True`` comes back)."""
    with _lock:
        if name not in _records and name not in _manual and name not in _COMMITTED:
            raise ValueError(f"no plugin named {name!r} is registered; registered: {summary()}")
        _manual.pop(name, None)
        _remove_owner(name)
        _records.pop(name, None)


def _remove_owner(owner: str) -> None:
    for undo in reversed(_COMMITTED.pop(owner, [])):
        undo()


def refresh_plugins() -> None:
    """Forget every loaded plugin and rescan the entry points (after a ``pip install`` in a session).

    Plugins registered by hand are registered again; backends that come back keep their
    identity, so tensors made before the refresh stay usable.
    """
    from . import backend as _backend

    with _lock:
        default = _backend._default[0]
        _retired_backends.update(_backend._backends)
        for owner in reversed(list(_COMMITTED)):
            _remove_owner(owner)
        _records.clear()
        _loaded[0] = False
        ensure_loaded()
        if default is not None and _backend._backends.get(default.name) is default:
            _backend._default[0] = default


def records() -> list[PluginRecord]:
    """Every plugin found, loaded or not: built-ins first, then by name."""
    ensure_loaded()
    return sorted(_records.values(), key=lambda r: (not r.builtin, r.name))


def failure_for(name: str) -> str:
    """Why the plugin (or the plugin of the backend) called ``name`` failed to load, or ``""``."""
    for r in _records.values():
        if r.status == "failed" and (r.name == name or name in r.backends):
            return f"plugin {r.describe()}: {r.error}"
    return ""


def summary() -> str:
    """One line naming each plugin and its status, for error messages."""
    return ", ".join(f"{r.name} ({r.status})" for r in _records.values()) or "none"


def iter_loaded() -> Iterator[PluginRecord]:
    ensure_loaded()
    return (r for r in list(_records.values()) if r.status == "loaded")


def report() -> dict[str, Any]:
    """Everything ``plugrad info`` shows, as plain data (what ``plugrad info --json`` prints).

    For each backend: whether it is available here, its device, and for every registered op
    whether its kernel is the backend's own (``native``), the array-API one over the backend's
    namespace (``generic``), or missing (``none``). Never raises for a broken plugin or backend.
    """
    from . import __version__
    from . import backend as _backend
    from .ops import registry as reg

    ensure_loaded()
    try:
        default: str | None = _backend.default_backend_obj().name
        default_error = ""
    except Exception as exc:  # noqa: BLE001 - info must work whatever the environment says
        default, default_error = None, str(exc)
    op_names = sorted(reg.OPS)
    plugins_out = []
    for r in records():
        backends_out = []
        for bname in r.backends:
            b = _backend._backends.get(bname)
            if b is not None:
                backends_out.append(_backend_report(b, op_names, reg.kernel_source))
        plugins_out.append({
            "name": r.name,
            "distribution": r.distribution,
            "version": r.version,
            "origin": r.origin,
            "kinds": list(r.kinds),
            "status": r.status,
            "error": r.error,
            "backends": backends_out,
            "ops": list(r.ops),
        })
    return {
        "plugrad": __version__,
        "contract": hookspecs.CONTRACT_VERSION,
        "default_backend": default,
        "default_backend_error": default_error,
        "ops": len(op_names),
        "plugins": plugins_out,
    }


def _backend_report(b: Any, op_names: list[str], kernel_source: Callable[[str, Any], str]) -> dict[str, Any]:
    try:
        ok, reason = b.available()
    except Exception as exc:  # noqa: BLE001
        ok, reason = False, f"{type(exc).__name__}: {exc}"
    kernels: dict[str, list[str]] = {"native": [], "generic": [], "none": []}
    for name in op_names:
        kernels[kernel_source(name, b)].append(name)
    facts: dict[str, Any] = {}
    if ok:
        try:
            facts = {str(k): v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
                     for k, v in dict(b.info()).items()}
        except Exception as exc:  # noqa: BLE001
            facts = {"info() failed": f"{type(exc).__name__}: {exc}"}
    return {
        "name": b.name,
        "device": b.device_type,
        "available": ok,
        "reason": reason,
        "extra": b.extra,
        "kernels": kernels,
        "info": facts,
    }
