"""Fixtures shared by the frame-model tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import hyperloader.model._local as local

DATA = Path(__file__).parent / "data"


@pytest.fixture()
def ref_dict() -> dict:
    """The reference frame 287024 from single_frames.md, as a fresh dict."""
    return json.loads((DATA / "frame_287024.json").read_text())


@pytest.fixture()
def group_dict() -> dict:
    """A two-source frame group whose ROIs interleave member and global ones."""
    d = {
        "id": "g1",
        "context_id": "drive-7",
        "timestamp": 1500,
        "sources": [
            {"id": "left", "uri": "s3://b/left/0001.png", "content_type": "image/png",
             "width": 640, "height": 480, "timestamp": 1500,
             "masks": [{"id": "seg", "uri": "s3://b/left/0001_seg.png",
                        "content_type": "image/png", "timestamp": 1500}],
             "preview": {"uri": "https://cdn/left/0001.jpg"},
             "meta": {"camera": "L", "exposure": 0.5}},
            {"id": "right", "uri": "s3://b/right/0001.png", "content_type": "image/png",
             "width": 640, "height": 480, "timestamp": 1501, "meta": {"camera": "R"}},
        ],
        "rois": [
            {"id": "r0", "label": ["road"], "sources": ["left", "right"]},
            {"id": "r1", "label": ["car"], "poly": [0, 0, 10, 0, 10, 10], "confidence": 0.75,
             "sources": ["right"], "meta": {"occluded": True}},
            {"id": "r2", "label": ["person", "walking"], "poly": [1, 1, 5, 1, 5, 5],
             "sources": ["left"]},
            {"id": "r3", "label": ["sky"], "poly": [0, 0, 4, 0, 4, 4],
             "sources": ["left", "right"]},
            {"id": "r4", "label": ["car"], "poly": [2, 2, 9, 2, 9, 9], "sources": ["left"]},
        ],
        "meta": {"weather": "rain", "nested": {"a": [1, 2]}},
        "dataset": {"id": "ds1", "version": "v1"},
        "saved": 1700000000000,
        "saved_in_version": "v1",
        "num_frames": 2,
    }
    return copy.deepcopy(d)


@pytest.fixture()
def no_resolver(monkeypatch):
    """Run without any io-layer resolver installed (and restore whatever was there)."""
    monkeypatch.setattr(local, "_resolver", None)
