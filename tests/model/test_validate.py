"""Bad input raises InvalidFrameError naming the frame id, the field path and the value."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

from hyperloader.errors import (
    DatasetNotFoundError,
    DecodeError,
    FrameNotFoundError,
    HyperloaderError,
    InvalidFrameError,
    QuerySyntaxError,
    StoreError,
    VersionNotFoundError,
    VersionStateError,
)
from hyperloader.model import FrameGroup, SingleFrame, frame_from_dict, validate_frame_dict

URI = "s3://b/a.jpg"
OK_POLY = [0, 0, 10, 0, 10, 10]


def frame_dict(rois=None, **top) -> dict:
    """A valid one-source frame 'f7' whose third ROI (rois[2]) the tests break."""
    d = {"id": "f7", "sources": [{"id": "default", "uri": URI}],
         "rois": [{"id": "a", "label": ["x"]}, {"id": "b", "label": ["y"], "poly": OK_POLY}]
         + list(rois or [])}
    d.update(top)
    return d


def expect_invalid(call, *, frame_id, field, value):
    """Run ``call``; check the error's attributes and that its message shows all three."""
    with pytest.raises(InvalidFrameError) as ei:
        call()
    err = ei.value
    assert isinstance(err, ValueError)
    assert err.frame_id == frame_id
    assert err.field == field
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(err.value)
    else:
        assert err.value == value
    msg = str(err)
    assert repr(frame_id) in msg
    assert field in msg
    assert repr(value) in msg
    return err


# -- polygons -----------------------------------------------------------------------------------

def test_valid_frame_dict_passes():
    d = frame_dict([{"poly": [0, 0, 1, 0, 1, 1, -999999999, 5, 5, 6, 5, 6, 6], "confidence": 0},
                    {"points": [3, 3], "confidence": 1, "meta": {"k": {"n": 1}}}])
    assert validate_frame_dict(d) is None
    assert len(frame_from_dict(d).rois) == 4


def test_odd_number_of_coordinates():
    bad = [0, 0, 10, 0, 10]
    err = expect_invalid(lambda: frame_from_dict(frame_dict([{"poly": bad}])), frame_id="f7",
                         field="rois[2].poly", value=bad)
    assert "odd number of coordinates (5)" in str(err)


def test_odd_number_of_coordinates_in_the_second_part():
    poly = OK_POLY + [-999999999, 1, 1, 2, 2, 3, 3, 4]
    err = expect_invalid(lambda: SingleFrame.from_dict(frame_dict([{"poly": poly}])),
                         frame_id="f7", field="rois[2].poly", value=[1, 1, 2, 2, 3, 3, 4])
    assert "part 1" in str(err)


@pytest.mark.parametrize(("bad", "index"), [("3", 2), (None, 0), (True, 5), ([1, 2], 1),
                                            (math.inf, 3)])
def test_non_number_coordinate(bad, index):
    poly = list(OK_POLY)
    poly[index] = bad
    expect_invalid(lambda: frame_from_dict(frame_dict([{"poly": poly}])), frame_id="f7",
                   field=f"rois[2].poly[{index}]", value=bad)


def test_nan_coordinate():
    poly = [0, 0, float("nan"), 0, 10, 10]
    expect_invalid(lambda: frame_from_dict(frame_dict([{"poly": poly}])), frame_id="f7",
                   field="rois[2].poly[2]", value=float("nan"))


def test_polygon_must_be_a_list():
    expect_invalid(lambda: frame_from_dict(frame_dict([{"poly": "0,0,1,1"}])), frame_id="f7",
                   field="rois[2].poly", value="0,0,1,1")


@pytest.mark.parametrize("part", [[0, 0, 1, 1], [], [5, 5]])
def test_part_with_fewer_than_three_points(part):
    poly = OK_POLY + [-999999999] + part
    err = expect_invalid(lambda: frame_from_dict(frame_dict([{"poly": poly}])), frame_id="f7",
                         field="rois[2].poly", value=part)
    assert f"got {len(part) // 2}" in str(err)


