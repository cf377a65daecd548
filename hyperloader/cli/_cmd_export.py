"""``hyperloader export coco DATASET[/VERSION] -o out.json``: write a COCO file."""

from __future__ import annotations

import argparse
from typing import Any

from hyperloader.cli._common import add_query_options, add_target, iter_frames, open_version

__all__ = ["register", "run"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``export`` command."""
    p = sub.add_parser(
        "export", parents=parents, help="export a version (or a query) as COCO",
        description="Write a COCO file that pycocotools loads. Importing it again gives the "
                    "same frames: what COCO cannot hold rides in an extra 'hyperloader' key.")
    p.add_argument("format", choices=("coco",), help="annotation format")
    add_target(p)
    add_query_options(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.json")
    p.add_argument("--relative-to", metavar="DIR",
                   help="write file_name relative to DIR (pass the same as import --images)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the selected frames."""
    from hyperloader.cli._cmd_import import CATEGORIES_KEY
    from hyperloader.cli._common import progress, version_label
    from hyperloader.convert import get_converter

    version = open_version(args.target)
    total, frames = iter_frames(version, args)
    categories = version.get_metadata().get(CATEGORIES_KEY) or []
    with progress(args, total=total, desc=f"export {args.format}", unit="frame") as bar:
        stats = get_converter(args.format).writer(
            frames, args.output, categories=categories, relative_to=args.relative_to,
            info={"description": f"hyperloader export of {version_label(version)}"},
            progress=lambda n: bar.update(n - bar.n))
    print(f"wrote {args.output}: {stats.images} images, {stats.annotations} annotations, "
          f"{stats.categories} categories")
    return 0
