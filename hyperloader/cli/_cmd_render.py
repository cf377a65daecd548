"""``hyperloader render DATASET[/VERSION] FRAME_ID -o frame.png``: draw one frame."""

from __future__ import annotations

import argparse
from typing import Any

from hyperloader.cli._common import add_target, open_version

__all__ = ["register", "run"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``render`` command."""
    p = sub.add_parser("render", parents=parents, help="draw a frame with its ROIs and masks",
                       description="Draw the source image with the ROI polygons and boxes, "
                                   "their labels and confidence, and the masks overlaid. A "
                                   "FrameGroup becomes a grid, one tile per source.")
    add_target(p)
    p.add_argument("frame_id", metavar="FRAME_ID")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png", help="image to write")
    p.add_argument("--mask-mode", choices=("labels", "alpha"), default="labels",
                   help="labels: mask values in label colours (the version's mask labels); "
                        "alpha: the mask as opacity (default: labels)")
    p.add_argument("--no-masks", action="store_true", help="do not overlay masks")
    p.add_argument("--fill-alpha", type=float, default=0.35, metavar="A",
                   help="opacity of polygon fills, 0..1 (default 0.35)")
    p.add_argument("--mask-alpha", type=float, default=0.5, metavar="A",
                   help="opacity of mask colours in labels mode, 0..1 (default 0.5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Render one frame to a PNG (or any format Pillow infers from the suffix)."""
    from hyperloader.render import RenderOptions, render_frame

    version = open_version(args.target)
    frame = version.get_frame(args.frame_id)
    options = RenderOptions(mask_mode=args.mask_mode, mask_labels=version.get_masks_labels(),
                            fill_alpha=args.fill_alpha, mask_alpha=args.mask_alpha,
                            draw_masks=not args.no_masks)
    image = render_frame(frame, options=options, read=_cached_reader())
    image.save(args.output)
    if not args.quiet:
        print(f"{args.output} ({image.width}x{image.height}, {len(frame.rois)} ROIs)")
    return 0


def _cached_reader() -> Any:
    from hyperloader.io import default_cache

    cache = default_cache()

    def read(uri: str) -> bytes:
        with open(cache.get(uri), "rb") as f:
            return f.read()

    return read