def test_three_points_are_enough():
    f = frame_from_dict(frame_dict([{"poly": [0, 0, 1, 0, 1, 1]}]))
    assert f.rois[2].parts() == [[0, 0, 1, 0, 1, 1]]


def test_bad_polygon_from_add_annotation():
    f = SingleFrame(URI, id="f7")
    f.add_annotation(labels=["a"])
    f.add_annotation(labels=["b"])
    expect_invalid(lambda: f.add_annotation(poly2d_xy=[[0, 0, 1, 0, 1, 1], [3, 3, 4]]),
                   frame_id="f7", field="rois[2].poly", value=[3, 3, 4])
    assert len(f.annotations) == 2


def test_bad_polygon_in_the_constructor():
    expect_invalid(lambda: SingleFrame(URI, id="f7", annotations=[{}, {}, {"poly": [1, 2]}]),
                   frame_id="f7", field="rois[2].poly", value=[1, 2])


# -- confidence ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [1.01, -0.1, 2, "0.5", True, math.inf])
def test_confidence_outside_zero_one(bad):
    expect_invalid(lambda: frame_from_dict(frame_dict([{"confidence": bad}])), frame_id="f7",
                   field="rois[2].confidence", value=bad)


def test_confidence_nan():
    expect_invalid(lambda: frame_from_dict(frame_dict([{"confidence": float("nan")}])),
                   frame_id="f7", field="rois[2].confidence", value=float("nan"))


def test_confidence_from_add_annotation():
    f = SingleFrame(URI, id="f7")
    expect_invalid(lambda: f.add_annotation(labels=["a"], confidence=1.5), frame_id="f7",
                   field="rois[0].confidence", value=1.5)
    assert f.annotations == []


@pytest.mark.parametrize("ok", [0, 0.0, 0.5, 1, 1.0])
def test_confidence_bounds_are_inclusive(ok):
    assert frame_from_dict(frame_dict([{"confidence": ok}])).rois[2].confidence == ok


# -- sources ------------------------------------------------------------------------------------

def test_roi_naming_an_unknown_source():
    err = expect_invalid(lambda: frame_from_dict(frame_dict([{"sources": ["left"]}])),
                         frame_id="f7", field="rois[2].sources", value="left")
    assert "['default']" in str(err)


def test_roi_naming_an_unknown_source_in_a_group(group_dict):
    group_dict["rois"][2]["sources"] = ["left", "centre"]
    expect_invalid(lambda: FrameGroup.from_dict(group_dict), frame_id="g1",
                   field="rois[2].sources", value="centre")


def test_roi_naming_an_unknown_source_via_add_annotation():
    f = SingleFrame(URI, id="f7")
    expect_invalid(lambda: f.add_annotation(labels=["a"], sources=["cam9"]), frame_id="f7",
                   field="rois[0].sources", value="cam9")


def test_duplicate_source_ids(group_dict):
    group_dict["sources"][1]["id"] = "left"
    expect_invalid(lambda: frame_from_dict(group_dict), frame_id="g1", field="sources[1].id",
                   value="left")


def test_two_sources_without_id_are_duplicates(group_dict):
    for s in group_dict["sources"]:
        del s["id"]
    group_dict["rois"] = []
    expect_invalid(lambda: FrameGroup.from_dict(group_dict), frame_id="g1",
                   field="sources[1].id", value="default")


@pytest.mark.parametrize("bad", ["", 7])
def test_source_id_must_be_a_non_empty_string(group_dict, bad):
    group_dict["sources"][0]["id"] = bad
    group_dict["rois"] = []
    expect_invalid(lambda: FrameGroup.from_dict(group_dict), frame_id="g1",
                   field="sources[0].id", value=bad)


