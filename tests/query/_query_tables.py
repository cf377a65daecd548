"""Build FrameTables-shaped pyarrow tables by hand from simple frame dicts.

Frame dict keys (all optional): ``id``, ``context_id``, ``timestamp``, ``meta``,
``rois`` (dicts with ``label`` (str or list), ``confidence``, ``meta``) and ``sources``
(dicts with the source columns and ``meta``). Meta column types are inferred from the
Python values (bool, int, float, str, datetime) unless given in ``meta_types``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pyarrow as pa

SOURCE_COLUMNS = {
    "id": pa.string(), "uri": pa.string(), "content_type": pa.string(),
    "width": pa.int64(), "height": pa.int64(), "timestamp": pa.int64(),
    "mask_uris": pa.list_(pa.string()), "preview_uri": pa.string(),
}


@dataclass(frozen=True)
class Tables:
    frames: pa.Table
    rois: pa.Table
    sources: pa.Table


def _infer(values: list) -> pa.DataType:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in present):
        return pa.float64()
    if present and all(isinstance(v, datetime) for v in present):
        return pa.timestamp("ms", tz="UTC")
    return pa.string()


def _meta_columns(rows: list[dict], types: dict[str, pa.DataType]) -> dict[str, pa.Array]:
    keys = sorted({k for row in rows for k in row.get("meta", {})} | set(types))
    out = {}
    for key in keys:
        values = [row.get("meta", {}).get(key) for row in rows]
        out[f"meta.{key}"] = pa.array(values, type=types.get(key) or _infer(values))
    return out


def make_tables(frames: list[dict], *, meta_types: dict[str, pa.DataType] | None = None,
                roi_meta_types: dict[str, pa.DataType] | None = None,
                source_meta_types: dict[str, pa.DataType] | None = None) -> Tables:
    rois, sources = [], []
    for i, frame in enumerate(frames):
        for j, roi in enumerate(frame.get("rois", [])):
            label = roi.get("label", [])
            rois.append({**roi, "frame_index": i, "roi_index": j,
                         "label": [label] if isinstance(label, str) else label})
        for source in frame.get("sources", []):
            sources.append({**source, "frame_index": i})
    frame_cols = {
        "id": pa.array([f.get("id", f"f{i}") for i, f in enumerate(frames)], pa.string()),
        "context_id": pa.array([f.get("context_id", "ctx") for f in frames], pa.string()),
        "timestamp": pa.array([f.get("timestamp", i) for i, f in enumerate(frames)],
                              pa.int64()),
        "doc": pa.array(["{}"] * len(frames), pa.string()),
        **_meta_columns(frames, meta_types or {}),
    }
    roi_cols = {
        "frame_index": pa.array([r["frame_index"] for r in rois], pa.int32()),
        "roi_index": pa.array([r["roi_index"] for r in rois], pa.int32()),
        "label": pa.array([r["label"] for r in rois], pa.list_(pa.string())),
        "confidence": pa.array([r.get("confidence") for r in rois], pa.float64()),
        **_meta_columns(rois, roi_meta_types or {}),
    }
    source_cols = {
        "frame_index": pa.array([s["frame_index"] for s in sources], pa.int32()),
        **{name: pa.array([s.get(name, [] if name == "mask_uris" else None)
                           for s in sources], dtype)
           for name, dtype in SOURCE_COLUMNS.items()},
        **_meta_columns(sources, source_meta_types or {}),
    }
    return Tables(pa.table(frame_cols), pa.table(roi_cols), pa.table(source_cols))


def hits(mask) -> list[int]:
    """The indices where a boolean mask is set."""
    return [int(i) for i in mask.nonzero()[0]]


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


#: Five frames with known answers; ROIs r0..r7 and sources s0..s4 in order.
SAMPLE_FRAMES = [
    {"id": "f0", "context_id": "a", "timestamp": 100,
     "meta": {"speed": 20.0, "weather": "sunny", "n": 5, "flag": True,
              "when": _utc(2021, 5, 1, 10), "note": "2021-05-01", "pattern": "100%_x"},
     "rois": [{"label": "car", "confidence": 0.9, "meta": {"occ": False, "kind": "vehicle"}},
              {"label": ["person", "partly_occluded"], "confidence": 0.3,
               "meta": {"occ": True}}],
     "sources": [{"id": "front", "uri": "s3://b/f0.jpg", "content_type": "image/jpeg",
                  "width": 640, "height": 480, "mask_uris": ["s3://b/m0.png"],
                  "meta": {"camera": "cam1"}}]},
    {"id": "f1", "context_id": "a", "timestamp": 200,
     "meta": {"speed": 60.0, "weather": "rain", "n": 7, "flag": False,
              "when": _utc(2021, 5, 2), "pattern": "axb"},
     "rois": [{"label": "car", "confidence": 0.2},
              {"label": "tennis racket", "confidence": 0.7}],
     "sources": [{"id": "front", "uri": "s3://b/f1.png", "content_type": "image/png",
                  "width": 320, "height": 240},
                 {"id": "rear", "uri": "s3://b/f1_rear.jpg", "width": 1920, "height": 1080,
                  "meta": {"camera": "cam2"}}]},
    {"id": "f2", "context_id": "b", "timestamp": 300,
     "meta": {"speed": 35.5, "weather": "fog", "n": 12, "flag": False,
              "when": _utc(2021, 4, 30, 23, 59, 59), "pattern": "a*b"}},
    {"id": "x3", "context_id": "b", "timestamp": 400,
     "rois": [{"label": "dog"}, {"label": [], "confidence": 0.8}],
     "sources": [{"id": "front", "uri": "http://h/x3.jpg", "preview_uri": "http://h/p3.jpg"}]},
    {"id": "f4", "context_id": "c", "timestamp": 500,
     "meta": {"speed": 10.0, "weather": "sunny", "n": -3, "flag": True,
              "when": datetime(2020, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)},
     "rois": [{"label": "Car", "confidence": 0.5},
              {"label": ["cat", "dog"], "confidence": 1.0, "meta": {"occ": False}}],
     "sources": [{"id": "front", "uri": "s3://b/f4.jpg", "content_type": "image/jpeg",
                  "width": 640, "height": 480,
                  "mask_uris": ["s3://b/m4a.png", "s3://b/m4b.png"]}]},
]


def sample_tables() -> Tables:
    return make_tables(SAMPLE_FRAMES)
