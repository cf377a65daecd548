"""Label mapping rules and the label enumeration (``label_num``).

A mapping rule applies to a ROI that carries *all* of its ``from_labels``; those labels
are replaced by ``to_label``, placed where the first of them stood, and the ROI's other
labels stay (``['Car', 'occluded']`` with ``['Car'] -> 'vehicle'`` becomes
``['vehicle', 'occluded']``). Rules are tried in the order they were added against the
original labels; the first that applies wins, so at most one rule maps a ROI. Mapping
happens after matching: queries always see the original labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from hyperloader.dataview._source import WILDCARD, VersionRef

__all__ = ["LabelMapper", "MappingRule", "map_labels"]


@dataclass(frozen=True)
class MappingRule:
    """Map ROIs carrying all of ``from_labels`` to ``to_label``, in the versions named.

    ``dataset_id``/``version_id`` are the names resolved when the rule was added (None
    for ``'*'``; a concrete version of a ``'*'`` dataset matches by name).
    """

    from_labels: tuple[str, ...]
    to_label: str
    dataset_name: str = WILDCARD
    version_name: str = WILDCARD
    dataset_id: str | None = None
    version_id: str | None = None

    def __post_init__(self) -> None:
        labels = (self.from_labels,) if isinstance(self.from_labels, str) else self.from_labels
        if not labels or not all(isinstance(x, str) for x in labels):
            raise ValueError(f"from_labels must be a non-empty list of str, got {labels!r}")
        if not isinstance(self.to_label, str) or not self.to_label:
            raise ValueError(f"to_label must be a non-empty str, got {self.to_label!r}")
        object.__setattr__(self, "from_labels", tuple(labels))

    def applies_to(self, ref: VersionRef) -> bool:
        """Whether the rule covers ``ref``'s version."""
        if self.dataset_name != WILDCARD and ref.dataset_id != self.dataset_id:
            return False
        if self.version_name == WILDCARD:
            return True
        if self.version_id is not None:
            return ref.version_id == self.version_id
        return ref.version_name == self.version_name

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        d = asdict(self)
        d["from_labels"] = list(self.from_labels)
        return d


def map_labels(labels: Sequence[str], rules: Sequence[MappingRule]) -> list[str]:
    """Return ``labels`` after the first applicable rule (see the module docstring)."""
    for rule in rules:
        if all(x in labels for x in rule.from_labels):
            out: list[str] = []
            for label in labels:
                new = rule.to_label if label in rule.from_labels else label
                if new != rule.to_label or new not in out:
                    out.append(new)
            return out
    return list(labels)


class LabelMapper:
    """Maps and enumerates labels for one view, memoised per version and label tuple."""

    def __init__(self, rules: Sequence[MappingRule], labels: Mapping[str, int] | None) -> None:
        self.rules = tuple(rules)
        self.labels = dict(labels) if labels is not None else None
        self._memo: dict[tuple[str, tuple[str, ...]], tuple[list[str], int | None]] = {}
        self._scoped: dict[str, tuple[MappingRule, ...]] = {}

    def rules_for(self, ref: VersionRef) -> tuple[MappingRule, ...]:
        """Return the rules covering ``ref``, in order."""
        if ref.version_id not in self._scoped:
            self._scoped[ref.version_id] = tuple(r for r in self.rules if r.applies_to(ref))
        return self._scoped[ref.version_id]

    def label_num(self, labels: Sequence[str]) -> int | None:
        """Return the id of the first enumerated label, -1 if none, None without enumeration."""
        if self.labels is None:
            return None
        return next((self.labels[x] for x in labels if x in self.labels), -1)

    def apply(self, ref: VersionRef, labels: Sequence[str]) -> tuple[list[str], int | None]:
        """Return ``(mapped labels, label_num)`` for a ROI of ``ref``'s version."""
        key = (ref.version_id, tuple(labels))
        hit = self._memo.get(key)
        if hit is None:
            mapped = map_labels(labels, self.rules_for(ref))
            hit = self._memo[key] = (mapped, self.label_num(mapped))
        return list(hit[0]), hit[1]

    def mask_ids(self, ref: VersionRef) -> dict[tuple[int, ...], int]:
        """Return ``{(r, g, b): label id}`` for the version's ``mask_labels`` metadata.

        Values whose mapped labels are not enumerated are left out, so a loader can use
        an ignore index for them.
        """
        spec = ref.metadata_loader().get("mask_labels") or {}
        items = spec.get("_all_", []) if isinstance(spec, Mapping) else spec
        out: dict[tuple[int, ...], int] = {}
        for item in items:
            value = item["value"]
            rgb = (value,) * 3 if isinstance(value, int) else tuple(int(v) for v in value)
            _, num = self.apply(ref, list(item.get("labels") or []))
            if num is not None and num >= 0:
                out[rgb] = num
        return out
