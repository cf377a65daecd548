"""``hyperloader export`` streams the version: it never builds the whole version in memory."""

from __future__ import annotations

import datetime as dt
import json

import hyperloader
from hyperloader.cli._main import main
from hyperloader.convert import write_coco
from hyperloader.model import SingleFrame
from hyperloader.store import Dataset, DatasetVersion, _resolve


def _frame(i: int, n: int = 0) -> SingleFrame:
    f = SingleFrame(f"/data/{i}.jpg", width=32, height=24, id=str(i), metadata={"n": n})
    f.add_annotation(box2d_xywh=[1, 2, 3, 4], labels=["car" if i % 2 else "dog"], id=f"{i}0")
    return f


def test_export_streams_a_copy_on_write_version(tmp_path, monkeypatch, capsys):
    root = str(tmp_path / "store")
    hyperloader.set_root(root)
    Dataset.create("cars")
    DatasetVersion.get_current("cars").add_frames([_frame(i) for i in range(12, 0, -1)])
    DatasetVersion.create_snapshot("cars", publish_name="v1")
    child = DatasetVersion.get_current("cars")
    child.update_frames([_frame(3, n=3)])
    child.delete_frames(["7"])
    child.add_frames([_frame(20)])
    want = tmp_path / "want.json"
    frames = child.frame_tables().frames
    write_coco([child._frame(*row) for row in zip(
        frames["doc"].to_pylist(), frames["saved"].to_pylist(),
        frames["saved_in_version"].to_pylist(), strict=True)], str(want),
        info={"description": "hyperloader export of cars/Current"})

    def refuse(self):
        raise AssertionError("export materialised the whole version")

    _resolve.clear_cache()
    monkeypatch.setattr(DatasetVersion, "frame_tables", refuse)
    monkeypatch.setattr(DatasetVersion, "__len__", refuse)
    out = tmp_path / "out.json"
    assert main(["--root", root, "-q", "export", "coco", "cars", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    got = json.loads(out.read_text())
    assert got == json.loads(want.read_text())
    assert [img["id"] for img in got["images"]] == [1, 10, 11, 12, 2, 20, 3, 4, 5, 6, 8, 9]


def test_datetime_meta_is_written_as_the_iso_string_the_frame_json_holds(tmp_path, capsys):
    root = str(tmp_path / "store")
    hyperloader.set_root(root)
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    f = SingleFrame("/data/1.jpg", width=32, height=24, id="1",
                    metadata={"when": when, "day": dt.date(2024, 5, 3)})
    f.add_annotation(box2d_xywh=[1, 2, 3, 4], labels=["car"], metadata={"seen": when})
    Dataset.create("cars").get_current().add_frames([f])
    out = tmp_path / "out.json"
    assert main(["--root", root, "-q", "export", "coco", "cars", "-o", str(out)]) == 0
    got = json.loads(out.read_text())
    assert (got["images"][0]["when"], got["images"][0]["day"]) == (when.isoformat(), "2024-05-03")
    assert got["annotations"][0]["seen"] == when.isoformat()
    capsys.readouterr()
    assert main(["--root", root, "-q", "query", "cars", "--json"]) == 0
    [doc] = json.loads(capsys.readouterr().out)
    assert doc["meta"] == {"when": when.isoformat(), "day": "2024-05-03"}
    assert doc["rois"][0]["meta"] == {"seen": when.isoformat()}
