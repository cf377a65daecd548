"""``hyperloader stats DATASET[/VERSION]``: label counts, ROIs per frame, annotated share."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from hyperloader.cli._common import add_target, open_version, print_json, version_label

__all__ = ["register", "run", "version_stats"]


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``stats`` command."""
    p = sub.add_parser("stats", parents=parents, help="label counts and ROI statistics",
                       description="Label counts, ROIs per frame and the share of annotated "
                                   "frames of one version; --plot draws them as a PNG chart.")
    add_target(p)
    p.add_argument("--plot", metavar="OUT.png", help="also write a bar chart (PNG)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def version_stats(tables: Any) -> dict[str, Any]:
    """Return the statistics of a version's FrameTables."""
    import pyarrow.compute as pc

    n = tables.num_frames
    frame_index = tables.rois["frame_index"].to_numpy(zero_copy_only=False)
    per_frame = np.bincount(frame_index, minlength=n) if n else np.zeros(0, np.int64)
    labels = pc.list_flatten(tables.rois["label"])
    counts = {str(v["values"]): int(v["counts"]) for v in pc.value_counts(labels).to_pylist()} \
        if len(labels) else {}
    hist = np.bincount(per_frame) if n else np.zeros(0, np.int64)
    return {
        "frames": n,
        "rois": int(per_frame.sum()),
        "annotated_frames": int((per_frame > 0).sum()),
        "annotated_share": float((per_frame > 0).mean()) if n else 0.0,
        "rois_per_frame": {"mean": float(per_frame.mean()) if n else 0.0,
                           "median": float(np.median(per_frame)) if n else 0.0,
                           "max": int(per_frame.max()) if n else 0,
                           "histogram": {str(k): int(v) for k, v in enumerate(hist) if v}},
        "labels": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "masks": int(pc.sum(pc.list_value_length(tables.sources["mask_uris"])).as_py() or 0),
    }


def run(args: argparse.Namespace) -> int:
    """Print (and optionally plot) the statistics of one version."""
    version = open_version(args.target)
    st = version_stats(version.frame_tables())
    if args.plot:
        _plot(st, version_label(version), args.plot)
    if args.json:
        print_json({"dataset": version.dataset_name, "version": version.name, **st})
        return 0
    rpf = st["rois_per_frame"]
    print(f"{version_label(version)} ({version.status}): {st['frames']} frames, "
          f"{st['rois']} ROIs, {st['masks']} masks")
    print(f"annotated frames: {st['annotated_frames']}/{st['frames']} "
          f"({100 * st['annotated_share']:.1f}%)")
    print(f"ROIs per frame:   mean {rpf['mean']:.2f}, median {rpf['median']:g}, "
          f"max {rpf['max']}")
    print("labels:" if st["labels"] else "labels: none")
    width = max((len(k) for k in st["labels"]), default=0)
    for label, count in st["labels"].items():
        print(f"  {label.ljust(width)}  {count}")
    if args.plot:
        print(f"chart: {args.plot}")
    return 0


def _plot(st: dict[str, Any], title: str, out: str) -> None:
    from hyperloader.render import bar_chart, stack_vertical

    charts = [bar_chart(st["labels"], title=f"{title}: ROIs per label"),
              bar_chart({f"{k} ROIs": v for k, v in st["rois_per_frame"]["histogram"].items()},
                        title="frames by number of ROIs", sort_by_value=False),
              bar_chart({"annotated": st["annotated_frames"],
                         "empty": st["frames"] - st["annotated_frames"]},
                        title=f"annotated frames: {100 * st['annotated_share']:.1f}%")]
    stack_vertical(charts).save(out, format="PNG")
