"""``hyperloader prefetch DATASET[/VERSION]``: warm the local cache with a progress bar."""

from __future__ import annotations

import argparse
from typing import Any

from hyperloader.cli._common import add_query_options, add_target, make_view, open_version

__all__ = ["register", "run"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``prefetch`` command."""
    p = sub.add_parser("prefetch", parents=parents, help="download sources into the local cache",
                       description="Download the sources (and masks) of a version, or of the "
                                   "frames a query selects, into the local cache "
                                   "($HYPERLOADER_CACHE_DIR). Local files are left in place.")
    add_target(p)
    add_query_options(p)
    p.add_argument("--workers", type=int, default=8, metavar="N",
                   help="concurrent downloads (default 8)")
    p.add_argument("--no-masks", action="store_true", help="skip mask files")
    p.add_argument("--previews", action="store_true", help="also fetch preview images")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Prefetch the URIs of the selected frames; exit 1 when any failed."""
    from hyperloader.io import default_cache

    view = make_view(open_version(args.target), args)
    cache = default_cache()
    summary = view.prefetch_files(num_workers=args.workers, cache=cache,
                                  masks=not args.no_masks, previews=args.previews,
                                  progress=not args.quiet)
    print(f"prefetch: {summary.fetched} fetched, {summary.hits} already cached, "
          f"{summary.local} local, {summary.failed} failed ({cache.directory})")
    for uri, err in list(summary.errors.items())[:10]:
        print(f"  failed {uri}: {err.splitlines()[0] if err else ''}")
    return 1 if summary.failed else 0
