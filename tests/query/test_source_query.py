"""Source queries: a frame matches when any one of its sources matches the whole query."""

from __future__ import annotations

import pytest

from hyperloader.errors import QuerySyntaxError
from hyperloader.query import FramePredicate, compile_source_query
from tests.query._query_tables import hits, sample_tables

# s0 F0 front f0.jpg 640 | s1 F1 front f1.png 320 | s2 F1 rear f1_rear.jpg 1920
# s3 F3 front x3.jpg (no width, preview) | s4 F4 front f4.jpg 640
CASES = [
    ("uri:*.jpg AND width:>=600", [0, 1, 4]),
    ("id:front AND uri:*.png", [1]),
    ("id:front AND width:>=1000", []),  # the wide source of frame 1 is not the front one
    ("NOT id:front", [1]),
    ("uri:*.jpg", [0, 1, 3, 4]),
    ("content_type:image/png", [1]),
    ("height:[200 TO 500]", [0, 1, 4]),
    ("timestamp:*", []),
    ("mask_uris:*m0*", [0]),
    ("_exists_:mask_uris", [0, 4]),
    ("meta.camera:cam1", [0]),
    ("_exists_:preview_uri", [3]),
    ("preview_uri:http*", [3]),
    ("*:*", [0, 1, 3, 4]),
]


@pytest.fixture(scope="module")
def tables():
    return sample_tables()


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] for c in CASES])
def test_source_query(tables, query, expected):
    predicate = compile_source_query(query)
    assert isinstance(predicate, FramePredicate)
    assert predicate.kind == "source"
    mask = predicate.evaluate(tables)
    assert mask.shape == (tables.frames.num_rows,)
    assert hits(mask) == expected


@pytest.mark.parametrize("query", ["rois.label:car", "sources.uri:x", "label:x", "frame:x"])
def test_unknown_source_fields(query):
    with pytest.raises(QuerySyntaxError, match="unknown field") as info:
        compile_source_query(query)
    assert "uri" in str(info.value)


def test_source_query_needs_fields():
    with pytest.raises(QuerySyntaxError, match="has no field"):
        compile_source_query("front")
