"""Version metadata: key validation and the ``mask_labels`` shape of the reference SDK."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ALL_MASKS", "check_metadata", "mask_labels_from_meta", "mask_labels_to_meta"]

ALL_MASKS = "_all_"


def check_metadata(meta: Any, where: str = "metadata") -> None:
    """Reject non-dicts, keys holding ``.`` or ``$``, and values JSON cannot store.

    Raises:
        ValueError: naming the offending key path.
    """
    if not isinstance(meta, Mapping):
        raise ValueError(f"{where} must be a dict, got {type(meta).__name__}")
    for key, value in meta.items():
        if not isinstance(key, str) or not key or "." in key or "$" in key:
            raise ValueError(f"{where} key {key!r}: keys must be non-empty strings without "
                             "'.' or '$'")
        if isinstance(value, Mapping):
            check_metadata(value, f"{where}.{key}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    check_metadata(item, f"{where}.{key}[{i}]")
    try:
        json.dumps(meta)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} must be JSON-serialisable: {exc}") from exc


def _rgb(value: Any) -> list[int]:
    if (not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3
            or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255
                       for c in value)):
        raise ValueError(f"mask value must be an (r, g, b) tuple of ints in 0..255, got "
                         f"{value!r}")
    return [int(c) for c in value]


def mask_labels_to_meta(mapping: Mapping[Any, Sequence[str] | str]) -> dict[str, Any]:
    """Turn ``{(r, g, b): [labels]}`` into the stored ``{'_all_': [{value, labels}]}`` form.

    Raises:
        ValueError: for a bad pixel value or labels that are not strings.
    """
    entries = []
    for value, labels in mapping.items():
        labels = [labels] if isinstance(labels, str) else list(labels)
        if not all(isinstance(x, str) for x in labels):
            raise ValueError(f"mask labels for {value!r} must be strings, got {labels!r}")
        entries.append({"value": _rgb(value), "labels": labels})
    return {ALL_MASKS: entries}


def mask_labels_from_meta(meta: Mapping[str, Any]) -> dict[tuple[int, ...], list[str]]:
    """Return ``{(r, g, b): [labels]}`` from a version's metadata (empty if unset)."""
    stored = (meta.get("mask_labels") or {}).get(ALL_MASKS) or []
    return {tuple(e["value"]): list(e["labels"]) for e in stored}
