"""Errors: syntax with a caret, unknown fields and meta keys, type mismatches."""

from __future__ import annotations

import pickle

import pytest

from hyperloader.errors import QuerySyntaxError
from hyperloader.query import compile_frame_query, compile_roi_query, compile_source_query
from tests.query._query_tables import sample_tables


@pytest.fixture(scope="module")
def tables():
    return sample_tables()


def _error(compile_fn, query, tables=None) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        predicate = compile_fn(query)
        predicate.evaluate(tables)
    err = info.value
    assert err.query == query
    assert repr(query) in str(err)
    if err.position is not None:
        # the excerpt repeats the query and puts a caret under the position
        lines = str(err).splitlines()
        assert lines[-2] == f"  {query}"
        assert lines[-1] == "  " + " " * err.position + "^"
    return err


@pytest.mark.parametrize(("query", "position", "expected"), [
    ("rois.label:car AND", 18, "expected a term"),
    ("meta.x:", 7, "expected a term"),
    ("(rois.label:car OR rois.label:dog", 33, "expected ')' to close the '(' at position 0"),
    ("rois.label:car)", 14, "unmatched ')'"),
    ("meta.n:[1 TO", 12, "expected ']' or '}' to close the '[' at position 7"),
    ("meta.n:[1 TO 2", 14, "expected ']' or '}'"),
    ("meta.n:[1 2]", 10, "expected 'TO'"),
    ("meta.n:[1 TO 2 3]", 15, "expected ']' or '}'"),
    ("AND id:x", 0, "unexpected 'AND'"),
    ("id:x OR OR id:y", 8, "unexpected 'OR'"),
    ("id:x AND (", 10, "expected ')' to close the '(' at position 9"),
    ("meta.n:>", 8, "expected a value"),
    ("meta.n:>=-", 9, "write a signed bound as >=-5"),
    ("meta.n:>=- 5", 9, "write a signed bound as >=-5"),
    ("meta.n:<--5", 8, "write a signed bound as >=-5"),
    ("meta.n:>-(5)", 8, "write a signed bound as >=-5"),
    ("meta.n:>=-5 AND", 15, "expected a term"),
    ('id:"abc', 3, "unterminated phrase"),
    ("id:/abc", 3, "unterminated regular expression"),
    ("id:'abc'", 3, "double quotes"),
    ("", 0, "empty query"),
    ("   ", 0, "empty query"),
])
def test_syntax_errors_have_a_caret(query, position, expected):
    err = _error(compile_frame_query, query)
    assert err.position == position
    assert expected in err.reason


def test_syntax_error_message_shape():
    with pytest.raises(QuerySyntaxError) as info:
        compile_roi_query("label:(cat OR")
    assert str(info.value) == (
        "invalid query 'label:(cat OR': unexpected end of query: expected ')' to close "
        "the '(' at position 6\n  label:(cat OR\n" + " " * (2 + 13) + "^")


@pytest.mark.parametrize(("query", "position", "names"), [
    ("foo:1", 0, ["rois.label", "meta.<key>", "sources.uri"]),
    ("roi.label:x", 0, ["did you mean 'rois.label'"]),
    ("meta.n:1 AND rois.labels:car", 13, ["did you mean 'rois.label'"]),
    ("rois.meta:x", 0, ["unknown field 'rois.meta'"]),
    ("meta.:x", 0, ["unknown field 'meta.'"]),
    ("sources.url:x", 0, ["did you mean 'sources.uri'"]),
    ("_exists_:foo", 9, ["unknown field 'foo'"]),
    ("rois:(rois.label:x)", 6, ["unknown field 'rois.label'"]),
    ("label:car", 0, ["rois.label"]),
])
def test_unknown_fields_fail_at_compile_time(query, position, names):
    err = _error(compile_frame_query, query)
    assert err.position == position
    for name in names:
        assert name in err.reason


def test_unknown_meta_key_names_key_and_lists_known(tables):
    predicate = compile_frame_query("meta.n:1 AND meta.wheather:sunny")  # compiles
    err = _error(compile_frame_query, "meta.n:1 AND meta.wheather:sunny", tables)
    assert err.position == 13
    assert "'wheather'" in err.reason
    assert "did you mean 'weather'" in err.reason
    assert "flag, n, note, pattern, speed, weather, when" in err.reason
    with pytest.raises(QuerySyntaxError):
        predicate.validate(tables)


