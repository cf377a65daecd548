"""``hyperloader diff DATASET V1 V2``: frames added, modified and removed from V1 to V2."""

from __future__ import annotations

import argparse
from typing import Any

from hyperloader.cli._common import print_json

__all__ = ["register", "run"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``diff`` command."""
    p = sub.add_parser("diff", parents=parents, help="compare two versions of a dataset",
                       description="Count the frames V2 adds, modifies and removes relative "
                                   "to V1; --ids lists them (+ added, ~ modified, - removed).")
    p.add_argument("dataset", metavar="DATASET")
    p.add_argument("old", metavar="V1")
    p.add_argument("new", metavar="V2")
    p.add_argument("--ids", action="store_true", help="list the frame ids")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the difference between two versions."""
    from hyperloader.store import DatasetVersion

    old = DatasetVersion.get_version(args.dataset, args.old)
    new = DatasetVersion.get_version(args.dataset, args.new)
    d = new.diff(old)
    if args.json:
        out: dict[str, Any] = {"dataset": args.dataset, "from": old.name, "to": new.name,
                               "added": len(d.added), "modified": len(d.modified),
                               "removed": len(d.removed)}
        if args.ids:
            out["ids"] = {"added": d.added, "modified": d.modified, "removed": d.removed}
        print_json(out)
        return 0
    print(f"{args.dataset}: {old.name} -> {new.name}")
    print(f"  added     {len(d.added)}")
    print(f"  modified  {len(d.modified)}")
    print(f"  removed   {len(d.removed)}")
    if args.ids:
        for mark, ids in (("+", d.added), ("~", d.modified), ("-", d.removed)):
            for fid in ids:
                print(f"{mark} {fid}")
    return 0