@pytest.mark.parametrize("dim", ["width", "height"])
def test_negative_width_or_height(dim):
    err = expect_invalid(lambda: SingleFrame(URI, id="f7", **{dim: -1}), frame_id="f7",
                         field=f"sources[0].{dim}", value=-1)
    assert err.uri == URI
    assert f"uri={URI!r}" in str(err)


@pytest.mark.parametrize("bad", [-5, 2.5, "640", math.inf, False])
def test_width_in_a_dict_must_be_a_non_negative_integer(bad):
    d = frame_dict()
    d["sources"][0]["width"] = bad
    expect_invalid(lambda: frame_from_dict(d), frame_id="f7", field="sources[0].width", value=bad)


def test_zero_and_integral_float_sizes_are_accepted():
    f = SingleFrame(URI, width=0, height=480.0)
    assert (f.width, f.height) == (0, 480.0)


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_source_uri(bad):
    expect_invalid(lambda: SingleFrame(bad, id="f7"), frame_id="f7", field="sources[0].uri",
                   value=bad)


def test_missing_source_uri_in_a_group(group_dict):
    group_dict["sources"][1]["uri"] = ""
    expect_invalid(lambda: FrameGroup.from_dict(group_dict), frame_id="g1",
                   field="sources[1].uri", value="")


def test_empty_mask_uri():
    d = frame_dict()
    d["sources"][0]["masks"] = [{"id": "00", "uri": "s3://b/m.png"}, {"id": "01", "uri": ""}]
    expect_invalid(lambda: frame_from_dict(d), frame_id="f7", field="sources[0].masks[1].uri",
                   value="")


def test_a_frame_needs_a_source():
    expect_invalid(lambda: frame_from_dict({"id": "f7", "sources": []}), frame_id="f7",
                   field="sources", value=[])


# -- meta ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["a.b", "$set", "x$", ""])
def test_frame_meta_key_with_dot_or_dollar(key):
    expect_invalid(lambda: SingleFrame(URI, id="f7", metadata={"ok": 1, key: 2}), frame_id="f7",
                   field=f"meta.{key}", value=key)


def test_nested_meta_key_with_dot():
    expect_invalid(lambda: frame_from_dict(frame_dict(meta={"outer": {"in.ner": 1}})),
                   frame_id="f7", field="meta.outer.in.ner", value="in.ner")


def test_roi_meta_key_with_dollar():
    expect_invalid(lambda: frame_from_dict(frame_dict([{"meta": {"$where": 1}}])),
                   frame_id="f7", field="rois[2].meta.$where", value="$where")


def test_roi_meta_key_via_add_annotation():
    f = SingleFrame(URI, id="f7")
    expect_invalid(lambda: f.add_annotation(labels=["a"], metadata={"a.b": 1}), frame_id="f7",
                   field="rois[0].meta.a.b", value="a.b")


def test_source_meta_key_with_dot(group_dict):
    group_dict["sources"][1]["meta"] = {"lens.model": "x"}
    expect_invalid(lambda: FrameGroup.from_dict(group_dict), frame_id="g1",
                   field="sources[1].meta.lens.model", value="lens.model")


def test_meta_must_be_a_dict():
    expect_invalid(lambda: frame_from_dict(frame_dict(meta=[1, 2])), frame_id="f7",
                   field="meta", value=[1, 2])


# -- other fields -------------------------------------------------------------------------------

def test_label_must_be_a_list_of_strings():
    expect_invalid(lambda: frame_from_dict(frame_dict([{"label": "cat"}])), frame_id="f7",
                   field="rois[2].label", value="cat")
    expect_invalid(lambda: frame_from_dict(frame_dict([{"labels": ["a", 1]}])), frame_id="f7",
                   field="rois[2].label", value=["a", 1])


def test_timestamp_must_be_a_number():
    expect_invalid(lambda: frame_from_dict(frame_dict(timestamp="noon")), frame_id="f7",
                   field="timestamp", value="noon")


# -- integer fields: the int64 columns must not truncate or wrap --------------------------------

