"""DatasetVersion: a draft you edit or a published, immutable version of a dataset."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any

import pyarrow as pa

from hyperloader.errors import FrameNotFoundError
from hyperloader.model import (
    FrameGroup,
    FrameTables,
    SingleFrame,
    TimestampKeys,
    frame_from_dict,
)
from hyperloader.store import _frames_ops as ops
from hyperloader.store._diff import VersionDiff
from hyperloader.store._finders import VersionFinders
from hyperloader.store._lazy import LazyRows
from hyperloader.store._meta import check_metadata, mask_labels_from_meta, mask_labels_to_meta
from hyperloader.store._repo import DatasetRepo
from hyperloader.store._write import commit_meta, commit_publish

__all__ = ["DatasetVersion", "VersionStatus"]

Frame = SingleFrame | FrameGroup
_NO_TIMESTAMPS = TimestampKeys()
_COLUMNS = ("doc", "saved", "saved_in_version")  # what a Frame is built from


class VersionStatus(str, Enum):
    """Whether a version can still change."""

    DRAFT = "draft"
    PUBLISHED = "published"

    def __str__(self) -> str:
        return self.value


class DatasetVersion(VersionFinders):
    """One version of a dataset; get instances from the class methods, not the constructor.

    A draft takes frames and metadata; a published version never changes again, and its
    children start with exactly its frames.
    """

    def __init__(self, repo: DatasetRepo, version_id: str) -> None:
        self._repo = repo
        self.id: str = version_id

    # the class methods that find and create versions live in VersionFinders

    # -- identity --------------------------------------------------------------------------
    @property
    def dataset_id(self) -> str:
        """Id of the dataset this version belongs to."""
        return self._repo.id

    @property
    def dataset_name(self) -> str:
        """Name of the dataset this version belongs to."""
        return self._repo.descriptor()["name"]

    @property
    def name(self) -> str:
        """The version's current name."""
        return self._repo.record(self.id).name

    @property
    def parent(self) -> str | None:
        """Id of the parent version, or None."""
        return self._repo.record(self.id).parent

    @property
    def status(self) -> VersionStatus:
        """``VersionStatus.DRAFT`` or ``VersionStatus.PUBLISHED``."""
        published = self._repo.state(self.id).published
        return VersionStatus.PUBLISHED if published else VersionStatus.DRAFT

    @property
    def is_draft(self) -> bool:
        """True while the version can change."""
        return self.status is VersionStatus.DRAFT

    @property
    def is_published(self) -> bool:
        """True once the version is frozen."""
        return self.status is VersionStatus.PUBLISHED

    @property
    def created(self) -> dt.datetime:
        """When the version was created (UTC)."""
        ms = self._repo.record(self.id).created
        return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatasetVersion):
            return NotImplemented
        return (self._repo.store.url, self.id) == (other._repo.store.url, other.id)

    def __hash__(self) -> int:
        return hash((self._repo.store.url, self.id))

    def __repr__(self) -> str:
        return f"DatasetVersion(id={self.id!r}, dataset_id={self.dataset_id!r})"

    # -- reading frames --------------------------------------------------------------------
    def frame_tables(self) -> FrameTables:
        """Return the version's frames as FrameTables: one row per frame, sorted by id.

        ``frames.doc`` holds the frame JSON without the store fields, which are the
        ``saved`` and ``saved_in_version`` columns. Resolutions are cached per commit.

        Raises:
            StoreError: when a segment cannot be read.
        """
        return self._repo.tables(self.id)

    def __len__(self) -> int:
        return len(self._repo.frame_ids(self.id))

    def get_frame_ids(self) -> list[str]:
        """Return the ids of the version's frames, sorted.

        Only the ids (and tombstones) of the version's segments are read, never the
        frames; the answer is kept until the version gains a segment.

        Raises:
            StoreError: when a segment cannot be read.
        """
        return self._repo.frame_ids(self.id).to_pylist()

    def _frame(self, doc: str, saved: int | None, saved_in_version: str | None,
               stamps: TimestampKeys = _NO_TIMESTAMPS) -> Frame:
        # datetime meta is an ISO string in the JSON; ``stamps`` names the keys to parse
        # back (without it, as for callers that read docs themselves, none are)
        d = json.loads(doc)
        if stamps:
            stamps.restore(d)
        d["dataset"] = {"id": self.dataset_id, "version": self.id}
        d["saved"] = saved
        d["saved_in_version"] = saved_in_version
        return frame_from_dict(d)

    def get_frame(self, frame_id: str) -> Frame:
        """Return the frame ``frame_id`` with its ``dataset``, ``saved`` and version fields.

        The version is never built: its cached plan locates the frame and one row group of
        one segment is read (or an up-to-date cached :meth:`frame_tables` answers).

        Raises:
            FrameNotFoundError: when the version has no such frame.
            StoreError: when a segment cannot be read.
        """
        found = self._repo.find_frame(self.id, frame_id, _COLUMNS)
        if found is None:
            raise FrameNotFoundError(f"frame {frame_id!r} is not in version {self.name!r} "
                                     f"({self.id}) of dataset {self.dataset_name!r}",
                                     frame_id=frame_id, version_id=self.id)
        row, stamps = found
        doc, saved, saved_in_version = (row[column][0].as_py() for column in _COLUMNS)
        return self._frame(doc, saved, saved_in_version, stamps)

    def get_frames(self) -> Iterator[Frame]:
        """Iterate the version's frames in frame-id order, streamed from its segments.

        Memory stays bounded whatever the version's size: the whole version is never
        built (see :meth:`frame_tables`), only one batch of frames at a time. Nothing is
        read before the first frame is asked for; ``operator.length_hint`` on the
        iterator gives the number of frames left.

        Raises:
            StoreError: when a segment cannot be read.
        """
        stamps = _NO_TIMESTAMPS

        def start() -> tuple[int, Iterator[pa.Table]]:
            nonlocal stamps
            rows = self._repo.scan(self.id, _COLUMNS)
            # read after the scan is planned: a schema only grows, so it covers every row
            stamps = TimestampKeys.from_kinds(self._repo.state(self.id).schema)
            return rows

        return LazyRows(start, _COLUMNS, lambda doc, saved, saved_in_version:
                        self._frame(doc, saved, saved_in_version, stamps))

    # -- writing frames --------------------------------------------------------------------
    def add_frames(self, frames: Iterable[Frame | Mapping[str, Any]], upload_retries: int = 3,
                   auto_upload_destination: str | None = None,
                   local_dataset_root_path: str | None = None) -> list[Any]:
        """Upsert frames by id; return the frames that failed (their local files).

        Frames may be SingleFrame, FrameGroup or frame dicts (the bulk fast path). All are
        validated before anything is written. With ``auto_upload_destination``, local
        source, mask and preview files are uploaded there (relative to
        ``local_dataset_root_path``; files already there by content hash are skipped) and
        the stored URIs point at the uploads; a frame with a file that cannot be uploaded
        is returned and not stored.

        Raises:
            InvalidFrameError: for a malformed frame or a meta key changing type.
            VersionStateError: when the version is published.
            StoreError: when the store cannot be written.
        """
        return ops.add(self._repo, self.id, list(frames), ops.UploadOptions(
            auto_upload_destination, local_dataset_root_path, upload_retries))

    def update_frames(self, frames: Iterable[Frame | Mapping[str, Any]]) -> list[Any]:
        """Replace existing frames (matched by id); return the frames that failed.

        Raises:
            FrameNotFoundError: when a frame id is not in the version (nothing is written).
            InvalidFrameError: for a malformed frame.
            VersionStateError: when the version is published.
        """
        frames = list(frames)
        ops.require_existing(self._repo.frame_ids(self.id), frames, self.id)
        return ops.add(self._repo, self.id, frames, ops.UploadOptions())

    def delete_frames(self, frames_or_ids: Iterable[Frame | Mapping[str, Any] | str]) -> int:
        """Delete frames (objects, dicts or ids); unknown ids are ignored.

        Returns:
            How many frames were deleted.

        Raises:
            VersionStateError: when the version is published.
        """
        return ops.delete(self._repo, self.id, frames_or_ids)

    # -- metadata --------------------------------------------------------------------------
    def get_metadata(self) -> dict[str, Any]:
        """Return a copy of the version's metadata (inherited from the parent, then changed)."""
        return copy.deepcopy(self._repo.state(self.id).meta)

    def set_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Replace the version's metadata.

        Raises:
            ValueError: for keys holding ``.`` or ``$`` or values JSON cannot hold.
            VersionStateError: when the version is published.
        """
        check_metadata(metadata)
        commit_meta(self._repo, self.id, replace=copy.deepcopy(dict(metadata)))

    def set_masks_labels(self, mask_labels: Mapping[Any, Sequence[str] | str]) -> None:
        """Map mask pixel values to labels: ``{(r, g, b): ["label", ...]}``.

        Raises:
            ValueError: for a bad pixel value or labels.
            VersionStateError: when the version is published.
        """
        commit_meta(self._repo, self.id, set_={"mask_labels": mask_labels_to_meta(mask_labels)})

    def get_masks_labels(self) -> dict[tuple[int, ...], list[str]]:
        """Return the ``{(r, g, b): [labels]}`` mapping set by :meth:`set_masks_labels`."""
        return mask_labels_from_meta(self._repo.state(self.id).meta)

    # -- lifecycle -------------------------------------------------------------------------
    def publish_version(self) -> None:
        """Freeze the version: every later write to it raises VersionStateError.

        Raises:
            VersionStateError: when it is already published.
        """
        commit_publish(self._repo, self.id)

    def diff(self, other: DatasetVersion) -> VersionDiff:
        """Frame ids added, modified and removed in this version relative to ``other``.

        The versions are streamed side by side in id order, in bounded memory; frames both
        inherit from the same write are not read at all.

        Raises:
            ValueError: when ``other`` belongs to another dataset.
            StoreError: when a segment cannot be read.
        """
        if other.dataset_id != self.dataset_id:
            raise ValueError("can only diff versions of the same dataset")
        return self._repo.diff(self.id, other._repo, other.id)

