"""Frames for the store tests."""

from __future__ import annotations

from hyperloader.model import FrameGroup, SingleFrame
from hyperloader.store import _resolve, _scan_cache


def forget_caches() -> None:
    """Forget every cached resolution, plan and small scan of this process."""
    _resolve.clear_cache()
    _scan_cache.clear_plans()


def frame(i: int | str, **meta) -> SingleFrame:
    """A small frame with one box ROI; ``meta`` becomes the frame meta."""
    fid = i if isinstance(i, str) else f"f{i:04d}"
    f = SingleFrame(source=f"s3://data/img/{fid}.jpg", width=64, height=48, id=fid,
                    metadata=dict(meta) if meta else {"n": 1})
    f.add_annotation(box2d_xywh=[1, 2, 10, 12], labels=["car"], confidence=0.5)
    return f


def group(fid: str) -> FrameGroup:
    """A two-source FrameGroup with one ROI per member."""
    left = SingleFrame(source=f"s3://data/{fid}_l.jpg", width=8, height=8)
    left.add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["l"])
    right = SingleFrame(source=f"s3://data/{fid}_r.jpg", width=8, height=8)
    return FrameGroup({"left": left, "right": right}, id=fid, metadata={"n": 2})


def frame_dict(i: int) -> dict:
    """A frame as a plain dict (the bulk fast path)."""
    uri = f"s3://data/img/d{i}.jpg"
    return {"id": f"d{i:04d}", "sources": [{"id": "default", "uri": uri, "width": 4,
                                            "height": 4}],
            "rois": [{"id": f"r{i}", "label": ["dog"], "poly": [0, 0, 1, 0, 1, 1],
                      "sources": ["default"]}],
            "meta": {"n": i}}
