"""Compiled predicates: fingerprint, fields, equality, pickling, validate, public API."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pytest

import hyperloader.query as query_pkg
from hyperloader.errors import QuerySyntaxError
from hyperloader.query import (
    FramePredicate,
    RoiPredicate,
    compile_frame_query,
    compile_roi_query,
    compile_source_query,
)
from tests.query._query_tables import Tables, make_tables, sample_tables


@pytest.fixture(scope="module")
def tables():
    return sample_tables()


@pytest.mark.parametrize(("compile_fn", "variants"), [
    (compile_roi_query, ["car", ["car"], "label:car", '  label:"car" ', "(car)", "+car"]),
    (compile_roi_query, [["cat", "dog"], "cat AND dog", "label:cat label:dog",
                         "(label:cat) AND (label:dog)"]),
    (compile_frame_query, ["rois.confidence:>=0.5", "rois.confidence:[0.5 TO *]",
                           "rois.confidence:[0.5 TO *}", "rois:(confidence:>=0.5)"]),
    (compile_frame_query, ["meta.a:1 meta.b:2 meta.c:3", "meta.a:1 AND (meta.b:2 AND meta.c:3)",
                           "((meta.a:1 AND meta.b:2)) AND meta.c:3"]),
    (compile_frame_query, ["meta.a:(x OR y)", "meta.a:x OR meta.a:y", "(meta.a:x) OR meta.a:y"]),
    (compile_frame_query, ["NOT meta.a:x", "-meta.a:x", "NOT (meta.a:x)"]),
    (compile_frame_query, ["meta.n:-5", "meta.n:\"-5\"", r"meta.n:\-5"]),
    (compile_frame_query, ["*", "*:*", "(*:*)"]),
])
def test_equivalent_spellings_share_a_fingerprint(compile_fn, variants):
    predicates = [compile_fn(v) for v in variants]
    assert len({p.fingerprint for p in predicates}) == 1
    assert len(set(predicates)) == 1


@pytest.mark.parametrize(("query", "fingerprint"), [
    ("rois.label:car AND rois.confidence:[0.5 TO 1] AND meta.speed:[10 TO 50]",
     'rois.label:"car" AND rois.confidence:[0.5 TO 1] AND meta.speed:[10 TO 50]'),
    ("a:1 OR b:2 AND NOT c:3".replace("a:", "meta.a:").replace("b:", "meta.b:")
     .replace("c:", "meta.c:"), 'meta.a:"1" OR (meta.b:"2" AND NOT meta.c:"3")'),
    ("meta.w:s*n? meta.n:{1 TO 2]", 'meta.w:s*n? AND meta.n:{1 TO 2]'),
    (r"meta.w:a\*b*", r"meta.w:a\*b*"),
    ("meta.t:[2021-01-01 TO 2021-02-01T10:00:00}",
     'meta.t:[2021-01-01 TO "2021-02-01T10:00:00"}'),
    ('meta.s:"say \\"hi\\""', 'meta.s:"say \\"hi\\""'),
    ("_exists_:rois.meta.x -meta.y:*", "_exists_:rois.meta.x AND NOT meta.y:*"),
    ("rois:(label:a OR label:b) sources.uri:/s3:.*/",
     'rois:(label:"a" OR label:"b") AND sources.uri:/s3:.*/'),
    ("meta.n:[-2 TO -1]", "meta.n:[-2 TO -1]"),
    (r"sources.uri:/s3:\/\/.*/", r"sources.uri:/s3:\/\/.*/"),
    (r"meta.s:a\ b*", r"meta.s:a\ b*"),
])
def test_fingerprint_text(query, fingerprint):
    predicate = compile_frame_query(query)
    assert predicate.fingerprint == fingerprint
    assert predicate.text == query
    assert compile_frame_query(fingerprint).fingerprint == fingerprint


def test_different_kinds_are_not_equal():
    assert compile_frame_query("id:x") != compile_source_query("id:x")
    assert compile_frame_query("id:x").fingerprint == compile_source_query("id:x").fingerprint
    assert compile_frame_query("meta.a:x") != compile_frame_query("meta.a:y")


def test_fields():
    predicate = compile_frame_query(
        "rois.label:car AND rois.confidence:>0.5 AND meta.speed:[10 TO 50] "
        "AND rois:(meta.occ:true) AND _exists_:sources.preview_uri AND *:*")
    assert predicate.fields == ("meta.speed", "rois.confidence", "rois.label", "rois.meta.occ",
                                "sources.preview_uri")
    assert compile_roi_query(["a", "b"]).fields == ("label",)
    assert compile_source_query("uri:x meta.c:y").fields == ("meta.c", "uri")
    assert compile_frame_query("*:*").fields == ()


@pytest.mark.parametrize("predicate", [
    compile_roi_query("car AND confidence:[0.5 TO 1]"),
    compile_roi_query(["person", "partly_occluded"]),
    compile_frame_query("rois:(label:car AND confidence:<0.5) OR meta.when:2021-05-01"),
    compile_source_query("uri:*.jpg AND width:>=600"),
])
def test_predicates_pickle(tables, predicate):
    _ = predicate.fingerprint, predicate.fields  # cached values travel too
    clone = pickle.loads(pickle.dumps(predicate))
    assert type(clone) is type(predicate)
    assert clone == predicate
    assert (clone.text, clone.fingerprint, clone.fields, clone.kind) == (
        predicate.text, predicate.fingerprint, predicate.fields, predicate.kind)
    np.testing.assert_array_equal(clone.evaluate(tables), predicate.evaluate(tables))


def test_repr_and_types():
    assert isinstance(compile_roi_query("car"), RoiPredicate)
    assert isinstance(compile_frame_query("id:x"), FramePredicate)
    assert repr(compile_roi_query("car")) == "RoiPredicate(roi: 'label:\"car\"')"


def test_validate_accepts_tables_mappings_and_schemas(tables):
    frame = compile_frame_query("meta.speed:[1 TO 2] AND rois.meta.occ:true")
    frame.validate(tables)
    frame.validate({"frames": tables.frames.schema, "rois": tables.rois})
    with pytest.raises(QuerySyntaxError, match="needs the rois table"):
        frame.validate(tables.frames.schema)
    roi = compile_roi_query("meta.occ:true")
    roi.validate(tables.rois.schema)
    with pytest.raises(QuerySyntaxError, match="meta key 'occ'"):
        roi.validate(pa.schema([("label", pa.list_(pa.string()))]))
    with pytest.raises(QuerySyntaxError, match="type mismatch"):
        compile_roi_query("meta.occ:maybe").validate(tables)
    with pytest.raises(TypeError):
        roi.validate({"rois": 5})


def test_validate_reads_no_data():
    schema = pa.schema([("id", pa.string()), ("meta.n", pa.int64())])
    compile_frame_query("meta.n:[1 TO 5] AND id:x*").validate(schema)
    with pytest.raises(QuerySyntaxError, match="has no column 'context_id'"):
        compile_frame_query("context_id:x").validate(schema)


def test_unqueryable_column_type():
    schema = pa.schema([("meta.blob", pa.binary())])
    with pytest.raises(QuerySyntaxError, match="queries cannot compare"):
        compile_frame_query("meta.blob:x").validate(schema)


def test_all_null_column_never_matches():
    frames = pa.table({"id": ["a", "b"], "meta.x": pa.nulls(2)})
    empty = make_tables([])
    tables = Tables(frames, empty.rois, empty.sources)
    assert not compile_frame_query("meta.x:anything").evaluate(tables).any()
    assert compile_frame_query("NOT meta.x:[1 TO 2]").evaluate(tables).all()


def test_public_api():
    assert query_pkg.__all__ == sorted(query_pkg.__all__)
    for name in query_pkg.__all__:
        obj = getattr(query_pkg, name)
        assert obj.__doc__, name
    for cls in (RoiPredicate, FramePredicate):
        for attr in ("evaluate", "validate"):
            assert getattr(cls, attr).__doc__


def test_tables_without_chunks(tables):
    def unchunked(table: pa.Table) -> pa.Table:
        return pa.Table.from_batches([], schema=table.schema)

    empty = Tables(unchunked(tables.frames), unchunked(tables.rois), unchunked(tables.sources))
    for query in ("rois.label:car", "NOT meta.n:1", "meta.weather:s*", "rois:(label:a)",
                  "sources.mask_uris:x", "_exists_:rois.label", "*:*"):
        assert compile_frame_query(query).evaluate(empty).shape == (0,)
    assert compile_roi_query("car").evaluate(empty).shape == (0,)
    assert compile_roi_query("car").evaluate_frames(empty).shape == (0,)


def test_regex_round_trip(tables):
    predicate = compile_frame_query(r"sources.uri:/s3:\/\/b\/f[01].*/")
    assert predicate.evaluate(tables).tolist() == [True, True, False, False, False]
    assert compile_frame_query(predicate.fingerprint) == predicate
