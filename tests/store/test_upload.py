"""auto_upload_destination: local files go up once, frames point at them, failures return."""

from __future__ import annotations

import pytest

from hyperloader._fs import url_to_fs
from hyperloader.errors import InvalidFrameError
from hyperloader.model import FrameGroup, SingleFrame
from hyperloader.store import Dataset, DatasetVersion, _upload


@pytest.fixture()
def files(tmp_path):
    root = tmp_path / "data"
    for rel, body in {"img/a.png": b"A" * 10, "img/b.png": b"B" * 10,
                      "masks/a.png": b"M" * 10, "thumbs/a.jpg": b"T" * 5}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(body)
    return root


@pytest.fixture()
def puts(monkeypatch):
    seen: list[str] = []
    real = _upload._put_file
    monkeypatch.setattr(_upload, "_put_file", lambda fs, path, data: seen.append(path)
                        or real(fs, path, data))
    return seen


def _cat(url: str) -> bytes:
    fs, path = url_to_fs(url)
    return fs.cat_file(path)


def test_upload_rewrites_uris_and_skips_known_content(backend, files, puts):
    dest = f"{backend.scratch}/uploads"
    v = Dataset.create("up").get_current()
    f = SingleFrame(source=str(files / "img/a.png"), mask_source=str(files / "masks/a.png"),
                    preview_uri=str(files / "thumbs/a.jpg"), id="a")
    remote = SingleFrame(source="s3://elsewhere/x.png", id="r")
    assert v.add_frames([f, remote], auto_upload_destination=dest,
                        local_dataset_root_path=str(files)) == []
    got = v.get_frame("a")
    assert got.source == f"{dest}/img/a.png" and got.context_id == got.source
    assert got.mask_source == f"{dest}/masks/a.png"
    assert got.preview_uri == f"{dest}/thumbs/a.jpg"
    assert _cat(got.source) == b"A" * 10 and _cat(got.mask_source) == b"M" * 10
    assert v.get_frame("r").source == "s3://elsewhere/x.png"
    assert len(puts) == 3
    again = SingleFrame(source=str(files / "img/a.png"), id="a2")
    assert v.add_frames([again], auto_upload_destination=dest,
                        local_dataset_root_path=str(files)) == []
    assert len(puts) == 3  # same content already there: not uploaded again
    (files / "img/a.png").write_bytes(b"changed!")
    v.add_frames([again], auto_upload_destination=dest, local_dataset_root_path=str(files))
    assert len(puts) == 4 and _cat(f"{dest}/img/a.png") == b"changed!"


def test_missing_files_fail_their_frame_and_whole_group(backend, files, caplog):
    dest = f"{backend.scratch}/uploads"
    v = Dataset.create("up").get_current()
    ok = SingleFrame(source=str(files / "img/b.png"), id="ok")
    lost = SingleFrame(source=str(files / "img/nope.png"), id="lost")
    grp = FrameGroup({"l": SingleFrame(source=str(files / "img/a.png")),
                      "r": SingleFrame(source=str(files / "img/gone.png"))}, id="grp")
    failed = v.add_frames([ok, lost, grp], auto_upload_destination=dest,
                          upload_retries=0)
    assert failed == [lost, grp]
    assert v.get_frame_ids() == ["ok"]
    assert v.get_frame("ok").source == f"{dest}/b.png"  # no root: the files' common dir
    assert "nope.png" in caplog.text and "gone.png" in caplog.text


def test_upload_validates_before_uploading(backend, files, puts):
    v = Dataset.create("up").get_current()
    v.add_frames([SingleFrame(source="s3://x/y.png", metadata={"k": 1}, id="x")])
    bad = SingleFrame(source=str(files / "img/a.png"), metadata={"k": "one"})
    with pytest.raises(InvalidFrameError, match="'k'"):
        v.add_frames([bad], auto_upload_destination=f"{backend.scratch}/u")
    assert puts == [] and DatasetVersion.get_current("up").get_frame_ids() == ["x"]


def test_files_outside_the_root_fail(backend, files, tmp_path):
    v = Dataset.create("up").get_current()
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(b"x")
    f = SingleFrame(source=str(outside), id="out")
    assert v.add_frames([f], auto_upload_destination=f"{backend.scratch}/u",
                        local_dataset_root_path=str(files)) == [f]
    assert len(v) == 0
