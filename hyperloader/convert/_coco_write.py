"""Write frames as a COCO annotation file, streaming, in bounded memory."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from hyperloader._fs import is_local, url_to_fs
from hyperloader.convert._categories import CocoCategories
from hyperloader.convert._coco_records import IdAllocator, MaskReader, frame_to_coco

__all__ = ["CocoExportStats", "read_uri", "write_coco"]

log = logging.getLogger(__name__)


@dataclass
class CocoExportStats:
    """What :func:`write_coco` wrote."""

    images: int = 0
    annotations: int = 0
    categories: int = 0


def read_uri(uri: str) -> bytes:
    """Read the whole object at ``uri`` (a path or any fsspec URL)."""
    fs, path = url_to_fs(uri)
    return fs.cat_file(path)


def _json_value(value: Any) -> Any:
    # datetime meta as the frame JSON writes it (ISO 8601), not str()'s "date time"
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else str(value)


class _ArrayWriter:
    """Writes the items of one JSON array, comma-separated, to a text stream."""

    def __init__(self, f: IO[str]) -> None:
        self.f, self.count = f, 0

    def write(self, item: Mapping[str, Any]) -> None:
        self.f.write(",\n" if self.count else "\n")
        self.f.write(json.dumps(item, separators=(",", ":"), default=_json_value))
        self.count += 1


def write_coco(frames: Iterable[Any], out: str, *,
               categories: Iterable[Mapping[str, Any]] = (), relative_to: str | None = None,
               info: Mapping[str, Any] | None = None, read_mask: MaskReader | None = None,
               progress: Callable[[int], None] | None = None) -> CocoExportStats:
    """Write ``frames`` to ``out`` as a COCO file that ``pycocotools.coco.COCO`` loads.

    Images and annotations are streamed to disk as frames arrive; the file appears at
    ``out`` only once it is complete.

    Args:
        frames: frames (objects with ``to_dict()``) or frame dicts.
        out: destination path or fsspec URL.
        categories: known category records, to keep their ids; labels not among them are
            added with the next free id.
        relative_to: write ``file_name`` relative to this directory when under it.
        info: the file's ``info`` object.
        read_mask: reads mask images (for ROIs exported as RLE); reads any URI by default.
        progress: called with the number of frames written, after each frame.

    Returns:
        The number of images, annotations and categories written.
    """
    cats = CocoCategories(categories)
    images_ids, ann_ids = IdAllocator(), IdAllocator()
    out = out.removeprefix("file://")
    local_dir = os.path.dirname(os.path.abspath(out)) if is_local(out) else None
    with tempfile.TemporaryDirectory(prefix="hyperloader-coco-", dir=local_dir) as tmp:
        body, anns_path = os.path.join(tmp, "out.json"), os.path.join(tmp, "anns.part")
        with open(body, "w", encoding="utf-8") as f, \
                open(anns_path, "w", encoding="utf-8") as fa:
            f.write('{"info":' + json.dumps(dict(info or {"description": "hyperloader export"}))
                    + ',\n"licenses":[],\n"images":[')
            images, anns = _ArrayWriter(f), _ArrayWriter(fa)
            for n, frame in enumerate(frames, 1):
                d = frame.to_dict() if hasattr(frame, "to_dict") else frame
                imgs, rois = frame_to_coco(d, image_ids=images_ids, ann_ids=ann_ids,
                                           categories=cats, relative_to=relative_to,
                                           read_mask=read_mask or read_uri)
                for rec in imgs:
                    images.write(rec)
                for rec in rois:
                    anns.write(rec)
                if progress is not None:
                    progress(n)
            fa.close()
            f.write('\n],\n"annotations":[')
            with open(anns_path, encoding="utf-8") as src:
                shutil.copyfileobj(src, f)
            f.write('\n],\n"categories":' + json.dumps(cats.records()) + "}\n")
        stats = CocoExportStats(images.count, anns.count, len(cats))
        _publish(body, out)
    log.info("wrote %s: %d images, %d annotations, %d categories", out, stats.images,
             stats.annotations, stats.categories)
    return stats


def _publish(tmp_path: str, out: str) -> None:
    if is_local(out):
        os.replace(tmp_path, os.path.abspath(out))
        return
    fs, path = url_to_fs(out)
    fs.put_file(tmp_path, path)