@pytest.mark.parametrize(("compile_fn", "query", "key"), [
    (compile_frame_query, "rois.meta.occluded:true", "occluded"),
    (compile_roi_query, "meta.ocl:true", "ocl"),
    (compile_source_query, "meta.cam:x", "cam"),
    (compile_frame_query, "NOT meta.nope:1", "nope"),
    (compile_frame_query, "meta.nope:*", "nope"),
])
def test_unknown_meta_key_is_never_silent(tables, compile_fn, query, key):
    err = _error(compile_fn, query, tables)
    assert f"meta key {key!r}" in err.reason


def test_unknown_meta_key_inside_exists_is_false(tables):
    assert not compile_frame_query("_exists_:rois.meta.nope").evaluate(tables).any()


@pytest.mark.parametrize(("query", "position", "what"), [
    ("meta.speed:fast", 11, "'fast' is not a number"),
    ("timestamp:[a TO 5]", 10, "'a' is not a number"),
    ("meta.n:[1 TO x]", 7, "'x' is not a number"),
    ("meta.weather:[a TO b]", 13, "ranges need a numeric or timestamp field"),
    ("meta.note:[2021-01-01 TO 2022-01-01]", 10, "ranges need a numeric or timestamp"),
    ("id:>f1", 3, "ranges need a numeric or timestamp field"),
    ("rois.label:[a TO b]", 11, "ranges need a numeric or timestamp field"),
    ("meta.flag:[0 TO 1]", 10, "ranges need a numeric or timestamp field"),
    ("meta.flag:yes", 10, "'yes' is not true or false"),
    ("meta.n:5*", 7, "wildcards need a string field"),
    ("meta.n:/5/", 7, "regular expressions need a string field"),
    ("meta.when:yesterday", 10, "is not an ISO-8601 date"),
    ("meta.when:[2021-01-01 TO 5]", 10, "'5' is not an ISO-8601 date"),
    ("meta.when:1620000000000", 10, "is not an ISO-8601 date"),
    ("rois.confidence:high", 16, "not a number"),
    ("sources.width:wide", 14, "not a number"),
    ("meta.n:>=-x", 7, "'-x' is not a number"),
    ("meta.when:>-2021-05-01", 10, "'-2021-05-01' is not an ISO-8601 date"),
    ("meta.weather:<-5", 13, "ranges need a numeric or timestamp field"),
])
def test_type_mismatch(tables, query, position, what):
    err = _error(compile_frame_query, query, tables)
    assert err.position == position
    assert what in err.reason


def test_bad_regex(tables):
    err = _error(compile_frame_query, "id:/f(/", tables)
    assert "bad regular expression" in err.reason
    assert err.position == 3


@pytest.mark.parametrize(("query", "position", "what"), [
    ("f1", 0, "has no field"),
    ('"f1"', 0, "has no field"),
    ("[1 TO 2]", 0, "has no field"),
    ("id:x car", 5, "has no field"),
    ("meta.weather:sunny and meta.n:5", 19, "write AND"),
    ("meta.n:1 or meta.n:2", 9, "write OR"),
    ("meta.n:1 && meta.n:2", 9, "write AND instead of '&&'"),
    ("meta.n:1 || meta.n:2", 9, "write OR instead of '||'"),
    ("!meta.n:1", 0, "write NOT instead of '!'"),
    ("meta.n:(meta.m:1)", 8, "nested inside the field 'meta.n'"),
    ("meta.n:meta.m:1", 7, "nested inside"),
    ("rois:car", 5, "rois:( ... )"),
    ("id:car~", 3, "fuzzy"),
    ('id:"a b"~2', 3, "proximity"),
    ("id:car^2", 3, "boosts"),
    ("*:x", 0, "'*:*'"),
    ("_exists_:(a OR b)", 9, "_exists_ takes a field name"),
])
def test_unsupported_or_ambiguous(query, position, what):
    err = _error(compile_frame_query, query)
    assert err.position == position
    assert what in err.reason


def test_errors_pickle():
    with pytest.raises(QuerySyntaxError) as info:
        compile_frame_query("foo:1")
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value)
    assert (clone.query, clone.position) == ("foo:1", 0)
    assert isinstance(clone, ValueError)


@pytest.mark.parametrize("bad", [None, 5, ["id:x"]])
def test_non_string_frame_queries(bad):
    with pytest.raises(TypeError):
        compile_frame_query(bad)
    with pytest.raises(TypeError):
        compile_source_query(bad)
