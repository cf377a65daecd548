"""``hyperloader cache [info|verify|trim|clear]``: inspect and maintain the local disk cache."""

from __future__ import annotations

import argparse
import errno
import os
from typing import Any

from hyperloader.cli._common import print_json

__all__ = ["format_bytes", "register", "run"]

_ACTIONS = ("info", "verify", "trim", "clear")


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``cache`` command."""
    p = sub.add_parser("cache", parents=parents, help="inspect, verify, trim or clear the cache",
                       description="Show, check, shrink or empty the local cache of remote "
                                   "objects ($HYPERLOADER_CACHE_DIR, budget "
                                   "$HYPERLOADER_CACHE_MAX_BYTES). Processes may keep reading "
                                   "from it meanwhile; what is evicted is downloaded again.")
    p.add_argument("action", nargs="?", choices=_ACTIONS, default="info",
                   help="info (default): size and budget; verify: compare the index with the "
                        "files; trim: evict down to --max-bytes; clear: evict everything")
    p.add_argument("--dir", metavar="PATH",
                   help="an existing cache directory (default: $HYPERLOADER_CACHE_DIR, else "
                        "~/.cache/hyperloader)")
    p.add_argument("--max-bytes", metavar="SIZE",
                   help="trim: the size to shrink to, e.g. 500MB or 2GiB (default: the budget)")
    p.add_argument("--repair", action="store_true",
                   help="verify: delete orphan files and drop rows whose file is gone")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def format_bytes(n: int) -> str:
    """Return ``n`` bytes in binary units: ``512 B``, ``1.2 GiB``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def run(args: argparse.Namespace) -> int:
    """Run one cache action; exit 1 when ``verify`` found problems it did not repair.

    Raises:
        ValueError: a malformed ``--max-bytes`` or an option the action does not take.
        FileNotFoundError: ``--dir`` does not exist.
    """
    if args.max_bytes is not None and args.action != "trim":
        raise ValueError(f"--max-bytes applies to 'trim', not {args.action!r}")
    if args.repair and args.action != "verify":
        raise ValueError(f"--repair applies to 'verify', not {args.action!r}")
    cache = _open_cache(args.dir)
    try:
        if args.action == "info":
            return _info(cache, args.json)
        if args.action == "verify":
            return _verify(cache, args.repair, args.json)
        result = cache.trim(args.max_bytes) if args.action == "trim" else cache.clear()
        if args.json:
            print_json({"directory": cache.directory, **result})
        else:
            print(f"{args.action}: evicted {result['evicted']} entries "
                  f"({format_bytes(result['bytes_freed'])}); {result['entries']} entries, "
                  f"{format_bytes(result['bytes_cached'])} left ({cache.directory})")
        return 0
    finally:
        cache.close()


def _open_cache(directory: str | None) -> Any:
    """Return the default cache, or one on ``directory`` with the same budget and options."""
    from hyperloader.io import Cache, default_cache

    cache = default_cache()
    if directory is None:
        return cache
    if not os.path.isdir(directory):  # never create a mistyped directory
        raise FileNotFoundError(errno.ENOENT, "no cache directory", directory)
    return Cache(directory, max_bytes=cache.max_bytes, options=cache.options)


def _info(cache: Any, as_json: bool) -> int:
    stats = cache.stats()
    info = {"directory": cache.directory, "entries": stats["entries"],
            "bytes_cached": stats["bytes_cached"], "max_bytes": cache.max_bytes,
            "eviction": cache.options.eviction}
    if as_json:
        print_json(info)
        return 0
    share = 100 * info["bytes_cached"] / info["max_bytes"]
    print(f"directory  {info['directory']}")
    print(f"entries    {info['entries']}")
    print(f"cached     {format_bytes(info['bytes_cached'])} of {format_bytes(info['max_bytes'])}"
          f" ({share:.1f}%)")
    print(f"eviction   {info['eviction']}")
    return 0


def _verify(cache: Any, repair: bool, as_json: bool) -> int:
    found = cache.audit(repair=repair)
    problems = found["orphans"] + found["missing"]
    if as_json:
        print_json({"directory": cache.directory, "repaired": repair, **found})
    else:
        state = "ok" if not problems else "repaired" if repair else "problems found"
        print(f"verify: {state} ({cache.directory})")
        print(f"  index    {found['entries']} entries, {format_bytes(found['bytes_cached'])}")
        print(f"  disk     {found['disk_files']} files, {format_bytes(found['disk_bytes'])}")
        print(f"  orphans  {found['orphans']} (files without an entry)")
        print(f"  missing  {found['missing']} (entries without a file)")
        if problems and not repair:
            print("run `hyperloader cache verify --repair` to fix them")
    return 1 if problems and not repair else 0
