"""Frame queries: every Lucene feature against the hand-built sample with known answers."""

from __future__ import annotations

import pyarrow as pa
import pytest

from hyperloader.query import compile_frame_query
from tests.query._query_tables import Tables, hits, make_tables, sample_tables

CASES = [
    # plain fields, wildcards, regex
    ("id:f1", [1]),
    ('id:"f1"', [1]),
    ("id:f*", [0, 1, 2, 4]),
    ("id:?3", [3]),
    ("id:F*", []),
    ("id:/f[0-2]/", [0, 1, 2]),
    ("id:/f/", []),
    ("context_id:a", [0, 1]),
    # numeric ranges, every bracket form and the comparison operators
    ("timestamp:300", [2]),
    ("timestamp:[200 TO 400]", [1, 2, 3]),
    ("timestamp:{200 TO 400}", [2]),
    ("timestamp:[200 TO 400}", [1, 2]),
    ("timestamp:{200 TO 400]", [2, 3]),
    ("timestamp:[* TO 200]", [0, 1]),
    ("timestamp:[400 TO *]", [3, 4]),
    ("timestamp:>=400", [3, 4]),
    ("timestamp:>400", [4]),
    ("timestamp:<200", [0]),
    ("timestamp:<=200", [0, 1]),
    ("meta.speed:[10 TO 50]", [0, 2, 4]),
    ("meta.speed:{10 TO 50]", [0, 2]),
    ("meta.speed:35.5", [2]),
    ("meta.n:5", [0]),
    ("meta.n:5.0", [0]),
    ("meta.n:5.5", []),
    ("meta.n:-3", [4]),
    ("meta.n:[-5 TO 0]", [4]),
    ("meta.n:[0.5 TO 6.5]", [0]),
    # a signed number right after a comparison operator
    ("meta.n:>=-5", [0, 1, 2, 4]),
    ("meta.n:>=-3", [0, 1, 2, 4]),
    ("meta.n:>-3", [0, 1, 2]),
    ("meta.n:<-2.5", [4]),
    ("meta.n:<=-3", [4]),
    ("meta.n:<-3", []),
    ("meta.n:>-1e3", [0, 1, 2, 4]),
    ("meta.n:<-1E-3", [4]),
    ("meta.n:>= -5", [0, 1, 2, 4]),
    ("meta.n:>=+5", [0, 1, 2]),
    ("meta.speed:>-10.5 AND meta.n:<-1", [4]),
    ("meta.weather:sunny -meta.n:<-1", [0]),
    ("meta.n:(>=-5 AND <0)", [4]),
    ("rois:(confidence:>-1 AND label:car)", [0, 1]),
    ("timestamp:>-1", [0, 1, 2, 3, 4]),
    # booleans
    ("meta.flag:true", [0, 4]),
    ("meta.flag:TRUE", [0, 4]),
    ("meta.flag:false", [1, 2]),
    ("NOT meta.flag:true", [1, 2, 3]),
    # strings: exact, phrase, wildcards are case-sensitive
    ("meta.weather:sunny", [0, 4]),
    ('meta.weather:"sunny"', [0, 4]),
    ("meta.weather:s*", [0, 4]),
    ("meta.weather:S*", []),
    ("meta.weather:r?in", [1]),
    ("meta.weather:sun", []),
    ("NOT meta.weather:sunny", [1, 2, 3]),
    # literal '*', '?', '%' and '_' in values
    (r"meta.pattern:a\*b", [2]),
    ('meta.pattern:"a*b"', [2]),
    ("meta.pattern:a*b", [1, 2]),
    ("meta.pattern:a?b", [1, 2]),
    ("meta.pattern:a_b", []),
    ("meta.pattern:1%", []),
    ("meta.pattern:100%*", [0]),
    ("meta.pattern:1?0%_x", [0]),
    # dates against a timestamp column; a bare date is the whole UTC day
    ("meta.when:2021-05-01", [0]),
    ("meta.when:[2021-05-01 TO 2021-05-02]", [0, 1]),
    ("meta.when:[2021-05-01 TO 2021-05-02}", [0]),
    ("meta.when:{2021-04-30 TO *]", [0, 1]),
    ("meta.when:{2021-05-01 TO *]", [1]),
    ("meta.when:<2021-01-01", [4]),
    ("meta.when:<=2020-12-31", [4]),
    ("meta.when:>=2021-05-01T10:00:00", [0, 1]),
    ("meta.when:>2021-05-01T10:00:00", [1]),
    ('meta.when:"2021-05-02T00:00:00Z"', [1]),
    ('meta.when:"2021-05-01T12:00:00+02:00"', [0]),
    ('meta.when:["2021-04-30T23:59:59" TO "2021-05-01T10:00:00"]', [0, 2]),
    # an ISO date in a string column is just a string
    ("meta.note:2021-05-01", [0]),
    # existence and null semantics
    ("_exists_:meta.speed", [0, 1, 2, 4]),
    ("NOT _exists_:meta.speed", [3]),
    ("meta.speed:*", [0, 1, 2, 4]),
    ("meta.speed:[* TO *]", [0, 1, 2, 4]),
    ("NOT meta.speed:[0 TO 100]", [3]),
    ("_exists_:meta.nope", []),
    ("NOT _exists_:meta.nope", [0, 1, 2, 3, 4]),
    ("_exists_:meta.note", [0]),
    # rois.*: term-wise "any ROI"
    ("rois.label:car", [0, 1]),
    ("rois.label:Car", [4]),
    ('rois.label:"tennis racket"', [1]),
    ("rois.label:tennis*", [1]),
    ("NOT rois.label:car", [2, 3, 4]),
    ("rois.confidence:[0.5 TO 1]", [0, 1, 3, 4]),
    ("rois.label:car AND rois.confidence:<0.5", [0, 1]),
    ("rois.label:(car OR dog)", [0, 1, 3, 4]),
    ("rois.label:(cat AND dog)", [4]),
    ("rois.meta.occ:true", [0]),
    ("rois.meta.kind:vehicle", [0]),
    ("_exists_:rois.meta.occ", [0, 4]),
    ("_exists_:rois.label", [0, 1, 3, 4]),
    ("_exists_:rois.confidence", [0, 1, 3, 4]),
    ("rois.label:*", [0, 1, 3, 4]),
    # rois:( ... ): one ROI matches the whole group
    ("rois:(label:car AND confidence:<0.5)", [1]),
    ("rois:(label:car AND confidence:>=0.5)", [0]),
    ("rois:(NOT label:car)", [0, 1, 3, 4]),
    ("rois:(label:dog AND NOT _exists_:confidence)", [3]),
    # sources.*
    ("sources.uri:*.jpg", [0, 1, 3, 4]),
    ("sources.width:>=1000", [1]),
    ("sources.id:rear", [1]),
    ("sources.content_type:image/jpeg", [0, 4]),
    ("sources.mask_uris:*m4b*", [4]),
    ("_exists_:sources.mask_uris", [0, 4]),
    ("_exists_:sources.preview_uri", [3]),
    ("sources.meta.camera:cam2", [1]),
    ("sources:(id:front AND width:>=600)", [0, 4]),
    ("sources.id:front AND sources.width:>=1000", [1]),
    # boolean structure, grouping, implicit AND, +/-, precedence
    ("(meta.weather:sunny OR meta.weather:rain) AND NOT rois.label:car", [4]),
    ("meta.weather:(sunny OR rain)", [0, 1, 4]),
    ("meta.weather:(sunny OR rain) -meta.flag:true", [1]),
    ("meta.weather:sunny meta.flag:true", [0, 4]),
    ("meta.weather:sunny -rois.label:car", [4]),
    ("+meta.weather:sunny +rois.label:Car", [4]),
    ("meta.weather:rain OR meta.weather:fog AND meta.n:12", [1, 2]),
    ("meta.weather:rain OR meta.weather:fog AND meta.n:5", [1]),
    ("(meta.weather:rain OR meta.weather:fog) AND meta.n:12", [2]),
    ("NOT (meta.weather:sunny OR _exists_:rois.label)", [2]),
    ("NOT NOT meta.flag:true", [0, 4]),
    ("*:*", [0, 1, 2, 3, 4]),
    ("*", [0, 1, 2, 3, 4]),
    ("*:* AND NOT meta.flag:true", [1, 2, 3]),
]


