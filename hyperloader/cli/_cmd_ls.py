"""``hyperloader ls [DATASET]``: list datasets, or one dataset's versions as a tree."""

from __future__ import annotations

import argparse
from typing import Any

from hyperloader.cli._common import print_json

__all__ = ["register", "run"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``ls`` command."""
    p = sub.add_parser("ls", parents=parents, help="list datasets, or a dataset's versions",
                       description="Without DATASET, list the store's datasets. With it, show "
                                   "its versions as a tree (children under their parent) with "
                                   "status and frame counts.")
    p.add_argument("dataset", nargs="?", metavar="DATASET")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List datasets or versions."""
    from hyperloader.store import Dataset

    if args.dataset:
        return _versions(Dataset.get(args.dataset), args.json)
    rows = []
    for ds in Dataset.list():
        versions = ds.get_versions()
        current = ds.get_current() if versions else None
        rows.append({"name": ds.name, "id": ds.id, "versions": len(versions),
                     "current": current.name if current else None,
                     "frames": len(current) if current else 0,
                     "created": ds.created.strftime("%Y-%m-%d %H:%M")})
    if args.json:
        print_json(rows)
    elif not rows:
        print("no datasets")
    else:
        _table(rows, ("name", "versions", "current", "frames", "created"))
    return 0


def _table(rows: list[dict[str, Any]], cols: tuple[str, ...]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip())


def _versions(dataset: Any, as_json: bool) -> int:
    versions = dataset.get_versions()
    current = dataset.get_current().id if versions else None
    by_id = {v.id: v for v in versions}
    info = [{"name": v.name, "id": v.id, "status": str(v.status), "frames": len(v),
             "parent": by_id[v.parent].name if v.parent in by_id else None,
             "current": v.id == current, "created": v.created.strftime("%Y-%m-%d %H:%M")}
            for v in versions]
    if as_json:
        print_json({"dataset": dataset.name, "id": dataset.id, "versions": info})
        return 0
    print(f"{dataset.name}  ({len(versions)} versions, id {dataset.id})")
    children: dict[str | None, list[int]] = {}
    for i, v in enumerate(versions):
        children.setdefault(v.parent if v.parent in by_id else None, []).append(i)
    lines: list[tuple[str, dict[str, Any]]] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = children.get(parent, [])
        for k, i in enumerate(kids):
            last = k == len(kids) - 1
            lines.append((f"{prefix}{'└── ' if last else '├── '}{info[i]['name']}", info[i]))
            walk(versions[i].id, prefix + ("    " if last else "│   "))

    walk(None, "")
    width = max((len(left) for left, _ in lines), default=0)
    for left, r in lines:
        print(f"{left.ljust(width)}  {r['status']:<9}  {r['frames']:>7} frames  "
              f"parent: {r['parent'] or '-'}" + ("  (current)" if r["current"] else ""))
    return 0
