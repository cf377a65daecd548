"""The frame writes of a version: validate everything, upload, then one segment commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hyperloader.errors import FrameNotFoundError
from hyperloader.model import frames_to_tables
from hyperloader.store._prepare import frame_id_of, prepare_frames
from hyperloader.store._repo import DatasetRepo
from hyperloader.store._schema import check_batch
from hyperloader.store._segments import stamp, tombstones
from hyperloader.store._state import VersionState
from hyperloader.store._upload import upload_frames
from hyperloader.store._write import commit_segment, now_ms, refuse_published

__all__ = ["UploadOptions", "add", "delete", "require_existing"]


@dataclass(frozen=True)
class UploadOptions:
    """Where ``add_frames`` uploads local files, and how hard it tries."""

    destination: str | None = None
    local_root: str | None = None
    retries: int = 3


def _current(repo: DatasetRepo, version_id: str, action: str) -> VersionState:
    state = repo.state(version_id)
    refuse_published(repo, version_id, state, action)
    return state


def add(repo: DatasetRepo, version_id: str, frames: list[Any],
        upload: UploadOptions) -> list[Any]:
    """Validate, upload and commit ``frames``; return the inputs that failed to upload.

    Raises:
        InvalidFrameError: for a malformed frame or a meta type change (nothing written).
        VersionStateError: when the version is published.
        StoreError: when the store cannot be written.
    """
    state = _current(repo, version_id, "add frames")
    dicts = prepare_frames(frames)
    tables = frames_to_tables(dicts)  # raises on meta types clashing inside the batch
    check_batch(state.schema, tables)
    failed: list[int] = []
    if upload.destination is not None:
        dicts, failed, _ = upload_frames(dicts, upload.destination, upload.local_root,
                                         upload.retries)
        lost = set(failed)
        tables = frames_to_tables([d for i, d in enumerate(dicts) if i not in lost])
    if tables.num_frames:
        commit_segment(repo, version_id, state,
                       stamp(tables, saved=now_ms(), version_id=version_id))
    return [frames[i] for i in failed]


def _ids(frames_or_ids: Iterable[Any] | Any) -> list[str]:
    if isinstance(frames_or_ids, (str, Mapping)) or hasattr(frames_or_ids, "to_dict"):
        frames_or_ids = [frames_or_ids]
    return [frame_id_of(f) for f in frames_or_ids]


def require_existing(version_ids: pa.ChunkedArray | pa.Array, frames: list[Any],
                     version_id: str) -> None:
    """Raise unless every frame id is already among the version's ``version_ids``.

    Raises:
        FrameNotFoundError: naming (up to five of) the unknown ids.
    """
    ids = pa.array(_ids(frames), pa.string())
    missing = ids.filter(pc.invert(pc.is_in(ids, value_set=version_ids)))
    if len(missing):
        shown = missing.to_pylist()[:5]
        raise FrameNotFoundError(f"cannot update {len(missing)} frame(s) not in version "
                                 f"{version_id}: {shown}; use add_frames to add them",
                                 frame_id=shown[0], version_id=version_id)


def delete(repo: DatasetRepo, version_id: str, frames_or_ids: Iterable[Any] | Any) -> int:
    """Commit tombstones for the given frames that are in the version; return how many.

    Only the version's ids are read (``repo.frame_ids``), never its frames.

    Raises:
        VersionStateError: when the version is published.
    """
    state = _current(repo, version_id, "delete frames")
    ids = pc.unique(pa.array(_ids(frames_or_ids), pa.string()))
    present = ids.filter(pc.is_in(ids, value_set=repo.frame_ids(version_id))).to_pylist()
    if present:
        commit_segment(repo, version_id, state,
                       tombstones(present, saved=now_ms(), version_id=version_id),
                       tombstones=len(present))
    return len(present)
