"""Read a COCO file as batches of frames, streaming, in bounded memory.

COCO lists images and annotations in two separate arrays, joined by ``image_id``. The
reader streams ``images`` once, spilling each record to a per-batch file on disk and
keeping only a sorted numpy id index; then streams ``annotations``, appending each to the
spill file of its image's batch. Each batch is then read back, grouped and turned into
frames. Memory holds the id index (16 bytes per image) plus one batch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyperloader._fs import is_local, url_to_fs
from hyperloader.convert._categories import CocoCategories
from hyperloader.convert._coco_frame import ann_to_roi_dict, image_to_frame_dict
from hyperloader.convert._errors import ConvertError
from hyperloader.convert._spill import Spill
from hyperloader.convert._stream import iter_json_array
from hyperloader.model import MaskSource, frame_from_dict

__all__ = ["CocoImportStats", "CocoReader"]

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class CocoImportStats:
    """Counts gathered while reading a COCO file."""

    images: int = 0
    annotations: int = 0
    orphan_annotations: int = 0
    masks_written: int = 0


class CocoReader:
    """Streams a COCO annotation file as batches of frames.

    Args:
        path: the annotation JSON (a local path or any fsspec URL).
        images_dir: directory (or URL) that ``file_name`` is relative to.
        masks_dir: directory (or URL) where RLE segmentations are written as PNGs
            (``<frame_id>_<mask_id>.png``); required only when the file has RLEs.
        batch_size: frames per yielded batch.

    Raises:
        ConvertError: when the file is malformed.
    """

    def __init__(self, path: str, *, images_dir: str | None = None,
                 masks_dir: str | None = None, batch_size: int = 5000) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.path = path
        self.images_dir = _absolute(images_dir)
        self.masks_dir = _absolute(masks_dir)
        self.batch_size = batch_size
        self.categories = CocoCategories(iter_json_array(path, "categories"))
        self.stats = CocoImportStats()
        self._masks_dir_made = False

    def batches(self, progress: Callable[[int], None] | None = None, *,
                as_dicts: bool = False) -> Iterator[list[Any]]:
        """Yield lists of frames, at most ``batch_size`` each, in file order.

        Args:
            progress: called with the number of images read so far, once per batch.
            as_dicts: yield frame dicts (validated later, once, by ``add_frames``'s bulk
                path) instead of ``SingleFrame`` objects.
        """
        self.stats = CocoImportStats()
        with tempfile.TemporaryDirectory(prefix="hyperloader-coco-") as tmp:
            order, sorted_ids = self._spill_images(tmp)
            self._spill_annotations(tmp, order, sorted_ids)
            done = 0
            for bucket in range(-(-len(order) // self.batch_size)):
                frames = list(self._read_bucket(tmp, bucket, as_dicts))
                done += len(frames)
                if progress is not None:
                    progress(done)
                yield frames

    def _spill_images(self, tmp: str) -> tuple[np.ndarray, np.ndarray]:
        ids = array("q")
        spill = Spill(tmp, "img")
        for i, image in enumerate(iter_json_array(self.path, "images")):
            image_id = image.get("id")
            if not isinstance(image_id, int) or isinstance(image_id, bool):
                raise ConvertError(f"image id must be an integer, got {image_id!r}",
                                   path=self.path, where=f"images[{i}]")
            ids.append(image_id)
            spill.add(i // self.batch_size, json.dumps(image, separators=(",", ":")))
        spill.flush()
        self.stats.images = len(ids)
        all_ids = np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, np.int64)
        order = np.argsort(all_ids, kind="stable")
        sorted_ids = all_ids[order]
        dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
        if dup.size:
            raise ConvertError(f"duplicate image id {int(sorted_ids[dup[0]])}", path=self.path)
        return order, sorted_ids

    def _spill_annotations(self, tmp: str, order: np.ndarray, sorted_ids: np.ndarray) -> None:
        spill = Spill(tmp, "ann")
        for ann in iter_json_array(self.path, "annotations"):
            self.stats.annotations += 1
            pos = int(np.searchsorted(sorted_ids, ann.get("image_id", -1)))
            if pos >= len(sorted_ids) or sorted_ids[pos] != ann.get("image_id"):
                self.stats.orphan_annotations += 1
                continue
            idx = int(order[pos])
            spill.add(idx // self.batch_size, f"{idx}\t{json.dumps(ann, separators=(',', ':'))}")
        spill.flush()
        if self.stats.orphan_annotations:
            log.warning("%s: skipped %d annotations whose image_id is not in images",
                        self.path, self.stats.orphan_annotations)

    def _read_bucket(self, tmp: str, bucket: int, as_dicts: bool) -> Iterator[Any]:
        by_image: dict[int, list[dict[str, Any]]] = {}
        for line in Spill.lines(tmp, "ann", bucket):
            key, text = line.split("\t", 1)
            by_image.setdefault(int(key), []).append(json.loads(text))
        for k, line in enumerate(Spill.lines(tmp, "img", bucket)):
            idx = bucket * self.batch_size + k
            d = self._frame(json.loads(line), by_image.pop(idx, []))
            yield d if as_dicts else frame_from_dict(d)

    def _frame(self, image: dict[str, Any], anns: list[dict[str, Any]]) -> dict[str, Any]:
        d = image_to_frame_dict(image, images_dir=self.images_dir)
        src = d["sources"][0]
        from hyperloader.convert._rle import rle_bbox

        for j, ann in enumerate(anns):
            roi, rle = ann_to_roi_dict(ann, categories=self.categories, source_id=src["id"],
                                       fallback_id=f"{d['id']}-{j}", rle_bbox=rle_bbox)
            if rle is not None:
                mask = self._write_mask(d["id"], roi["mask"], rle)
                src.setdefault("masks", []).append(
                    {"id": mask.id, "uri": mask.uri, "content_type": mask.content_type})
            d["rois"].append(roi)
        return d

    def _write_mask(self, frame_id: str, ref: dict[str, Any], rle: dict[str, Any]) -> MaskSource:
        from hyperloader.convert._rle import rle_to_mask_png

        if not self.masks_dir:
            raise ConvertError("the file has RLE segmentations: give a masks dir to write them",
                               path=self.path)
        mask_id = str(ref["id"])
        name = _UNSAFE.sub("_", f"{frame_id}_{mask_id}") + ".png"
        uri = _join(self.masks_dir, name)
        _write_bytes(uri, rle_to_mask_png(rle, ref.get("value", 255)), make_dir=not
                     self._masks_dir_made)
        self._masks_dir_made = True
        self.stats.masks_written += 1
        return MaskSource(id=mask_id, uri=uri, content_type="image/png")


def _absolute(path: str | None) -> str | None:
    if path is None or "://" in path:
        return path
    return os.path.abspath(os.path.expanduser(path))


def _join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name if "://" in base else os.path.join(base, name)


def _write_bytes(uri: str, data: bytes, *, make_dir: bool) -> None:
    if is_local(uri):
        path = uri.removeprefix("file://")
        if make_dir:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return
    fs, path = url_to_fs(uri)
    fs.pipe_file(path, data)
