"""DataView at a million frames: query count vs a Python loop, plan build, first frame, bytes.

Builds a version of N frames (~3 ROIs each, 20 labels, 5 frame meta keys) with vectorised
pyarrow, stores it in a temporary store (``--memory`` keeps it in memory instead) and reads
it through a real DataView. Prints one table of medians over ``--repeat`` runs.

The count is what a user gets from ``DataView.get_count()`` on a version whose tables are
already resolved (the store caches them per version). The first query on a version also
builds the columns' cached query forms (numpy views, label dictionary codes); that one run
is reported on its own row and left out of the median.

    python benchmarks/bench_query.py [--frames 1000000] [--repeat 5] [--memory]
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.dataview import DataView, MemoryCatalog
from hyperloader.model import FrameTables, frames_to_tables

LABELS = [f"label{i:02d}" for i in range(20)]
ROI_QUERY = 'label:"label03" AND confidence:[0.5 TO 0.9]'
FRAME_QUERY = "meta.speed:[20 TO 60]"


def _arr(values: np.ndarray) -> pa.Array:
    out = pa.array(values)  # large unicode arrays can come back chunked
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _quoted_list(values: pa.ListArray) -> pa.Array:
    """JSON list bodies: ``"a","b"`` per row of a list<string> array."""
    quoted = _join('"', values.values, '"')
    return pc.binary_join(pa.ListArray.from_arrays(values.offsets, quoted), ",")


def _per_frame(offsets: np.ndarray, items: pa.Array) -> pa.Array:
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items), ",")


def synth_tables(n: int, seed: int = 0) -> FrameTables:
    """Return FrameTables of ``n`` synthetic frames, laid out as ``frames_to_tables`` does."""
    rng = np.random.default_rng(seed)
    ids = _arr(np.char.mod("f%07d", np.arange(n)))
    ctx = _arr(np.char.mod("ctx-%06d", rng.integers(0, max(1, n // 20), n)))
    ts = pa.array(rng.integers(0, 1_000_000, n))
    meta = {"cam": _arr(np.char.mod("cam%d", rng.integers(0, 8, n))),
            "day": pa.array(rng.random(n) < 0.5),
            "speed": pa.array(rng.integers(0, 100, n)),
            "temp": pa.array(np.round(rng.normal(15, 10, n), 2)),
            "weather": pa.array(["sunny", "rain", "fog", "snow"]).take(
                pa.array(rng.integers(0, 4, n)))}
    counts = rng.poisson(3, n)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    m = int(offsets[-1])
    frame_index = np.repeat(np.arange(n), counts).astype(np.int32)
    roi_index = (np.arange(m) - np.repeat(offsets[:-1], counts)).astype(np.int32)
    first = rng.integers(0, len(LABELS), m)
    second = (first + rng.integers(1, len(LABELS), m)) % len(LABELS)
    two = rng.random(m) < 0.2
    lab_off = np.concatenate(([0], np.cumsum(1 + two))).astype(np.int32)
    flat = np.empty(int(lab_off[-1]), np.int64)
    flat[lab_off[:-1]], flat[lab_off[:-1][two] + 1] = first, second[two]
    label = pa.ListArray.from_arrays(pa.array(lab_off), pa.array(LABELS).take(pa.array(flat)))
    conf = pa.array(np.round(rng.random(m), 3))
    roi_ids = _join(ids.take(pa.array(frame_index)), "-r", pa.array(roi_index).cast(pa.string()))
    roi_json = _join('{"id":"', roi_ids, '","label":[', _quoted_list(label),
                     '],"poly":[0,0,10,0,10,10,0,10],"confidence":', conf.cast(pa.string()),
                     ',"sources":["default"]}')
    uri = _join("s3://bench/img/", ids, ".jpg")
    ts_s = ts.cast(pa.string())
    doc = _join('{"id":"', ids, '","context_id":"', ctx, '","timestamp":', ts_s,
                ',"sources":[{"id":"default","uri":"', uri, '","content_type":"image/jpeg",'
                '"width":1280,"height":720,"timestamp":', ts_s, '}],"rois":[',
                _per_frame(offsets, roi_json), '],"meta":{"cam":"', meta["cam"], '","day":',
                meta["day"].cast(pa.string()), ',"speed":', meta["speed"].cast(pa.string()),
                ',"temp":', meta["temp"].cast(pa.string()), ',"weather":"', meta["weather"],
                '"},"num_frames":1}')
    frames = pa.table({"id": ids, "context_id": ctx, "timestamp": ts, "doc": doc,
                       **{f"meta.{k}": v for k, v in meta.items()}})
    rois = pa.table({"frame_index": pa.array(frame_index), "roi_index": pa.array(roi_index),
                     "label": label, "confidence": conf})
    null_s = pa.nulls(n, pa.string())
    sources = pa.table({"frame_index": pa.array(np.arange(n, dtype=np.int32)),
                        "id": pa.array(["default"] * n), "uri": uri,
                        "content_type": pa.array(["image/jpeg"] * n),
                        "width": pa.array(np.full(n, 1280)), "height": pa.array(np.full(n, 720)),
                        "timestamp": ts, "mask_uris": pa.array([[]] * n, pa.list_(pa.string())),
                        "preview_uri": null_s})
    return FrameTables(frames, rois, sources)


def check_layout(n: int = 300) -> None:
    """Fail loudly unless the synthetic tables equal ``frames_to_tables`` of their docs."""
    tables = synth_tables(n, seed=1)
    again = frames_to_tables(json.loads(d) for d in tables.frames["doc"].to_pylist())
    for name in ("frames", "rois", "sources"):
        got, want = getattr(tables, name), getattr(again, name)
        if not got.equals(want):
            raise SystemExit(f"synthetic {name} table differs from frames_to_tables:\n"
                             f"{got.schema}\n{want.schema}")


def python_count(docs: list[dict]) -> int:
    """The baseline: the same compound query as a plain loop over frame dicts."""
    count = 0
    for d in docs:
        roi_ok = False
        for r in d["rois"]:
            c = r.get("confidence")
            if "label03" in r["label"] and c is not None and 0.5 <= c <= 0.9:
                roi_ok = True
                break
        speed = d.get("meta", {}).get("speed")
        if roi_ok and speed is not None and 20 <= speed <= 60:
            count += 1
    return count


def _median(fn: Callable[[], object], repeat: int,
            min_total_s: float = 0.0) -> tuple[float, object, int]:
    """Run ``fn`` at least ``repeat`` times and for ``min_total_s``; return the median time.

    A fast measure runs many times so that a burst of other load on the machine moves
    its median less.
    """
    times: list[float] = []
    out = None
    while len(times) < repeat or (sum(times) < min_total_s and len(times) < 1000):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out, len(times)


def _catalog(tables: FrameTables, memory: bool, root: str) -> MemoryCatalog | None:
    if memory:
        cat = MemoryCatalog()
        cat.add_version("bench", "v1", tables)
        return cat
    import hyperloader
    from hyperloader.store import Dataset

    hyperloader.set_root(root)
    version = Dataset.create("bench").get_current()
    step = 100_000
    for lo in range(0, tables.num_frames, step):  # the store takes frame dicts
        docs = tables.frames["doc"].slice(lo, step).to_pylist()
        version.add_frames([json.loads(d) for d in docs])
    return None


def main() -> None:
    """Run the benchmark in a temporary store root and print the table."""
    with tempfile.TemporaryDirectory(prefix="hl-bench-") as root:
        _run(root)


def _run(root: str) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory", action="store_true", help="in-memory tables, no store")
    args = ap.parse_args()
    check_layout()
    t = time.perf_counter()
    tables = synth_tables(args.frames)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    catalog = _catalog(tables, args.memory, root)
    store_s = time.perf_counter() - t

    def view(**rule) -> DataView:
        dv = DataView(catalog=catalog, iteration_order="random", random_seed=0)
        dv.add_query(dataset_name="bench", **rule)
        return dv

    view().num_entries()  # warm the store's table cache, as a second epoch would

    def count_query() -> int:
        return view(roi_query=ROI_QUERY, frame_query=FRAME_QUERY).get_count()

    first_q_s, _, _ = _median(count_query, 1)
    q_s, count, q_runs = _median(count_query, args.repeat, min_total_s=1.0)
    docs = [json.loads(d) for d in tables.frames["doc"].to_pylist()]
    py_s, py_count, _ = _median(functools.partial(python_count, docs), args.repeat)
    del docs
    if py_count != count:
        raise SystemExit(f"count mismatch: DataView {count} vs Python {py_count}")
    plan_s, dv, _ = _median(lambda: _plan(view()), args.repeat)
    first_s, _, _ = _median(lambda: next(iter(dv)), args.repeat)
    cold_s, _, _ = _median(lambda: next(iter(view())), args.repeat)
    n = dv.num_entries()
    bpf = dv.entry_table().nbytes / n
    print(f"\n{args.frames:,} frames, {tables.rois.num_rows:,} ROIs; "
          f"{'in-memory tables' if args.memory else 'temp-dir store'}; "
          f"median of {args.repeat} runs, of {q_runs} for the DataView count (synth "
          f"{build_s:.1f}s, store write {store_s:.1f}s)\n")
    rows = [("count compound query (DataView)", f"{q_s * 1e3:.1f} ms", f"{count:,} frames",
             f"{py_s / q_s:.0f}x vs loop", "< 1 s, >= 50x"),
            ("count compound query (Python loop)", f"{py_s * 1e3:.1f} ms", f"{py_count:,} frames",
             "1x", ""),
            ("first count on the version (builds query caches)", f"{first_q_s * 1e3:.1f} ms",
             "", f"{py_s / first_q_s:.0f}x vs loop", "< 1 s"),
            ("build plan (all frames, random)", f"{plan_s * 1e3:.1f} ms", f"{n:,} entries", "",
             "< 2 s"),
            ("first frame (plan built)", f"{first_s * 1e3:.1f} ms", "", "", "< 1 s"),
            ("first frame (cold view, incl. plan)", f"{cold_s * 1e3:.1f} ms", "", "", ""),
            ("plan bytes per frame", f"{bpf:.1f} B", f"{dv.entry_table().nbytes:,} B", "",
             "<= 32 B")]
    print("| measure | value | size | ratio | goal |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if not math.isfinite(bpf):
        raise SystemExit("empty plan")


def _plan(dv: DataView) -> DataView:
    dv.plan(0)
    return dv


if __name__ == "__main__":
    main()
