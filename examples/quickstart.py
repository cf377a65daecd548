"""Quickstart: create a dataset, add frames, publish, query with a DataView, iterate.

    python examples/quickstart.py            # uses a fresh temporary store
    python examples/quickstart.py --root ~/.hyperloader
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
from PIL import Image, ImageDraw

import hyperloader
from hyperloader import SingleFrame
from hyperloader.dataview import DataView
from hyperloader.store import Dataset, DatasetVersion


def make_image(path: str, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> None:
    img = Image.fromarray(np.full((120, 160, 3), 90, np.uint8))
    ImageDraw.Draw(img).rectangle(box, fill=colour)
    img.save(path, quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="store root (default: a temporary directory)")
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()
    root = args.root or tempfile.mkdtemp(prefix="hyperloader-quickstart-")
    hyperloader.set_root(root)
    images = os.path.join(root, "quickstart_images")
    os.makedirs(images, exist_ok=True)

    # 1. a dataset starts with one draft version, "Current"
    if any(d.name == "quickstart" for d in Dataset.list()):
        Dataset.delete("quickstart", delete_all_versions=True, force=True)
    draft = Dataset.create("quickstart").get_current()

    # 2. frames: a source image, its size, meta, and ROIs (a box is stored as a polygon)
    frames = []
    for i in range(args.frames):
        path = os.path.join(images, f"{i:03d}.jpg")
        label = "car" if i % 3 else "person"
        box = (10 + 5 * i, 20, 70 + 5 * i, 80)
        make_image(path, box, (200, 30, 30) if label == "car" else (30, 30, 200))
        frame = SingleFrame(path, width=160, height=120, id=f"q{i:03d}",
                            metadata={"city": "bremen" if i % 2 else "berlin", "index": i})
        frame.add_annotation(box2d_xywh=[box[0], box[1], box[2] - box[0], box[3] - box[1]],
                             labels=[label], confidence=1.0)
        frames.append(frame)
    failed = draft.add_frames(frames)
    print(f"added {len(frames) - len(failed)} frames to {draft.dataset_name}/{draft.name}")

    # 3. publish: the version is frozen and a new draft child opens for further edits
    published = DatasetVersion.create_snapshot("quickstart", publish_name="v1",
                                               child_name="v2")
    print(f"published {published.name} ({len(published)} frames, {published.status})")

    # 4. a DataView: which frames, with which label ids, in which order
    view = DataView(iteration_order="random", random_seed=42)
    view.add_query("quickstart", "v1", roi_query="label:car", frame_query="meta.city:bremen")
    view.set_labels({"car": 1, "person": 2})
    print(f"the view selects {view.get_count()} frames")

    # 5. iterate: frames come with their ROIs' label ids (label_num)
    for frame in view.get_iterator():
        roi = frame.rois[0]
        print(f"  {frame.id}  {frame.meta['city']:<7} {roi.labels} -> {roi.label_num}  "
              f"{os.path.basename(frame.source)}")
    print(f"store: {root}")


if __name__ == "__main__":
    main()
