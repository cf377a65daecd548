"""``hyperloader query DATASET[/VERSION] --roi ... --frame ...``: count or list matching frames."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from hyperloader.cli._common import add_query_options, add_target, make_view, open_version

__all__ = ["register", "run"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``query`` command."""
    p = sub.add_parser("query", parents=parents, help="count or list the frames a query selects",
                       description="Run a DataView query over one version. Prints one line "
                                   "per frame (id, ROI count, labels, source), the count "
                                   "with --count, or frame JSON with --json.")
    add_target(p)
    add_query_options(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--count", action="store_true", help="print only the number of matches")
    out.add_argument("--json", action="store_true",
                     help="print the frames as a JSON array (one frame per line)")
    p.add_argument("--limit", type=int, default=20, metavar="N",
                   help="show at most N frames (default 20; 0 for all)")
    p.set_defaults(func=run)


def _json_value(value: Any) -> Any:
    # datetime meta as the frame JSON writes it (ISO 8601), not str()'s "date time"
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else str(value)


def run(args: argparse.Namespace) -> int:
    """Count or list the frames selected by the query options."""
    if args.limit < 0:
        raise ValueError(f"--limit must be >= 0, got {args.limit}")
    version = open_version(args.target)
    view = make_view(version, args)
    total = view.get_count()
    if args.count:
        print(total)
        return 0
    ids = view.plan(0)
    if args.limit:
        ids = ids[:args.limit]
    frames = view.get_entries(ids)
    if args.json:
        docs = [json.dumps(f.to_dict(), separators=(",", ":"), default=_json_value)
                for f in frames]
        print("[" + ",\n".join(docs) + "]")
        return 0
    for f in frames:
        labels = sorted({label for r in f.rois for label in r.labels})
        uris = ",".join(s.uri for s in f.sources)
        print(f"{f.id}\t{len(f.rois)} rois\t{','.join(labels) or '-'}\t{uris}")
    more = total - len(frames)
    print(f"# {total} frames match" + (f" ({more} not shown; --limit 0 shows all)"
                                        if more > 0 else ""))
    return 0
