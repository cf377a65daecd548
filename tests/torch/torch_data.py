"""Real JPEG/PNG frames written with Pillow into a real store, and a DataView over them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from hyperloader.model import POLY_SEPARATOR, SingleFrame

H, W = 32, 48
LABELS = {"cat": 1, "dog": 2, "day": 5}
MASK_LABELS = {(255, 0, 0): ["cat"], (0, 255, 0): ["dog"], (0, 0, 255): ["sky"]}
CAT_BOX = [4, 6, 10, 8]  # x, y, w, h
DOG_POLY = [20, 2, 30, 2, 25, 12, POLY_SEPARATOR, 34, 16, 44, 16, 44, 28, 34, 28]


def image_array(i: int) -> np.ndarray:
    """A smooth, distinct picture per frame (JPEG keeps it close)."""
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([(x * 5 + i * 7) % 256, (y * 7 + i * 3) % 256,
                    np.full_like(x, (i * 37) % 256)], axis=-1)
    return img.astype(np.uint8)


def mask_array() -> np.ndarray:
    mask = np.zeros((H, W, 3), np.uint8)
    mask[:, :16] = (255, 0, 0)
    mask[:8, 16:32] = (0, 255, 0)
    mask[8:, 40:] = (0, 0, 255)  # "sky": not enumerated by the view -> ignore index
    return mask


def make_frames(root: Path, n: int, *, corrupt: tuple[int, ...] = ()) -> list[SingleFrame]:
    """Write ``n`` JPEGs (+ one mask PNG) under ``root``; every 5th frame has no ROI."""
    root.mkdir(parents=True, exist_ok=True)
    mask_path = root / "mask.png"
    Image.fromarray(mask_array()).save(mask_path)
    frames = []
    for i in range(n):
        path = root / f"img_{i:04d}.jpg"
        if i in corrupt:
            path.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
        else:
            Image.fromarray(image_array(i)).save(path, quality=95)
        frame = SingleFrame(os.fspath(path), width=W, height=H, id=f"f{i:04d}",
                            context_id=f"ctx{i // 4}", timestamp=i, metadata={"i": i},
                            mask_source=os.fspath(mask_path) if i % 2 == 0 else None)
        if i % 5:
            frame.add_annotation(box2d_xywh=CAT_BOX, labels=["cat"])
            frame.add_annotation(poly2d_xy=DOG_POLY, labels=["dog"])
            frame.add_annotation(box2d_xywh=[1, 1, 3, 3], labels=["unknown"])  # not enumerated
        frame.add_annotation(labels=["day"])  # a frame label, never a box
        frames.append(frame)
    return frames


def make_view(root: Path, n: int, *, order: str = "random", seed: int = 7,
              corrupt: tuple[int, ...] = (), name: str = "torch-test"):
    """Store ``n`` frames in a dataset version and return a DataView over it."""
    from hyperloader.dataview import DataView
    from hyperloader.store import Dataset, DatasetVersion

    frames = make_frames(root / "files", n, corrupt=corrupt)
    Dataset.create(name)
    version = DatasetVersion.get_version(dataset_name=name)
    version.add_frames(frames)
    version.set_masks_labels(MASK_LABELS)
    view = DataView(iteration_order=order, random_seed=seed)
    view.add_query(dataset_name=name)
    view.set_labels(LABELS)
    return view
