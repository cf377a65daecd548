"""Projection of frame dicts onto dotted field paths (``'sources.uri'``, ``'rois.label'``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["project"]


def _into(out: dict[str, Any], src: dict[str, Any], parts: list[str]) -> None:
    key = parts[0]
    if key not in src or out.get(key) is src[key]:
        return
    value = src[key]
    if len(parts) == 1:
        out[key] = value
    elif isinstance(value, dict):
        _into(out.setdefault(key, {}), value, parts[1:])
    elif isinstance(value, list):
        items = out.setdefault(key, [{} for _ in value])
        for target, item in zip(items, value, strict=False):
            if isinstance(item, dict):
                _into(target, item, parts[1:])


def project(doc: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """Return the parts of ``doc`` named by dotted ``fields`` (all of it when None).

    A path through a list applies to each element, so ``'rois.label'`` gives
    ``{'rois': [{'label': [...]}, ...]}``. Missing fields are left out.

    Raises:
        ValueError: for an empty field name.
    """
    if fields is None:
        return doc
    out: dict[str, Any] = {}
    for name in fields:
        parts = str(name).split(".")
        if not all(parts):
            raise ValueError(f"bad projection field {name!r}; use dotted names like 'sources.uri'")
        _into(out, doc, parts)
    return out