@pytest.fixture(scope="module")
def tables():
    return sample_tables()


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] for c in CASES])
def test_frame_query(tables, query, expected):
    mask = compile_frame_query(query).evaluate(tables)
    assert mask.dtype == bool
    assert mask.shape == (tables.frames.num_rows,)
    assert hits(mask) == expected


def test_term_wise_vs_group_semantics_differ(tables):
    term_wise = compile_frame_query("rois.label:car AND rois.confidence:<0.5")
    one_roi = compile_frame_query("rois:(label:car AND confidence:<0.5)")
    assert hits(term_wise.evaluate(tables)) == [0, 1]
    assert hits(one_roi.evaluate(tables)) == [1]


def test_empty_tables():
    tables = make_tables([], meta_types={"x": pa.int64()})
    for query in ("rois.label:car", "meta.x:1", "NOT id:a", "*:*", "sources.uri:*",
                  "rois:(label:a AND confidence:>0.5)"):
        assert compile_frame_query(query).evaluate(tables).shape == (0,)


def test_frames_without_rois_or_sources():
    tables = make_tables([{"id": "a"}, {"id": "b"}])
    assert hits(compile_frame_query("NOT rois.label:car").evaluate(tables)) == [0, 1]
    assert hits(compile_frame_query("sources.uri:*").evaluate(tables)) == []
    assert hits(compile_frame_query("id:b").evaluate(tables)) == [1]


