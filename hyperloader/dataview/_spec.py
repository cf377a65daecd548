"""The JSON form of a DataView spec, and its fingerprint.

The spec holds everything a run needs to reproduce a view: rules pinned to version ids,
weights, mapping rules, the label enumeration, output_rois and the iteration settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from hyperloader.dataview._enums import IterationOrder, OutputRois
from hyperloader.dataview._mapping import MappingRule
from hyperloader.dataview._rules import Rule

__all__ = ["FORMAT", "IterationSettings", "ViewSpec", "fingerprint", "spec_from_dict"]

FORMAT = "hyperloader.dataview/1"
_VOLATILE = ("random_seed", "initial_iteration")  # state, not identity


@dataclass
class IterationSettings:
    """How a view iterates; ``random_seed`` is always a concrete int."""

    order: IterationOrder
    infinite: bool
    random_seed: int
    maximum_number_of_frames: int | None = None
    initial_iteration: int = 0


@dataclass
class ViewSpec:
    """Everything a DataView is made of, in JSON-ready form."""

    name: str | None
    rules: list[Rule]
    mapping: list[MappingRule]
    labels: dict[str, int] | None
    output_rois: OutputRois
    iteration: IterationSettings

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        it = asdict(self.iteration)
        it["order"] = self.iteration.order.value
        return {"format": FORMAT, "name": self.name,
                "rules": [r.to_dict() for r in self.rules],
                "mapping": [m.to_dict() for m in self.mapping],
                "labels": self.labels, "output_rois": self.output_rois.value,
                "iteration": it}


def spec_from_dict(data: dict[str, Any] | str) -> ViewSpec:
    """Parse :meth:`ViewSpec.to_dict` output (a dict or its JSON text).

    Raises:
        ValueError: for another format or a malformed spec.
    """
    d = json.loads(data) if isinstance(data, str) else data
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        got = d.get("format") if isinstance(d, dict) else type(d).__name__
        raise ValueError(f"not a DataView spec: format {got!r}, expected {FORMAT!r}")
    try:
        it = dict(d["iteration"])
        it["order"] = IterationOrder(it["order"])
        return ViewSpec(d.get("name"), [Rule.from_dict(r) for r in d["rules"]],
                        [MappingRule(**m) for m in d.get("mapping", [])],
                        d.get("labels"), OutputRois(d.get("output_rois", "all_in_frame")),
                        IterationSettings(**it))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed DataView spec: {exc!r}") from exc


def fingerprint(spec: ViewSpec) -> str:
    """Return a short hash of what the view selects and how it orders it.

    The random seed and the initial iteration are left out: they travel in the iterator
    state next to the fingerprint.
    """
    d = spec.to_dict()
    for key in _VOLATILE:
        d["iteration"].pop(key, None)
    d.pop("name", None)
    text = json.dumps(d, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