@pytest.mark.parametrize("bad", [1.5, -0.25, True, math.inf, float("nan"), 2**63, "7"])
def test_frame_timestamp_must_be_an_integer(bad):
    err = expect_invalid(lambda: frame_from_dict(frame_dict(timestamp=bad)), frame_id="f7",
                         field="timestamp", value=bad)
    assert "integer" in str(err)


def test_fractional_timestamp_in_the_constructor_names_the_frame_field():
    err = expect_invalid(lambda: SingleFrame(URI, id="f7", timestamp=33.3), frame_id="f7",
                         field="timestamp", value=33.3)
    assert "integer" in str(err)


def test_fractional_timestamp_set_later_is_caught_by_validate():
    f = SingleFrame(URI, id="f7")
    f.timestamp = 0.5
    expect_invalid(f.validate, frame_id="f7", field="timestamp", value=0.5)


@pytest.mark.parametrize("bad", [2.5, True, "12", 2**63, -(2**63) - 1])
def test_source_timestamp_must_be_an_integer(bad):
    d = frame_dict()
    d["sources"][0]["timestamp"] = bad
    expect_invalid(lambda: frame_from_dict(d), frame_id="f7", field="sources[0].timestamp",
                   value=bad)


@pytest.mark.parametrize("bad", [0.5, False, "0"])
def test_mask_timestamp_must_be_an_integer(bad):
    d = frame_dict()
    d["sources"][0]["masks"] = [{"id": "m", "uri": "s3://b/m.png", "timestamp": bad}]
    expect_invalid(lambda: frame_from_dict(d), frame_id="f7",
                   field="sources[0].masks[0].timestamp", value=bad)


@pytest.mark.parametrize("dim", ["width", "height"])
def test_sizes_must_fit_in_int64(dim):
    d = frame_dict()
    d["sources"][0][dim] = 2**63
    expect_invalid(lambda: frame_from_dict(d), frame_id="f7", field=f"sources[0].{dim}",
                   value=2**63)


@pytest.mark.parametrize("ok", [0, -40, 33, 33.0, 2**63 - 1, -(2**63)])
def test_integral_timestamps_are_accepted(ok):
    d = frame_dict(timestamp=ok)
    d["sources"][0]["timestamp"] = ok
    assert frame_from_dict(d).timestamp == ok


def test_numpy_integers_are_integers():
    np = pytest.importorskip("numpy")
    f = SingleFrame(URI, id="f7", timestamp=np.int64(40), width=np.int32(3))
    assert f.timestamp == 40
    expect_invalid(lambda: SingleFrame(URI, id="f7", timestamp=np.float64(0.5)), frame_id="f7",
                   field="timestamp", value=0.5)
    expect_invalid(lambda: SingleFrame(URI, id="f7", width=np.bool_(True)), frame_id="f7",
                   field="sources[0].width", value=np.bool_(True))


@pytest.mark.parametrize("bad", [1.5, True, "2"])
def test_label_num_must_be_an_integer(bad):
    expect_invalid(lambda: frame_from_dict(frame_dict([{"label_num": bad}])), frame_id="f7",
                   field="rois[2].label_num", value=bad)


# -- ids: what is given is what is stored -------------------------------------------------------

@pytest.mark.parametrize("bad", ["", 7])
def test_frame_id_must_be_a_non_empty_string(bad):
    expect_invalid(lambda: frame_from_dict(frame_dict(id=bad)), frame_id=bad, field="id",
                   value=bad)


@pytest.mark.parametrize("bad", ["", 7])
def test_roi_id_must_be_a_non_empty_string(bad):
    expect_invalid(lambda: frame_from_dict(frame_dict([{"id": bad}])), frame_id="f7",
                   field="rois[2].id", value=bad)


@pytest.mark.parametrize("bad", ["", 3])
def test_mask_id_must_be_a_non_empty_string(bad):
    d = frame_dict()
    d["sources"][0]["masks"] = [{"id": bad, "uri": "s3://b/m.png"}]
    expect_invalid(lambda: frame_from_dict(d), frame_id="f7", field="sources[0].masks[0].id",
                   value=bad)


