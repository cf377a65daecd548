"""``hyperloader demo``: build a small dataset, version it, load it through a DataLoader."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

__all__ = ["register", "run"]

LABELS = {"car": 1, "person": 2, "bicycle": 3, "tree": 4}


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    p = sub.add_parser(
        "demo", parents=parents, help="generate a demo dataset and load it end to end",
        description="Generate street scenes (JPEGs, class masks, polygons, meta) under the "
                    "store root's demo_assets/, store them as a published version v1 and a "
                    "child draft v2, run a weighted DataView through a 2-worker DataLoader, "
                    "and render a preview PNG. An existing dataset of the same name is "
                    "replaced.")
    p.add_argument("--name", default="demo", help="dataset name (default demo)")
    p.add_argument("--frames", type=int, default=48, help="scenes to generate (default 48)")
    p.add_argument("--samples", type=int, default=96,
                   help="samples to load through the DataLoader (default 96)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preview", metavar="OUT.png",
                   help="where to write the preview (default demo_assets/preview.png)")
    p.set_defaults(func=run)


def _assets_dir(root: str) -> tuple[str, str | None]:
    """Return (local dir for the files, upload URL or None) for the store root."""
    if "://" not in root or root.startswith("file://"):
        return os.path.join(root.removeprefix("file://"), "demo_assets"), None
    return tempfile.mkdtemp(prefix="hyperloader-demo-"), root.rstrip("/") + "/demo_assets"


def _build_versions(name: str, frames: list[Any], upload: str | None) -> tuple[Any, Any]:
    from hyperloader.cli._demo_data import MASK_LABELS
    from hyperloader.model import SingleFrame
    from hyperloader.store import Dataset, DatasetVersion

    if any(d.name == name for d in Dataset.list()):
        Dataset.delete(name, delete_all_versions=True, force=True)
    draft = Dataset.create(name).get_current()
    n1 = max(1, len(frames) * 5 // 6)
    draft.add_frames(frames[:n1], auto_upload_destination=upload)
    draft.set_masks_labels(MASK_LABELS)
    v1 = DatasetVersion.create_snapshot(name, publish_name="v1", child_name="v2")
    v2 = DatasetVersion.get_version(name, "v2")
    # the demo's frames are all SingleFrames; the check tells the type checker so
    changed = [f for f in v2.get_frames() if isinstance(f, SingleFrame) and len(f.rois) > 2][:3]
    for frame in changed:  # a relabelling pass: drop each changed frame's first ROI
        frame.annotations.pop(0)
    v2.add_frames(changed + frames[n1:], auto_upload_destination=upload)
    v2.delete_frames([frames[0].id])
    return v1, v2


def _make_view(name: str, samples: int, seed: int) -> Any:
    from hyperloader.dataview import DataView

    view = DataView(name="demo", iteration_order="random", random_seed=seed)
    view.add_query(name, "v2", roi_query="car", weight=2.0)
    view.add_query(name, "v2", frame_query="meta.weather:rain OR meta.city:bremen", weight=1.0)
    view.set_labels(LABELS)
    view.set_iteration_parameters(infinite=True, maximum_number_of_frames=samples)
    return view


def _load(view: Any, workers: int, samples: int) -> tuple[int, int, float]:
    """Read ``samples`` items, epoch after epoch, through a DataLoader.

    Returns:
        ``(images, boxes, seconds)``.
    """
    from hyperloader.torch import FrameIterableDataset, make_loader

    dataset = FrameIterableDataset(view)
    loader = make_loader(dataset, batch_size=8, num_workers=workers)
    images = boxes = epoch = 0
    start = time.perf_counter()
    while images < samples and view.num_entries():
        dataset.set_epoch(epoch)  # each epoch is a fresh weighted draw
        for batch, targets in loader:
            images += len(batch)
            boxes += sum(int(t["boxes"].shape[0]) for t in targets)
            if images >= samples:
                break
        epoch += 1
    return images, boxes, time.perf_counter() - start


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its summary."""
    from hyperloader import get_root
    from hyperloader.cli._common import progress
    from hyperloader.cli._demo_data import make_demo_frames
    from hyperloader.render import RenderOptions, render_frame

    for opt in ("frames", "samples"):
        if getattr(args, opt) < 1:
            raise ValueError(f"--{opt} must be >= 1, got {getattr(args, opt)}")
    t0 = time.perf_counter()
    root = get_root()
    assets, upload = _assets_dir(root)
    with progress(args, total=None, desc="generating scenes", unit="img"):
        frames = make_demo_frames(assets, args.frames, seed=args.seed)
    v1, v2 = _build_versions(args.name, frames, upload)
    view = _make_view(args.name, args.samples, args.seed)
    matched, per_rule = view.get_count(per_rule=True)
    try:
        images, boxes, seconds = _load(view, args.workers, args.samples)
        loaded = (f"{images} images, {boxes} boxes in {seconds:.1f} s "
                  f"({images / max(seconds, 1e-9):.1f} images/s, {args.workers} workers)")
    except ImportError as exc:  # torch is an optional extra
        loaded = f"skipped (install hyperloader[torch]: {exc})"
    best = max(v2.get_frames(), key=lambda f: len(f.rois))
    preview = args.preview or os.path.join(assets, "preview.png")
    render_frame(best, options=RenderOptions(mask_labels=v2.get_masks_labels())).save(preview)
    diff = v2.diff(v1)
    print(f"hyperloader demo  (store {root})")
    print(f"  dataset   {args.name}: v1 published, {len(v1)} frames -> v2 draft, {len(v2)} "
          f"frames (+{len(diff.added)} ~{len(diff.modified)} -{len(diff.removed)})")
    print(f"  frames    {args.frames} scenes {frames[0].width}x{frames[0].height}, "
          f"{sum(len(f.rois) for f in frames)} ROIs, images in {upload or assets}")
    print(f"  view      roi 'car' (weight 2, {per_rule[0]} frames) + frame 'meta.weather:rain "
          f"OR meta.city:bremen' (weight 1, {per_rule[1]} frames): {matched} frames")
    print(f"  labels    {', '.join(f'{k}={v}' for k, v in LABELS.items())}")
    print(f"  loaded    {loaded}")
    print(f"  preview   {preview}  (frame {best.id}, {len(best.rois)} ROIs)")
    print(f"  done in {time.perf_counter() - t0:.1f} s; try: hyperloader ls {args.name}")
    return 0
