"""``hyperloader import coco ANNOTATIONS.json --images DIR --dataset NAME``: add frames."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["CATEGORIES_KEY", "register", "run"]

#: Version metadata key holding the imported COCO category records (export reuses their ids).
CATEGORIES_KEY = "coco_categories"


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``import`` command."""
    p = sub.add_parser(
        "import", parents=parents, help="import an annotation file (COCO) into a version",
        description="Stream a COCO file into a dataset version, in batches, in bounded "
                    "memory. Polygons (multi-part too) become polys; RLE segmentations "
                    "become mask sources: PNGs written to --masks-dir (default: masks/ next "
                    "to the annotation file); bbox-only annotations become box polys; "
                    "iscrowd/area go to ROI meta; categories become labels and are kept in "
                    "the version's metadata. With --upload-to, local images and masks are "
                    "uploaded there, keeping their paths relative to the common parent of "
                    "the images dir and the masks dir.")
    p.add_argument("format", choices=("coco",), help="annotation format")
    p.add_argument("annotations", metavar="ANNOTATIONS.json")
    p.add_argument("--images", required=True, metavar="DIR",
                   help="directory or URL that the images' file_name is relative to")
    p.add_argument("--dataset", required=True, metavar="NAME", help="created if missing")
    p.add_argument("--version", metavar="NAME",
                   help="draft version to add to (created if missing); default: the "
                        "dataset's current draft")
    p.add_argument("--upload-to", metavar="URL",
                   help="upload local images and RLE masks under this URL")
    p.add_argument("--masks-dir", metavar="DIR", help="where RLE masks are written")
    p.add_argument("--batch-size", type=int, default=5000, metavar="N",
                   help="frames per add_frames call (default 5000)")
    p.set_defaults(func=run)


def _masks_dir(args: argparse.Namespace) -> str:
    if args.masks_dir:
        return args.masks_dir
    return os.path.join(os.path.dirname(os.path.abspath(args.annotations)), "masks")


def _upload_root(args: argparse.Namespace, masks_dir: str) -> str | None:
    """Return the local dir whose layout the upload keeps (parent of images and masks)."""
    local = [os.path.abspath(d) for d in (args.images, masks_dir) if "://" not in d]
    return os.path.commonpath(local) if args.upload_to and local else None


def _target_version(args: argparse.Namespace) -> Any:
    from hyperloader.store import Dataset, DatasetVersion

    dataset = Dataset.create(args.dataset)
    if args.version:
        return DatasetVersion.create_version(dataset.name, args.version)
    return dataset.get_current()


def run(args: argparse.Namespace) -> int:
    """Import the file; exit 1 when any frame failed to upload."""
    from hyperloader.cli._common import progress, version_label
    from hyperloader.convert import get_converter

    masks_dir = _masks_dir(args)
    root = _upload_root(args, masks_dir)
    reader = get_converter(args.format).reader(
        args.annotations, images_dir=args.images, masks_dir=masks_dir,
        batch_size=args.batch_size)
    version = _target_version(args)
    added = failed = 0
    with progress(args, total=None, desc=f"import {args.format}", unit="img") as bar:
        for batch in reader.batches(progress=lambda n: bar.update(n - bar.n), as_dicts=True):
            bad = version.add_frames(batch, auto_upload_destination=args.upload_to,
                                     local_dataset_root_path=root)
            failed += len(bad)
            added += len(batch) - len(bad)
    if len(reader.categories):
        meta = version.get_metadata()
        meta[CATEGORIES_KEY] = reader.categories.records()
        version.set_metadata(meta)
    st = reader.stats
    print(f"imported {added} frames into {version_label(version)} ({st.annotations} "
          f"annotations, {len(reader.categories)} categories, {st.masks_written} RLE masks"
          + (f", {st.orphan_annotations} annotations without image skipped"
             if st.orphan_annotations else "") + ")")
    if failed:
        print(f"{failed} frames failed to upload and were not added")
        return 1
    return 0
