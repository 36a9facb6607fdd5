"""The ``plugrad`` command: ``plugrad info`` (or ``python -m plugrad info``).

Each subcommand is one ``_cmd_<name>(args) -> int`` function plus its parser in
:func:`build_parser`.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any, TextIO


def _cmd_info(args: argparse.Namespace, out: TextIO) -> int:
    """Print the plugins found, their status, and each backend's kernel coverage."""
    from . import plugins

    # Note: broken plugins are reported in the table; their import-time warnings would only repeat it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        data = plugins.report()
    if args.json:
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        out.write(format_info(data))
    return 0


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    """Train the digits classifier of :mod:`plugrad.demo` with the remaining arguments."""
    from .demo import main as demo_main

    return demo_main(args.demo_args)


def _rows(data: dict[str, Any]) -> tuple[list[list[str]], list[str]]:
    rows: list[list[str]] = []
    notes: list[str] = []
    for p in data["plugins"]:
        dist = " ".join(x for x in (p["distribution"], p["version"]) if x) or f"({p['origin']})"
        kinds = ", ".join(p["kinds"]) or "-"
        if p["status"] != "loaded":
            rows.append([p["name"], dist, kinds, p["status"], "-", "-", "-", "-"])
            notes.append(f"{p['name']}: {p['status']}: {p['error']}")
            continue
        for b in p["backends"]:
            label = p["name"] if b["name"] == p["name"] else f"{p['name']} ({b['name']})"
            k = b["kernels"]
            status = "loaded" if b["available"] else "unavailable"
            rows.append([label, dist, kinds, status, b["device"], str(len(k["native"])), str(len(k["generic"])),
                         str(len(k["none"]))])
            if not b["available"]:
                notes.append(f"{label}: unavailable: {b['reason']}")
            if b["info"]:
                notes.append(f"{label}: " + ", ".join(f"{key} {value}" for key, value in b["info"].items()))
            if k["none"]:
                notes.append(f"{label}: no kernel for {len(k['none'])} op(s): {', '.join(k['none'])}")
        if not p["backends"]:
            rows.append([p["name"], dist, kinds, "loaded", "-", "-", "-", "-"])
        if p["ops"]:
            notes.append(f"{p['name']}: {len(p['ops'])} op(s): {', '.join(p['ops'])}")
    return rows, notes


def format_info(data: dict[str, Any]) -> str:
    """The ``plugrad info`` table as text."""
    default = data["default_backend"] or f"none ({data['default_backend_error']})"
    lines = [
        f"plugrad {data['plugrad']}, plugin contract {data['contract']}, default backend: {default}, "
        f"{data['ops']} ops registered",
        "",
    ]
    header = ["PLUGIN", "DISTRIBUTION", "KIND", "STATUS", "DEVICE", "NATIVE", "GENERIC", "NONE"]
    rows, notes = _rows(data)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {5, 6, 7}
    for r in [header, *rows]:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append("NATIVE / GENERIC / NONE: ops whose kernel on that backend is its own, the array-API one, or missing.")
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugrad",
        description="plugrad: define-by-run autograd with PyTorch's tensor API and pluggable backends.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = sub.add_parser("info", help="list installed plugins, their status and each backend's kernels",
                          description=_cmd_info.__doc__)
    info.add_argument("--json", action="store_true", help="print machine-readable JSON")
    info.set_defaults(run=_cmd_info)
    # Note: the demo parses its own options; prefix_chars no option uses makes them all reach demo_args.
    demo = sub.add_parser("demo", add_help=False, prefix_chars="\0",
                          help="train a small classifier on scikit-learn's digits (needs plugrad[examples]; "
                          "`plugrad demo --help` lists its options)")
    demo.add_argument("demo_args", nargs=argparse.REMAINDER)
    demo.set_defaults(run=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``plugrad`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args, out or sys.stdout))
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = None  # type: ignore[assignment]
        return 0


if __name__ == "__main__":
    sys.exit(main())
