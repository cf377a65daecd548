"""The store's on-disk format version: written once, checked whenever a store is opened."""

from __future__ import annotations

import json

from hyperloader.errors import StoreError
from hyperloader.store._commit_log import exclusive_create
from hyperloader.store._layout import Store, current_store

__all__ = ["FORMAT_VERSION", "check_format", "open_store"]

FORMAT_VERSION = 1

_CHECKED: set[str] = set()


def check_format(store: Store, *, create: bool) -> None:
    """Check the store's format version, writing it first when ``create`` and absent.

    Raises:
        StoreError: when the store was written by a newer, unknown format, or its
            ``hyperloader.json`` is unreadable.
    """
    if store.url in _CHECKED:
        return
    path = store.format_file()
    try:
        doc = store.read_json(path)
    except FileNotFoundError:
        if not create:
            return  # an empty store: nothing to read yet, nothing to check
        body = json.dumps({"format_version": FORMAT_VERSION}).encode()
        if not exclusive_create(store, path, body):
            doc = store.read_json(path)
        else:
            doc = {"format_version": FORMAT_VERSION}
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if not isinstance(version, int):
        raise StoreError(f"store {store.url!r} has no valid format_version in {path!r}: "
                         f"{doc!r}", uri=store.url)
    if version > FORMAT_VERSION:
        raise StoreError(f"store {store.url!r} uses format {version}, newer than this "
                         f"hyperloader understands ({FORMAT_VERSION}); upgrade hyperloader",
                         uri=store.url)
    _CHECKED.add(store.url)


def open_store(*, create: bool = False) -> Store:
    """Open the store at the configured root and check its format.

    Args:
        create: write ``hyperloader.json`` when the store is new (writers pass True).

    Raises:
        StoreError: when the root cannot be opened or its format is unknown.
    """
    store = current_store()
    check_format(store, create=create)
    return store
