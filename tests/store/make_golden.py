"""Write the golden store of format 1 into ``tests/store/golden/format1`` (run once).

Usage: ``python tests/store/make_golden.py``. The files are committed; test_format.py checks
that every later hyperloader still reads them the same way.
"""

from __future__ import annotations

import pathlib
import shutil
import sys

import hyperloader
from hyperloader.model import FrameGroup, SingleFrame
from hyperloader.store import Dataset, DatasetVersion

GOLDEN = pathlib.Path(__file__).parent / "golden" / "format1"


def v1_frames() -> list:
    """The frames of the published version ``v1``."""
    a = SingleFrame(source="s3://bucket/img/a.jpg", width=640, height=480, id="a",
                    metadata={"split": "train", "count": 3, "score": 0.5, "ok": True},
                    mask_source="s3://bucket/masks/a.png", preview_uri="s3://bucket/t/a.jpg")
    a.add_annotation(box2d_xywh=[10, 20, 30, 40], labels=["car"], confidence=0.9,
                     metadata={"occluded": False}, id="a-r0")
    a.add_annotation(poly2d_xy=[[0, 0, 5, 0, 5, 5], [10, 10, 15, 10, 15, 15]],
                     labels=["person", "rider"], id="a-r1")
    a.add_annotation(labels=["daytime"], id="a-r2")
    b = SingleFrame(source="s3://bucket/img/b.jpg", width=100, height=50, id="b",
                    metadata={"split": "val", "count": 1})
    left = SingleFrame(source="s3://bucket/img/c_left.jpg", width=8, height=8)
    left.add_annotation(box2d_xywh=[1, 1, 2, 2], labels=["cone"], id="c-r0")
    right = SingleFrame(source="s3://bucket/img/c_right.jpg", width=8, height=8)
    c = FrameGroup({"left": left, "right": right}, id="c", metadata={"split": "train"},
                   context_id="drive-1", timestamp=7)
    c.add_global_annotation(labels=["rain"], id="c-r1")
    return [a, b, c]


def current_changes() -> tuple[list, list[str]]:
    """The draft child's upserts and deletions on top of ``v1``."""
    b = v1_frames()[1]
    b.meta["count"] = 2.5
    d = SingleFrame(source="s3://bucket/img/d.jpg", id="d", metadata={"split": "test"})
    return [b, d], ["a"]


def build(root: pathlib.Path) -> None:
    """Build the golden dataset under ``root``."""
    hyperloader.set_root(str(root))
    Dataset.create("golden")
    draft = DatasetVersion.get_current("golden")
    draft.add_frames(v1_frames())
    draft.set_masks_labels({(0, 0, 0): ["background"], (1, 1, 1): ["car"]})
    draft.set_metadata({**draft.get_metadata(), "source": "make_golden"})
    DatasetVersion.create_snapshot("golden", publish_name="v1")
    upserts, deletions = current_changes()
    child = DatasetVersion.get_current("golden")
    child.add_frames(upserts)
    child.delete_frames(deletions)


if __name__ == "__main__":
    if GOLDEN.exists() and "--force" not in sys.argv:
        sys.exit(f"{GOLDEN} exists; pass --force to rebuild it (only for a new format!)")
    shutil.rmtree(GOLDEN, ignore_errors=True)
    build(GOLDEN)
    print(f"wrote {GOLDEN}")
