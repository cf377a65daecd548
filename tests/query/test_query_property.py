"""Property test: the vectorised evaluator agrees with a naive per-row Python evaluator.

Random frames and random queries from a small grammar (tuples); each query is rendered to
Lucene text, compiled, evaluated, and compared with ``naive`` walking the same tuple.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperloader.query import compile_frame_query, compile_roi_query, compile_source_query
from tests.query._query_tables import make_tables

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
META_TYPES = {"n": pa.int64(), "s": pa.string(), "b": pa.bool_(), "f": pa.float64()}
WORDS = ["ab", "abc", "b", "a b"]

# ---- naive evaluator over plain dict rows ---------------------------------------------


def naive(q, row) -> bool:
    kind = q[0]
    if kind == "and":
        return naive(q[1], row) and naive(q[2], row)
    if kind == "or":
        return naive(q[1], row) or naive(q[2], row)
    if kind == "not":
        return not naive(q[1], row)
    if kind in ("sub", "group"):  # any row of the sub-table
        return any(naive(q[2], sub) for sub in row[q[1]])
    value = row.get(q[1])
    values = [v for v in (value if isinstance(value, list) else [value]) if v is not None]
    if kind == "exists":
        return bool(values)
    if kind == "eq":
        return any(v == q[2] and type(v) is type(q[2]) for v in values)
    if kind == "wild":
        return any(fnmatchcase(v, q[2]) for v in values)
    _, _, low, high, include_low, include_high = q
    return any((low is None or (v >= low if include_low else v > low))
               and (high is None or (v <= high if include_high else v < high)) for v in values)


# ---- rendering the same tuples as Lucene text -----------------------------------------


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v) if isinstance(v, str) else str(v)


def render(q, prefix: str = "", style: int = 0) -> str:
    kind = q[0]
    if kind in ("and", "or"):
        op = " OR " if kind == "or" else (" " if style % 2 else " AND ")
        return f"({render(q[1], prefix, style)}{op}{render(q[2], prefix, style + 1)})"
    if kind == "not":
        return ("-" if style % 3 == 0 else "NOT ") + render(q[1], prefix, style + 1)
    if kind == "sub":
        return render(q[2], f"{q[1]}.", style)
    if kind == "group":
        return f"{q[1]}:({render(q[2], '', style)})"
    field = prefix + q[1]
    if kind == "exists":
        return f"_exists_:{field}"
    if kind in ("eq", "wild"):
        value = _value(q[2]) if kind == "eq" else q[2].replace(":", "\\:").replace("/", "\\/")
        return f"{field}:{value}"
    _, _, low, high, include_low, include_high = q
    if style % 2 and (low is None) != (high is None):
        bound = low if high is None else high
        op = (">" if high is None else "<") + ("=" if (include_low if high is None
                                                       else include_high) else "")
        return f"{field}:{op}{bound}"
    brackets = ("[" if include_low else "{", "]" if include_high else "}")
    low_text = "*" if low is None else str(low)
    high_text = "*" if high is None else str(high)
    return f"{field}:{brackets[0]}{low_text} TO {high_text}{brackets[1]}"


# ---- strategies -----------------------------------------------------------------------


def _range(field, numbers):
    return st.tuples(st.just("range"), st.just(field), st.none() | numbers, st.none() | numbers,
                     st.booleans(), st.booleans())


def _combine(children):
    return st.one_of(
        st.tuples(st.just("and"), children, children),
        st.tuples(st.just("or"), children, children),
        st.tuples(st.just("not"), children),
    )


CONFIDENCES = st.sampled_from([0.1, 0.5, 0.9])
ROI_LEAF = st.one_of(
    st.tuples(st.just("eq"), st.just("label"), st.sampled_from(["car", "cat", "dog"])),
    st.tuples(st.just("wild"), st.just("label"), st.sampled_from(["c*", "?og", "*a*"])),
    st.tuples(st.just("exists"), st.sampled_from(["label", "confidence", "meta.k"])),
    _range("confidence", CONFIDENCES),
    st.tuples(st.just("eq"), st.just("meta.k"), st.integers(0, 2)),
)
ROI_QUERY = st.recursive(ROI_LEAF, _combine, max_leaves=4)
SOURCE_LEAF = st.one_of(
    st.tuples(st.just("wild"), st.just("uri"), st.sampled_from(["*.jpg", "s3://*", "*"])),
    st.tuples(st.just("eq"), st.just("uri"), st.just("s3://b.png")),
    _range("width", st.sampled_from([100, 300, 640])),
)
FRAME_LEAF = st.one_of(
    st.tuples(st.just("eq"), st.just("meta.n"), st.integers(-2, 3)),
    st.tuples(st.just("eq"), st.just("meta.s"), st.sampled_from(WORDS)),
    st.tuples(st.just("wild"), st.just("meta.s"), st.sampled_from(["a*", "*b", "?b", "a?c", "*"])),
    st.tuples(st.just("eq"), st.just("meta.b"), st.booleans()),
    _range("meta.n", st.integers(-2, 3)),
    _range("meta.f", st.sampled_from([0.0, 0.5, 1.0, 2.5])),
    st.tuples(st.just("exists"), st.sampled_from(["meta.n", "meta.s", "meta.b", "meta.f"])),
    st.tuples(st.just("sub"), st.just("rois"), ROI_LEAF),
    st.tuples(st.just("sub"), st.just("sources"), SOURCE_LEAF),
    st.tuples(st.just("group"), st.just("rois"), ROI_QUERY),
)
FRAME_QUERY = st.recursive(FRAME_LEAF, _combine, max_leaves=6)

ROI = st.fixed_dictionaries({
    "label": st.lists(st.sampled_from(["car", "cat", "dog"]), max_size=2, unique=True),
    "confidence": st.none() | CONFIDENCES,
    "meta": st.fixed_dictionaries({"k": st.none() | st.integers(0, 2)}),
})
SOURCE = st.fixed_dictionaries({
    "uri": st.none() | st.sampled_from(["s3://a.jpg", "s3://b.png", "http://c.jpg"]),
    "width": st.none() | st.sampled_from([100, 300, 640]),
})
FRAME = st.fixed_dictionaries({
    "meta": st.fixed_dictionaries({
        "n": st.none() | st.integers(-2, 3), "s": st.none() | st.sampled_from(WORDS),
        "b": st.none() | st.booleans(), "f": st.none() | st.sampled_from([0.0, 0.5, 1.0, 2.5]),
    }),
    "rois": st.lists(ROI, max_size=3),
    "sources": st.lists(SOURCE, max_size=2),
})


def _tables(frames):
    return make_tables(frames, meta_types=META_TYPES, roi_meta_types={"k": pa.int64()})


def _roi_row(roi):
    return {"label": roi["label"], "confidence": roi["confidence"], "meta.k": roi["meta"]["k"]}


def _frame_row(frame):
    return {**{f"meta.{k}": v for k, v in frame["meta"].items()},
            "rois": [_roi_row(r) for r in frame["rois"]], "sources": frame["sources"]}


@SETTINGS
@given(frames=st.lists(FRAME, max_size=6), q=FRAME_QUERY)
def test_frame_query_matches_naive(frames, q):
    text = render(q)
    predicate = compile_frame_query(text)
    tables = _tables(frames)
    expected = [naive(q, _frame_row(f)) for f in frames]
    assert predicate.evaluate(tables).tolist() == expected, text
    again = compile_frame_query(predicate.fingerprint)
    assert again.fingerprint == predicate.fingerprint
    assert again.evaluate(tables).tolist() == expected


@SETTINGS
@given(frames=st.lists(FRAME, max_size=6), q=ROI_QUERY, bare=st.booleans())
def test_roi_query_matches_naive(frames, q, bare):
    text = render(q)
    if bare:  # the default field: "label:car" may be written "car"
        text = text.replace("label:", "")
    predicate = compile_roi_query(text)
    tables = _tables(frames)
    rows = [_roi_row(r) for f in frames for r in f["rois"]]
    assert predicate.evaluate(tables).tolist() == [naive(q, row) for row in rows], text
    per_frame = [any(naive(q, _roi_row(r)) for r in f["rois"]) for f in frames]
    assert predicate.evaluate_frames(tables).tolist() == per_frame, text
    assert compile_roi_query(predicate.fingerprint).evaluate(tables).tolist() == \
        predicate.evaluate(tables).tolist()


@SETTINGS
@given(frames=st.lists(FRAME, max_size=6), q=st.recursive(SOURCE_LEAF, _combine, max_leaves=4))
def test_source_query_matches_naive(frames, q):
    text = render(q)
    tables = _tables(frames)
    expected = [any(naive(q, s) for s in f["sources"]) for f in frames]
    assert compile_source_query(text).evaluate(tables).tolist() == expected, text
