"""ROI queries: a plain label, a list of labels, or Lucene evaluated per ROI."""

from __future__ import annotations

import pytest

from hyperloader.errors import QuerySyntaxError
from hyperloader.query import compile_roi_query
from hyperloader.query._roi import is_plain_label
from tests.query._query_tables import hits, make_tables, sample_tables

# ROIs: r0 [car] .9 | r1 [person, partly_occluded] .3 | r2 [car] .2 | r3 [tennis racket] .7
#       r4 [dog] -  | r5 [] .8 | r6 [Car] .5 | r7 [cat, dog] 1.0
CASES = [
    ("car", [0, 2]),
    ("Car", [6]),
    ("  car ", [0, 2]),
    ("tennis racket", [3]),
    ("cat dog", []),  # a plain label with a space, not "cat AND dog"
    ("partly_occluded", [1]),
    (["person", "partly_occluded"], [1]),
    (["cat", "dog"], [7]),
    (("dog",), [4, 7]),
    (["car", "car"], [0, 2]),
    ('label:"car" AND NOT label:"partly_occluded"', [0, 2]),
    ("NOT label:partly_occluded", [0, 2, 3, 4, 5, 6, 7]),
    ("-person", [0, 2, 3, 4, 5, 6, 7]),
    ("cat AND dog", [7]),
    ("cat dog AND *:*", [7]),
    ("car OR dog", [0, 2, 4, 7]),
    ('"tennis racket"', [3]),
    ("label:(cat OR person)", [1, 7]),
    ("ca*", [0, 2, 7]),
    ("C*", [6]),
    ("?og", [4, 7]),
    ("confidence:[0.5 TO 1]", [0, 3, 5, 6, 7]),
    ("confidence:{0.5 TO 1}", [0, 3, 5]),
    ("confidence:>0.5", [0, 3, 5, 7]),
    ("confidence:>-0.5", [0, 1, 2, 3, 5, 6, 7]),
    ("confidence:<-0.5", []),
    ("confidence:>=-1e0 AND car", [0, 2]),
    ("NOT confidence:[0 TO 1]", [4]),
    ("label:car confidence:>0.5", [0]),
    ("car AND confidence:[0.5 TO 1]", [0]),
    ("meta.occ:true", [1]),
    ("meta.occ:false", [0, 7]),
    ("NOT meta.occ:true", [0, 2, 3, 4, 5, 6, 7]),
    ("_exists_:label", [0, 1, 2, 3, 4, 6, 7]),
    ("label:*", [0, 1, 2, 3, 4, 6, 7]),
    ("NOT _exists_:label", [5]),
    ("_exists_:meta.nope", []),
    ("*:*", [0, 1, 2, 3, 4, 5, 6, 7]),
]


@pytest.fixture(scope="module")
def tables():
    return sample_tables()


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
def test_roi_query(tables, query, expected):
    mask = compile_roi_query(query).evaluate(tables)
    assert mask.dtype == bool
    assert mask.shape == (tables.rois.num_rows,)
    assert hits(mask) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("car", [0, 1]),
    (["cat", "dog"], [4]),
    ("car AND confidence:<0.5", [1]),
    ("NOT car", [0, 1, 3, 4]),  # any ROI that is not a car; frame 2 has no ROIs
    ("*:*", [0, 1, 3, 4]),
])
def test_evaluate_frames_is_any_roi(tables, query, expected):
    mask = compile_roi_query(query).evaluate_frames(tables)
    assert mask.shape == (tables.frames.num_rows,)
    assert hits(mask) == expected


@pytest.mark.parametrize(("text", "plain"), [
    ("cat", True), ("tennis racket", True), ("partly_occluded", True), ("x-ray", True),
    ("label:cat", False), ('"cat"', False), ("ca*", False), ("cat AND dog", False),
    ("NOT cat", False), ("-cat", False), ("(cat)", False), ("", False), ("   ", False),
])
def test_is_plain_label(text, plain):
    assert is_plain_label(text) is plain


def test_list_text_is_equivalent_lucene(tables):
    listed = compile_roi_query(["person", "partly_occluded"])
    assert listed.text == 'label:"person" AND label:"partly_occluded"'
    assert compile_roi_query(listed.text) == listed


def test_label_with_special_characters_via_list():
    tables = make_tables([{"rois": [{"label": "a:b"}, {"label": "a(b)"}, {"label": "a"}]}])
    assert hits(compile_roi_query(["a:b"]).evaluate(tables)) == [0]
    assert hits(compile_roi_query(["a(b)"]).evaluate(tables)) == [1]
    assert hits(compile_roi_query('"a:b"').evaluate(tables)) == [0]


@pytest.mark.parametrize("bad", [[], [""], ["cat", ""]])
def test_empty_label_list_is_an_error(bad):
    with pytest.raises(QuerySyntaxError, match="label list"):
        compile_roi_query(bad)


@pytest.mark.parametrize("bad", [5, [1, 2], None, {"label": "x"}])
def test_roi_query_type_error(bad):
    with pytest.raises(TypeError):
        compile_roi_query(bad)


@pytest.mark.parametrize("query", ["rois.label:car", "id:x", "sources.uri:x", "rois:(label:x)"])
def test_frame_fields_are_unknown_in_roi_queries(query):
    with pytest.raises(QuerySyntaxError, match="unknown field"):
        compile_roi_query(query)
