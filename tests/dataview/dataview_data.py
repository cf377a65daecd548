"""Small known frame sets for the DataView tests, importable from a fresh process too."""

from __future__ import annotations

import itertools
import json
import multiprocessing
from collections.abc import Callable
from typing import Any

from hyperloader.dataview import DataView, MemoryCatalog


def frame(fid: str, ctx: str, ts: int, rois: list[tuple[Any, float | None]] = (),
          meta: dict | None = None, width: int = 640, uri: str | None = None) -> dict:
    """A frame dict: ``rois`` is a list of (label or labels, confidence)."""
    out_rois = []
    for i, (labels, conf) in enumerate(rois):
        roi: dict[str, Any] = {"id": f"{fid}-r{i}",
                               "label": [labels] if isinstance(labels, str) else list(labels),
                               "poly": [0, 0, 10, 0, 10, 10, 0, 10], "sources": ["default"]}
        if conf is not None:
            roi["confidence"] = conf
        out_rois.append(roi)
    d = {"id": fid, "context_id": ctx, "timestamp": ts, "rois": out_rois,
         "sources": [{"id": "default", "uri": uri or f"s3://bucket/{fid}.jpg",
                      "width": width, "height": 480, "timestamp": ts}]}
    if meta:
        d["meta"] = meta
    return d


# Sequential order of TRAFFIC: A: f4(5) f2(10) f6(10) | B: f3(10) f1(20) | C: f5(0)
TRAFFIC = [
    frame("f1", "B", 20, [("Car", 0.9), (["Car", "partly_occluded"], 0.4)], {"speed": 10}),
    frame("f2", "A", 10, [("Person", 0.8)], {"speed": 30}, width=1280),
    frame("f3", "B", 10, [(["Car", "partly_occluded"], 0.7)], {"speed": 50}),
    frame("f4", "A", 5, [], {"speed": 5}, width=1280),
    frame("f5", "C", 0, [("Car", 0.2), ("Car", 0.95), ("Truck", 0.6)], {"speed": 70}),
    frame("f6", "A", 10, [("Car", 0.55)], {"speed": 20}),
]
TRAFFIC_ORDER = ["f4", "f2", "f6", "f3", "f1", "f5"]

MASK_LABELS = {"_all_": [{"value": [0, 0, 0], "labels": ["background"]},
                         {"value": [1, 1, 1], "labels": ["Car"]},
                         {"value": [2, 2, 2], "labels": ["Truck"]},
                         {"value": [3, 3, 3], "labels": ["Person", "walking"]}]}


def video(prefix: str, n_contexts: int, per_context: int, label: str) -> list[dict]:
    """``n_contexts`` contexts of ``per_context`` frames each, every frame one ROI ``label``."""
    return [frame(f"{prefix}{c:03d}-{t:02d}", f"{prefix}-ctx{c:03d}", t * 33, [(label, 1.0)])
            for c in range(n_contexts) for t in range(per_context)]


def make_catalog() -> MemoryCatalog:
    """traffic: v1 (published), v2 (draft, f7 added); pets: v1; clips: v1 (video)."""
    cat = MemoryCatalog()
    cat.add_version("traffic", "v1", TRAFFIC, status="published", metadata={
        "mask_labels": MASK_LABELS}, version_id="traffic-v1")
    cat.add_version("traffic", "v2", TRAFFIC + [frame("f7", "A", 1, [("Bus", 0.5)])],
                    version_id="traffic-v2")
    cat.add_version("pets", "v1", [frame("p1", "P", 0, [("cat", 1.0)]),
                                   frame("p2", "P", 1, [("dog", 1.0)])], version_id="pets-v1")
    cat.add_version("clips", "v1", video("a", 20, 5, "a") + video("b", 20, 5, "b"),
                    version_id="clips-v1")
    return cat


def take_after_restore(spec: str, state: dict, count: int, num_workers: int = 1,
                       worker_index: int = 0, use_store: bool = False) -> list[str]:
    """In a fresh process: rebuild the view, restore the iterator, take ``count`` ids.

    The view reads the in-memory test catalog, or the store at the configured root.
    """
    view = DataView.from_json(spec, catalog=None if use_store else make_catalog())
    it = view.get_iterator(num_workers=num_workers, worker_index=worker_index)
    it.load_state_dict(state)
    return [f.id for f in itertools.islice(it, count)]


def ids(frames) -> list[str]:
    """The ids of ``frames``."""
    return [f.id for f in frames]


def run_in_fresh_process(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a newly spawned interpreter and return its result."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def check_save_load_state(view: DataView, stop_after: int, num_workers: int = 1,
                          worker_index: int = 0, total: int | None = None,
                          use_store: bool = False) -> dict:
    """Save an iterator's state after ``stop_after`` items, restore it in a fresh process.

    Asserts that the items before the save plus those after the restore equal the
    uninterrupted stream (its first ``total`` items for endless views). Returns the state.
    """
    def take(iterator, count):
        return [f.id for f in itertools.islice(iterator, count)]

    full = take(view.get_iterator(num_workers, worker_index), total)
    it = view.get_iterator(num_workers, worker_index)
    head = take(it, stop_after)
    state = json.loads(json.dumps(it.state_dict()))
    remaining = (total if total is not None else len(full)) - stop_after
    tail = run_in_fresh_process(take_after_restore, view.to_json(), state, remaining,
                                num_workers, worker_index, use_store)
    assert head + tail == full, (head, tail, full)
    return state