def test_context_id_must_be_a_string():
    expect_invalid(lambda: frame_from_dict(frame_dict(context_id=12)), frame_id="f7",
                   field="context_id", value=12)


def test_absent_ids_are_filled_in():
    d = frame_dict()
    d["sources"][0]["masks"] = [{"id": None, "uri": "s3://b/m.png"}]
    d["rois"][0]["id"] = None
    f = frame_from_dict(d)
    assert f.masks_source == {"00": "s3://b/m.png"}
    assert len(f.rois[0].id) == 32


def test_validate_catches_changes_made_after_construction():
    f = SingleFrame(URI, id="f7")
    f.validate()
    f.meta["bad.key"] = 1
    expect_invalid(f.validate, frame_id="f7", field="meta.bad.key", value="bad.key")


# -- the errors themselves ----------------------------------------------------------------------

def test_invalid_frame_error_is_a_value_error_and_a_hyperloader_error():
    err = InvalidFrameError("bad", frame_id="f", field="rois[0].poly", value=[1])
    assert isinstance(err, ValueError)
    assert isinstance(err, HyperloaderError)
    with pytest.raises(ValueError, match=r"frame 'f' field rois\[0\]\.poly: bad \(got \[1\]\)"):
        raise err


def test_long_values_are_shortened_in_the_message():
    err = InvalidFrameError("bad", frame_id="f", field="rois[0].poly", value=list(range(1000)))
    assert str(err).endswith("...)")
    assert len(str(err)) < 200
    assert err.value == list(range(1000))


def test_invalid_frame_error_pickles_with_its_attributes():
    err = InvalidFrameError("odd number of coordinates", frame_id="f7", field="rois[2].poly",
                            value=[1, 2, 3], uri="s3://b/a.jpg")
    for back in (pickle.loads(pickle.dumps(err)), copy.copy(err)):
        assert type(back) is InvalidFrameError
        assert str(back) == str(err)
        assert back.message == err.message
        assert (back.frame_id, back.field, back.value, back.uri) == (
            "f7", "rois[2].poly", [1, 2, 3], "s3://b/a.jpg")
        assert back.args == err.args
        assert isinstance(back, ValueError)


def test_raised_invalid_frame_error_pickles():
    with pytest.raises(InvalidFrameError) as ei:
        SingleFrame.from_dict(frame_dict([{"confidence": 7}]))
    back = pickle.loads(pickle.dumps(ei.value))
    assert (back.frame_id, back.field, back.value) == ("f7", "rois[2].confidence", 7)
    assert str(back) == str(ei.value)


@pytest.mark.parametrize(("err", "attrs", "builtin"), [
    (QuerySyntaxError("label:(", "unbalanced", position=6),
     {"query": "label:(", "position": 6, "reason": "unbalanced"}, ValueError),
    (StoreError("cannot read uri='s3://b/k'", uri="s3://b/k"), {"uri": "s3://b/k"}, OSError),
    (DecodeError("not a JPEG", frame_id="f", source_id="default", uri="s3://b/k.jpg",
                 decoder="pil"),
     {"frame_id": "f", "source_id": "default", "uri": "s3://b/k.jpg", "decoder": "pil"},
     HyperloaderError),
    (FrameNotFoundError("frame 'x' not in version", frame_id="x"), {"frame_id": "x"}, KeyError),
    (DatasetNotFoundError("no dataset 'cats'", name="cats"), {"name": "cats"}, KeyError),
    (VersionNotFoundError("no version 'v2'", name="v2"), {"name": "v2"}, KeyError),
    (VersionStateError("version is published", version_id="v"), {"version_id": "v"},
     HyperloaderError),
])
def test_every_error_pickles_with_its_attributes(err, attrs, builtin):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert isinstance(back, builtin)
    assert str(back) == str(err)
    for name, value in attrs.items():
        assert getattr(back, name) == value