def test_chunked_and_dictionary_columns(tables):
    frames = pa.concat_tables([tables.frames.slice(0, 2), tables.frames.slice(2)])
    rois = pa.concat_tables([tables.rois.slice(0, 3), tables.rois.slice(3)])
    weather = frames.column("meta.weather").dictionary_encode()
    frames = frames.set_column(frames.schema.get_field_index("meta.weather"), "meta.weather",
                               weather)
    labels = pa.chunked_array([pa.array(c.to_pylist(), pa.list_(pa.dictionary(pa.int32(),
                                                                            pa.string())))
                               for c in rois.column("label").chunks])
    rois = rois.set_column(rois.schema.get_field_index("label"), "label", labels)
    chunked = Tables(frames, rois, tables.sources)
    for query, expected in CASES:
        assert hits(compile_frame_query(query).evaluate(chunked)) == expected, query


def test_dashes_inside_terms_are_not_signs():
    tables = make_tables([
        {"id": "a-1", "meta": {"tag": "car-red", "day": "2021-05-01", "n": -1},
         "rois": [{"label": "car-red"}]},
        {"id": "a-2", "meta": {"tag": "car", "day": "2021-05-02", "n": 1},
         "rois": [{"label": "car"}, {"label": "red"}]},
        {"id": "b", "meta": {"tag": "-car", "n": -2}},
    ])
    cases = {
        "meta.tag:car-red": [0],
        "meta.tag:car-red OR meta.tag:car": [0, 1],
        "meta.tag:car -meta.tag:car-red": [1],
        "meta.tag:car-*": [0],
        r"meta.tag:\-car": [2],
        'meta.tag:"-car"': [2],
        "meta.tag:-car": [2],  # right after the ':' a '-' belongs to the value
        "rois.label:car-red": [0],
        "rois.label:car -rois.label:car-red": [1],
        "id:a-1": [0],
        "id:a-*": [0, 1],
        "meta.day:2021-05-01": [0],
        "meta.n:-1": [0],
        "meta.n:[-2 TO -1]": [0, 2],
        "meta.n:>=-1": [0, 1],
        "meta.n:<-1": [2],
        "-meta.n:<-1": [0, 1],
        "NOT meta.n:>=-1": [2],
    }
    for query, expected in cases.items():
        assert hits(compile_frame_query(query).evaluate(tables)) == expected, query
