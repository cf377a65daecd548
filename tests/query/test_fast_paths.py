"""The cached fast paths (numpy views, dictionary codes) agree with plain Arrow evaluation.

Each query runs on the same frames laid out several ways: plain tables with the fast paths
off (the Arrow reference), plain tables, dictionary-encoded string columns, and tables
split into chunks, with a different dictionary per chunk.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperloader.query import _derived, compile_frame_query, compile_roi_query
from hyperloader.query._derived import CodedView, NumericView, column_view
from tests.query._query_tables import Tables, make_tables
from tests.query.test_query_property import FRAME, FRAME_QUERY, ROI_QUERY, SETTINGS, _tables
from tests.query.test_query_property import render as render_query

_DICT = pa.dictionary(pa.int32(), pa.string())


@contextmanager
def _arrow_only() -> Iterator[None]:
    _derived.FAST_PATHS = False
    try:
        yield
    finally:
        _derived.FAST_PATHS = True


def _encode(table: pa.Table) -> pa.Table:
    """Dictionary-encode the string and list<string> columns (one dictionary per chunk)."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_string(field.type):
            column = column.cast(_DICT)
        elif pa.types.is_list(field.type) and pa.types.is_string(field.type.value_type):
            column = column.cast(pa.list_(_DICT))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _split(table: pa.Table) -> pa.Table:
    half = table.num_rows // 2
    return pa.concat_tables([table.slice(0, half), table.slice(half)])


LAYOUTS: dict[str, Callable[[pa.Table], pa.Table]] = {
    "plain": lambda t: t,
    "dictionary": _encode,
    "chunked": _split,
    "chunked-dictionary": lambda t: _encode(_split(t)),
}


def _layout(tables: Tables, name: str) -> Tables:
    change = LAYOUTS[name]
    return Tables(change(tables.frames), change(tables.rois), change(tables.sources))


def _agree(evaluate: Callable[[Tables], np.ndarray], tables: Tables, text: str) -> None:
    with _arrow_only():
        expected = evaluate(tables).tolist()
    for name in LAYOUTS:
        laid_out = _layout(tables, name)
        for run in ("builds the cache", "reads the cache"):
            assert evaluate(laid_out).tolist() == expected, (text, name, run)


@SETTINGS
@given(frames=st.lists(FRAME, max_size=8), q=FRAME_QUERY)
def test_frame_query_same_on_every_layout(frames, q):
    text = render_query(q)
    _agree(compile_frame_query(text).evaluate, _tables(frames), text)


@SETTINGS
@given(frames=st.lists(FRAME, max_size=8), q=ROI_QUERY)
def test_roi_query_same_on_every_layout(frames, q):
    text = render_query(q)
    predicate = compile_roi_query(text)
    _agree(predicate.evaluate, _tables(frames), text)
    _agree(predicate.evaluate_frames, _tables(frames), text)


# ---- edge cases the random frames do not reach ------------------------------------------

MANY = [f"l{i:03d}" for i in range(300)]  # more labels than int8 codes hold


def _edge_tables() -> Tables:
    tables = make_tables([
        {"meta": {"cam": "a", "n": 1}, "rois": [{"label": ["l001", "l200"], "confidence": 0.5},
                                               {"label": [], "confidence": None}]},
        {"meta": {"cam": None, "n": None}, "rois": [{"label": MANY[::2]}]},
        {"meta": {"cam": "b", "n": 7}, "rois": [{"label": ["l299"], "confidence": 0.9}]},
        {"meta": {"cam": "a", "n": -3}, "rois": []},
    ])
    # null lists and null elements, which frames_to_tables never writes
    label = pa.array([["l001", None, "l200"], None, MANY[::2], [None]], pa.list_(pa.string()))
    rois = tables.rois.set_column(tables.rois.schema.get_field_index("label"), "label", label)
    return Tables(tables.frames, rois, tables.sources)


@pytest.mark.parametrize("text", [
    "l001", "l200", "l299", "l0*", "l1?0", "/l2[0-9]+/", "*", "label:*", "NOT l001",
    "_exists_:label", "l001 AND confidence:[0.4 TO 0.6]", "l2* OR confidence:>0.8",
])
def test_roi_edge_cases_same_on_every_layout(text):
    _agree(compile_roi_query(text).evaluate, _edge_tables(), text)


@pytest.mark.parametrize("text", [
    "meta.cam:a", "meta.cam:?", "NOT meta.cam:a", "_exists_:meta.cam", "meta.n:[0 TO 7}",
    "meta.n:1", "meta.n:[-3 TO 1]", "meta.n:1.5", "rois.label:l00*",
    "rois:(label:l2* AND confidence:*)",
])
def test_frame_edge_cases_same_on_every_layout(text):
    _agree(compile_frame_query(text).evaluate, _edge_tables(), text)


def test_views_chosen_per_column():
    tables = _edge_tables()
    assert isinstance(column_view(tables.rois, "label"), CodedView)
    assert column_view(tables.rois, "label").codes.dtype == np.int16
    assert isinstance(column_view(tables.frames, "meta.cam"), CodedView)
    assert isinstance(column_view(tables.frames, "meta.n"), NumericView)
    assert isinstance(column_view(tables.rois, "confidence"), NumericView)


def test_distinct_strings_stay_on_arrow():
    ids = [f"f{i:05d}" for i in range(2000)]
    tables = make_tables([{"id": i} for i in ids])
    assert column_view(tables.frames, "id") is None
    got = compile_frame_query("id:f0199* OR id:f01999").evaluate(tables)
    assert np.flatnonzero(got).tolist() == list(range(1990, 2000))


def test_cache_is_built_once_per_table_and_dropped_with_it(monkeypatch):
    built = []
    build = _derived._build_view
    monkeypatch.setattr(_derived, "_build_view", lambda t, c: built.append(c) or build(t, c))
    tables = _edge_tables()
    predicate = compile_roi_query("l001 AND confidence:[0.4 TO 0.6]")
    first = predicate.evaluate(tables).tolist()
    assert predicate.evaluate(tables).tolist() == first
    assert sorted(built) == ["confidence", "label"]
    key = id(tables.rois)
    assert key in _derived._CACHES
    del tables
    gc.collect()
    assert key not in _derived._CACHES
