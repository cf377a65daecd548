"""Writing to a version: segments first, then one exclusively-created commit.

Every writer re-checks the version against the commits that beat it to a sequence number:
a publish commit there means the write is refused (VersionStateError), and a meta type
that changed there means the batch is refused (InvalidFrameError). A refused or crashed
write leaves at most an unreferenced segment behind, never a visible change.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from hyperloader.errors import InvalidFrameError, VersionStateError
from hyperloader.model import FrameTables
from hyperloader.store._commit_log import Entries
from hyperloader.store._repo import DatasetRepo
from hyperloader.store._schema import check_batch
from hyperloader.store._segments import delete_segment, write_segment
from hyperloader.store._state import VersionState, fold_version

__all__ = ["commit_meta", "commit_publish", "commit_segment", "now_ms", "refuse_published"]

log = logging.getLogger(__name__)


def now_ms() -> int:
    """Return the current time in epoch milliseconds."""
    return int(time.time() * 1000)


def _state_after(repo: DatasetRepo, version_id: str, entries: Entries) -> VersionState:
    parent = repo.parent_of(version_id)
    return fold_version(entries, repo.state(parent) if parent else None)


def refuse_published(repo: DatasetRepo, version_id: str, state: VersionState,
                     action: str) -> None:
    """Raise when the version is published.

    Raises:
        VersionStateError: naming the version and the refused action.
    """
    if state.published:
        name = repo.record(version_id).name
        raise VersionStateError(f"cannot {action}: version {name!r} ({version_id}) is "
                                "published; create a child version to change it",
                                version_id=version_id)


def commit_segment(repo: DatasetRepo, version_id: str, state: VersionState,
                   tables: FrameTables, *, tombstones: int = 0) -> int:
    """Write ``tables`` as a segment and commit it to the version; return the commit seq.

    ``state`` is the version's state the caller checked the batch against; the commit
    re-checks against any commits that land first.

    Raises:
        VersionStateError: when the version is (or gets) published.
        InvalidFrameError: when a meta key changes type against the version.
        StoreError: when the store cannot be written.
    """
    action = "delete frames" if tombstones else "add frames"
    refuse_published(repo, version_id, state, action)
    schema = check_batch(state.schema, tables)
    segment_id, nbytes = write_segment(repo.store, repo.id, tables)

    def make(entries: Entries) -> dict[str, Any]:
        if entries and entries[-1][0] != state.seq:
            latest = _state_after(repo, version_id, entries)
            refuse_published(repo, version_id, latest, action)
            check_batch(latest.schema, tables)
        return {"op": "write", "segment": segment_id, "frames": tables.frames.num_rows,
                "tombstones": tombstones, "schema": schema, "time": now_ms()}

    try:
        seq = repo.version_log(version_id).append(make)
    except (VersionStateError, InvalidFrameError):
        # refused before any commit was written: the segment is unreferenced garbage.
        # (On other errors the commit may have landed, so the segment must stay.)
        delete_segment(repo.store, repo.id, segment_id)
        raise
    log.debug("version %s commit %d: segment %s (%d rows, %d bytes)", version_id, seq,
              segment_id, tables.frames.num_rows, nbytes)
    return seq  # type: ignore[return-value]


def commit_meta(repo: DatasetRepo, version_id: str, *,
                set_: dict[str, Any] | None = None,
                replace: dict[str, Any] | None = None) -> None:
    """Commit a metadata change: ``set_`` merges keys, ``replace`` swaps the whole dict.

    Raises:
        VersionStateError: when the version is published.
    """
    entry: dict[str, Any] = {"op": "meta", "time": now_ms()}
    if replace is not None:
        entry["replace"] = replace
    if set_ is not None:
        entry["set"] = set_

    def make(entries: Entries) -> dict[str, Any]:
        latest = _state_after(repo, version_id, entries)
        refuse_published(repo, version_id, latest, "change metadata")
        return entry

    repo.version_log(version_id).append(make)


def commit_publish(repo: DatasetRepo, version_id: str) -> int:
    """Commit the publish of a draft; return the publish commit's seq.

    Raises:
        VersionStateError: when the version is already published.
    """
    def make(entries: Entries) -> dict[str, Any]:
        refuse_published(repo, version_id, _state_after(repo, version_id, entries),
                         "publish")
        return {"op": "publish", "time": now_ms()}

    return repo.version_log(version_id).append(make)  # type: ignore[return-value]
