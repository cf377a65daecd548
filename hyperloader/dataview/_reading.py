"""The reading half of DataView: plan, entries, iteration, counts and exports."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperloader.dataview._decode import decode_dicts
from hyperloader.dataview._epoch import epoch_order
from hyperloader.dataview._iterator import DataViewIterator
from hyperloader.dataview._mapping import LabelMapper
from hyperloader.dataview._plan import EntryTable
from hyperloader.dataview._project import project
from hyperloader.dataview._resolved import Resolved, pin_rules, resolve_plan
from hyperloader.dataview._source import Catalog, VersionRef
from hyperloader.dataview._spec import ViewSpec, fingerprint
from hyperloader.model import FrameGroup, SingleFrame, frame_from_dict

if TYPE_CHECKING:
    from hyperloader.dataview._rules import CompiledRule

__all__ = ["ReadingMixin"]


class ReadingMixin:
    """Plan building, decoding and iteration over the spec a DataView holds."""

    _spec: ViewSpec
    _compiled: list[CompiledRule]
    _catalog: Catalog | None
    _refs: dict[tuple[str, str], VersionRef]

    def _invalidate(self, plan: bool = True) -> None:
        if plan or not hasattr(self, "_resolved_cache"):
            self._pinned_cache: tuple[list[Any], list[list[VersionRef]]] | None = None
            self._resolved_cache: Resolved | None = None
        self._mapper_cache: LabelMapper | None = None
        self._last_iterator: DataViewIterator | None = None

    def __getstate__(self) -> dict[str, Any]:
        # the spec and the catalog only: tables and plans are rebuilt where unpickled
        return {"spec": self._spec, "catalog": self._catalog}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from hyperloader.dataview._rules import compile_rule

        self._spec, self._catalog, self._refs = state["spec"], state["catalog"], {}
        self._compiled = [compile_rule(r) for r in self._spec.rules]
        self._invalidate()

    @property
    def catalog(self) -> Catalog:
        """Where names resolve: the catalog given, else the store (opened on first use)."""
        if self._catalog is None:
            from hyperloader.dataview._store_catalog import StoreCatalog

            self._catalog = StoreCatalog()
        return self._catalog

    def _pinned(self) -> tuple[list[Any], list[list[VersionRef]]]:
        if self._pinned_cache is None:
            self._pinned_cache = pin_rules(self._spec.rules, self.catalog, self._refs)
        return self._pinned_cache

    def _resolved(self) -> Resolved:
        if self._resolved_cache is None:
            self._resolved_cache = resolve_plan(self._pinned()[1], self._compiled,
                                                self._spec.output_rois)
        return self._resolved_cache

    def _mapper(self) -> LabelMapper:
        if self._mapper_cache is None:
            self._mapper_cache = LabelMapper(self._spec.mapping, self._spec.labels)
        return self._mapper_cache

    def _pinned_spec(self) -> ViewSpec:
        return replace(self._spec, rules=self._pinned()[0])

    def _json(self) -> str:
        return json.dumps(self._pinned_spec().to_dict(), sort_keys=True)

    @property
    def fingerprint(self) -> str:
        """A short hash of the pinned spec (seed and initial iteration left out)."""
        return fingerprint(self._pinned_spec())

    # -- internals for the torch layer ------------------------------------------------------
    def versions(self) -> list[VersionRef]:
        """Return the versions the view reads; ``version_idx`` of an entry indexes this."""
        return [v.ref for v in self._resolved().versions]

    def entry_table(self) -> EntryTable:
        """Return the plan's index arrays (entries in sequential order)."""
        return self._resolved().entries

    def num_entries(self) -> int:
        """Return the number of entries: matching frames (or ROIs, for frame_per_roi)."""
        return self._resolved().selection.count

    def plan(self, epoch: int = 0) -> np.ndarray:
        """Return the entry ids of pass ``epoch`` in order (int64, ``num_entries()`` long).

        Sequential: the stored order. Random: groups shuffled with PCG64 seeded by
        (seed, epoch). Infinite random with several rules: each item's rule drawn by
        weight, then the next entry of that rule's own shuffled cycle.
        """
        it = self._spec.iteration
        weights = [r.weight for r in self._spec.rules]
        return epoch_order(self._resolved().entries, order=it.order, infinite=it.infinite,
                           seed=it.random_seed, epoch=int(epoch), weights=weights)

    def get_entry_dicts(self, entry_ids: Sequence[int] | np.ndarray) -> list[dict[str, Any]]:
        """Return the frame dicts of ``entry_ids``, shaped like the frames iteration yields.

        Raises:
            IndexError: for an unknown entry id.
        """
        resolved = self._resolved()
        return decode_dicts(resolved.entries, entry_ids, resolved.versions, self._mapper(),
                            self._spec.output_rois)

    def get_entries(self, entry_ids: Sequence[int] | np.ndarray) -> list[SingleFrame | FrameGroup]:
        """Return the frames of ``entry_ids`` with output_rois, mapping, label_num and dataset.

        Raises:
            IndexError: for an unknown entry id.
        """
        return [frame_from_dict(d) for d in self.get_entry_dicts(entry_ids)]

    def mask_label_ids(self, version_id: str) -> dict[tuple[int, ...], int]:
        """Return ``{(r, g, b): label id}`` for a version's mask labels, mapped and enumerated.

        Values whose labels are not enumerated are left out (use an ignore index for them).

        Raises:
            KeyError: when the view does not read ``version_id``.
        """
        return self._mapper().mask_ids(self._resolved().version(version_id).ref)

    def stream_length(self) -> int | None:
        """Return how many items a stream yields, or None for an endless one."""
        it, n = self._spec.iteration, self.num_entries()
        cap = it.maximum_number_of_frames
        if it.infinite:
            return cap if n else 0
        return n if cap is None else min(cap, n)

    # -- reading ----------------------------------------------------------------------------
    def get_iterator(self, num_workers: int = 1, worker_index: int = 0) -> DataViewIterator:
        """Return a stateful iterator over worker ``worker_index``'s shard of the stream.

        Shards are strided over each pass: disjoint, balanced to within one, and their
        union is the single-worker stream.

        Raises:
            ValueError: for a bad worker count or index.
        """
        iterator = DataViewIterator(self, num_workers, worker_index)  # type: ignore[arg-type]
        self._last_iterator = iterator
        return iterator

    def __iter__(self) -> Iterator[SingleFrame | FrameGroup]:
        return self.get_iterator()

    def __len__(self) -> int:
        """Items in one stream, or in one pass for an endless view."""
        length = self.stream_length()
        return self.num_entries() if length is None else length

    def get_current_iteration(self) -> int:
        """Return the stream position of the next item of the latest iterator."""
        if self._last_iterator is None or not self._last_iterator._initialised:
            return self._spec.iteration.initial_iteration
        return self._last_iterator.global_position

    def _stream_ids(self) -> np.ndarray:
        n, total = self.num_entries(), len(self)
        passes = [self.plan(e) for e in range(-(-total // n))] if n else []
        return np.concatenate(passes)[:total] if passes else np.zeros(0, np.int64)

    def to_list(self) -> list[SingleFrame | FrameGroup]:
        """Return the first ``len(self)`` frames of the stream (from position 0)."""
        return self.get_entries(self._stream_ids())

    def to_dict(self, projection: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Return :meth:`to_list` as frame dicts, keeping only the dotted ``projection`` fields.

        Raises:
            ValueError: for an empty field name.
        """
        return [project(d, projection) for d in self.get_entry_dicts(self._stream_ids())]

    def get_rule_counts(self) -> list[int]:
        """Return how many entries each rule selects (an entry may count for several)."""
        return list(self._resolved().selection.rule_counts)

    def get_count(self, per_rule: bool = False) -> int | tuple[int, list[int]]:
        """Return the number of matching entries, with per-rule counts if ``per_rule``.

        ``maximum_number_of_frames`` does not cap the count.
        """
        total = self.num_entries()
        return (total, self.get_rule_counts()) if per_rule else total
