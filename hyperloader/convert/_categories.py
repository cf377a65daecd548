"""COCO categories: the two-way map between category ids and label names."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CocoCategories"]

log = logging.getLogger(__name__)


class CocoCategories:
    """Category records in file order, looked up by id (import) or by name (export).

    Labels unknown at export time get the next free id, so a view whose labels are not
    all in the recorded categories still exports.

    Args:
        records: COCO category dicts (``{"id", "name", "supercategory"?, ...}``).
    """

    def __init__(self, records: Iterable[Mapping[str, Any]] = ()) -> None:
        self._records: list[dict[str, Any]] = []
        self._by_id: dict[int, str] = {}
        self._by_name: dict[str, int] = {}
        self._warned: set[int] = set()
        for rec in records:
            self.add(dict(rec))

    def add(self, record: dict[str, Any]) -> None:
        """Add one category record (the first record of a name wins for name look-ups)."""
        cid, name = int(record["id"]), str(record["name"])
        record["id"] = cid
        self._records.append(record)
        self._by_id[cid] = name
        self._by_name.setdefault(name, cid)

    def name_of(self, category_id: Any) -> str | None:
        """Return the label of ``category_id``; an unknown id becomes its string (warned once)."""
        if category_id is None:
            return None
        try:
            return self._by_id[int(category_id)]
        except (KeyError, TypeError, ValueError):
            if category_id not in self._warned:
                self._warned.add(category_id)
                log.warning("category id %r is not in the file's categories; using it as the "
                            "label", category_id)
            return str(category_id)

    def id_for(self, label: str) -> int:
        """Return the id of ``label``, adding a category with the next free id if needed."""
        if label not in self._by_name:
            self.add({"id": max(self._by_id, default=0) + 1, "name": label})
        return self._by_name[label]

    def records(self) -> list[dict[str, Any]]:
        """Return the category records in order (what a COCO file's ``categories`` holds)."""
        return [dict(r) for r in self._records]

    def __len__(self) -> int:
        return len(self._records)
