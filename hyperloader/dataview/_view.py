"""DataView: which frames a run wants, in what proportion, with which label ids and order."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from hyperloader.dataview._enums import IterationOrder, OutputRois
from hyperloader.dataview._files import FilesMixin
from hyperloader.dataview._mapping import MappingRule
from hyperloader.dataview._reading import ReadingMixin
from hyperloader.dataview._rules import RoiQuery, Rule, compile_rule, make_target
from hyperloader.dataview._source import (
    WILDCARD,
    Catalog,
    VersionRef,
    resolve_scope,
    resolve_versions,
)
from hyperloader.dataview._spec import IterationSettings, ViewSpec, spec_from_dict

__all__ = ["DataView"]


def _non_negative(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


class DataView(ReadingMixin, FilesMixin):
    """A set of rules over dataset versions, with label mapping, enumeration and order.

    Args:
        name: A name for logs and the spec.
        iteration_order: ``'sequential'`` or ``'random'`` (an :class:`IterationOrder`).
        iteration_infinite: Repeat passes forever (a fresh permutation per random epoch).
        random_seed: Seed of the random order; None picks a random one, recorded in the
            spec and the iterator state.
        catalog: Where dataset and version names resolve; the store by default.

    Raises:
        ValueError: for an unknown order (listing the known ones) or a negative seed.
    """

    RoiQuery: TypeAlias = RoiQuery

    def __init__(self, name: str | None = None,
                 iteration_order: IterationOrder | str = IterationOrder.sequential,
                 iteration_infinite: bool = False, random_seed: int | None = None, *,
                 catalog: Catalog | None = None) -> None:
        seed = secrets.randbits(63) if random_seed is None else random_seed
        self._spec = ViewSpec(name, [], [], None, OutputRois.all_in_frame, IterationSettings(
            IterationOrder(iteration_order), bool(iteration_infinite),
            _non_negative(seed, "random_seed")))
        self._compiled: list[Any] = []
        self._refs: dict[tuple[str, str], VersionRef] = {}
        self._catalog = catalog
        self._invalidate()

    # -- settings ---------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The view's name."""
        return self._spec.name

    @property
    def iteration_order(self) -> IterationOrder:
        """The iteration order."""
        return self._spec.iteration.order

    @property
    def iteration_infinite(self) -> bool:
        """Whether iteration repeats passes forever."""
        return self._spec.iteration.infinite

    @property
    def random_seed(self) -> int:
        """The seed of the random order."""
        return self._spec.iteration.random_seed

    @property
    def maximum_number_of_frames(self) -> int | None:
        """The cap on the number of items a stream yields, or None."""
        return self._spec.iteration.maximum_number_of_frames

    @property
    def output_rois(self) -> OutputRois:
        """Which ROIs returned frames carry (an :class:`OutputRois`; strings accepted)."""
        return self._spec.output_rois

    @output_rois.setter
    def output_rois(self, value: OutputRois | str) -> None:
        self._spec.output_rois = OutputRois(value)
        self._invalidate()

    def set_iteration_parameters(self, order: IterationOrder | str | None = None,
                                 infinite: bool | None = None,
                                 maximum_number_of_frames: int | None = None,
                                 random_seed: int | None = None) -> None:
        """Change the iteration settings; arguments left None keep their value.

        Raises:
            ValueError: for an unknown order or a negative count or seed.
        """
        it = self._spec.iteration
        if order is not None:
            it.order = IterationOrder(order)
        if infinite is not None:
            it.infinite = bool(infinite)
        if maximum_number_of_frames is not None:
            it.maximum_number_of_frames = _non_negative(maximum_number_of_frames,
                                                        "maximum_number_of_frames")
        if random_seed is not None:
            it.random_seed = _non_negative(random_seed, "random_seed")
        self._invalidate(plan=False)

    def set_initial_iteration(self, n: int) -> None:
        """Make the next iterator start at position ``n`` of the stream (to resume a run)."""
        self._spec.iteration.initial_iteration = _non_negative(n, "initial iteration")
        self._last_iterator = None

    def get_initial_iteration(self) -> int:
        """Return the position new iterators start at."""
        return self._spec.iteration.initial_iteration

    def set_labels(self, labels: Mapping[str, int]) -> None:
        """Set the label enumeration, e.g. ``{'cat': 1, 'dog': 2}``.

        Raises:
            ValueError: when a key is not a str or a value not an int.
        """
        if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                   for k, v in labels.items()):
            raise ValueError(f"labels must map str to int, got {dict(labels)!r}")
        self._spec.labels = dict(labels)
        self._invalidate(plan=False)

    def get_labels(self) -> dict[str, int]:
        """Return a copy of the label enumeration (empty when none is set)."""
        return dict(self._spec.labels or {})

    # -- rules ------------------------------------------------------------------------------
    def _add_rule(self, rule: Rule) -> None:
        compiled = compile_rule(rule)
        if rule.target.is_concrete:
            refs = resolve_versions(rule.target, self.catalog)
            self._refs.update((r.key, r) for r in refs)
            rule = Rule(rule.target, rule.roi_query, rule.frame_query, rule.source_query,
                        rule.weight, rule.roi_queries, tuple(r.key for r in refs))
        self._spec.rules.append(rule)
        self._compiled.append(compiled)
        self._invalidate()

    def add_query(self, dataset_name: str | None = None, version_name: str | None = None,
                  roi_query: str | Sequence[str] | None = None, frame_query: str | None = None,
                  source_query: str | None = None, weight: float = 1.0,
                  dataset_id: str | None = None, version_id: str | None = None) -> None:
        """Add a rule; a frame is in the view when any rule selects it.

        A rule with no query selects every frame of its versions. ``'*'`` as the dataset
        (or version) name means every dataset the view's concrete rules name (every version
        of the dataset). A version name of None means the latest published version, else
        the latest draft. Concrete names resolve to ids now.

        Args:
            dataset_name: Dataset name, or ``'*'``.
            version_name: Version name, ``'*'``, or None for the default version.
            roi_query: A label, a list of labels one ROI carries together, or a Lucene
                query per ROI (default field ``label``, default operator AND).
            frame_query: A Lucene query over frame fields.
            source_query: A Lucene query over source fields (any source matches).
            weight: The rule's share in infinite random views.
            dataset_id: Dataset id, instead of a name.
            version_id: Version id, instead of a name.

        Raises:
            QuerySyntaxError: for malformed query text.
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown version.
            ValueError: when neither a dataset name nor an id is given, or a bad weight.
        """
        if roi_query is not None and not isinstance(roi_query, (str, list, tuple)):
            raise ValueError(f"roi_query must be a str or a list of str, got {roi_query!r}")
        target = make_target(dataset_name, version_name, dataset_id, version_id)
        self._add_rule(Rule(target, list(roi_query) if isinstance(roi_query, tuple)
                            else roi_query, frame_query, source_query, weight))

    def add_multi_query(self, dataset_name: str | None, version_name: str | None,
                        roi_queries: Sequence[RoiQuery | Mapping[str, Any]],
                        frame_query: str | None = None, weight: float = 1.0, *,
                        source_query: str | None = None, dataset_id: str | None = None,
                        version_id: str | None = None) -> None:
        """Add a rule made of several :class:`RoiQuery` conditions, each on its own.

        A frame matches when every positive RoiQuery's count of matching ROIs is within
        its ``count_range`` (default: at least one), no ROI matches a ``must_not`` one,
        and the frame and source queries hold. Other arguments are as in :meth:`add_query`.

        Raises:
            QuerySyntaxError: for malformed query text.
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown version.
        """
        queries = tuple(q if isinstance(q, RoiQuery) else RoiQuery(**q) for q in roi_queries)
        target = make_target(dataset_name, version_name, dataset_id, version_id)
        self._add_rule(Rule(target, None, frame_query, source_query, weight, queries))

    def add_mapping_rule(self, from_labels: Sequence[str] | str, to_label: str,
                         dataset_name: str = WILDCARD, version_name: str = WILDCARD) -> None:
        """Map ROIs that carry all of ``from_labels``: those labels become ``to_label``.

        The other labels of the ROI stay. Rules apply in the order added, first match
        only, after matching (queries see the original labels) and before the label
        enumeration.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown version.
            ValueError: for empty labels.
        """
        dataset_id, version_id = resolve_scope(self.catalog, dataset_name, version_name)
        self._spec.mapping.append(MappingRule(tuple(
            [from_labels] if isinstance(from_labels, str) else from_labels), to_label,
            dataset_name, version_name, dataset_id, version_id))
        self._invalidate(plan=False)

    # -- spec -------------------------------------------------------------------------------
    def to_json(self) -> str:
        """Return the whole spec as JSON, every rule pinned to version ids.

        Raises:
            DatasetNotFoundError: for an unknown dataset.
            VersionNotFoundError: for an unknown version.
        """
        return self._json()

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any], *,
                  catalog: Catalog | None = None) -> DataView:
        """Rebuild a view from :meth:`to_json` output.

        Raises:
            ValueError: for a malformed spec.
            QuerySyntaxError: for malformed query text.
        """
        spec = spec_from_dict(text if isinstance(text, str) else dict(text))
        view = cls(catalog=catalog)
        view._spec = spec
        view._compiled = [compile_rule(r) for r in spec.rules]
        view._invalidate()
        return view

    def __repr__(self) -> str:
        return (f"DataView(name={self.name!r}, rules={len(self._spec.rules)}, "
                f"order={self.iteration_order.value!r}, infinite={self.iteration_infinite})")
