"""Version metadata: key validation and the ``mask_labels`` shape of the reference SDK."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from hyperloader.errors import InvalidMetadataError

__all__ = ["ALL_MASKS", "check_metadata", "mask_labels_from_meta", "mask_labels_to_meta"]

ALL_MASKS = "_all_"
_SCALARS = (str, int, float, bool, type(None))


def check_metadata(meta: Any, where: str = "metadata", *, version_id: str | None = None) -> None:
    """Reject non-dicts, keys holding ``.`` or ``$``, and values JSON cannot store.

    Allowed values: ``str``, ``int``, finite ``float``, ``bool``, ``None``, and lists,
    tuples and dicts of them.

    Raises:
        InvalidMetadataError: naming the key path and showing the value.
    """
    if not isinstance(meta, Mapping):
        raise InvalidMetadataError("must be a dict", field=where, value=meta,
                                   version_id=version_id)
    for key, value in meta.items():
        if not isinstance(key, str) or not key or "." in key or "$" in key:
            raise InvalidMetadataError("keys must be non-empty strings without '.' or '$'",
                                       field=f"{where} key", value=key, version_id=version_id)
        _check_value(value, f"{where}.{key}", version_id)


def _check_value(value: Any, where: str, version_id: str | None) -> None:
    if isinstance(value, Mapping):
        check_metadata(value, where, version_id=version_id)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", version_id)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidMetadataError("NaN and infinity are not JSON", field=where, value=value,
                                   version_id=version_id)
    elif not isinstance(value, _SCALARS):
        hint = "; store value.isoformat()" if isinstance(value, (dt.date, dt.time)) else ""
        raise InvalidMetadataError(f"{type(value).__name__} is not JSON-serialisable{hint}",
                                   field=where, value=value, version_id=version_id)


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
