"""Stream the items of one top-level JSON array without loading the whole file."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from hyperloader._fs import url_to_fs
from hyperloader.convert._errors import ConvertError

__all__ = ["has_streaming", "iter_json_array"]

log = logging.getLogger(__name__)

try:  # ijson is the well-kept streaming JSON parser; without it we load the file whole
    import ijson
except ImportError:  # pragma: no cover - depends on the environment
    ijson = None


def has_streaming() -> bool:
    """Return True when ``ijson`` is installed, so arrays are parsed incrementally."""
    return ijson is not None


def iter_json_array(path: str, key: str) -> Iterator[dict[str, Any]]:
    """Yield the items of the top-level array ``key`` of the JSON object in ``path``.

    With ``ijson`` installed memory stays bounded by one item; without it the file is
    loaded whole (a warning says so). A missing key yields nothing.

    Args:
        path: a local path or any fsspec URL.
        key: the top-level key, e.g. ``"images"``.

    Raises:
        ConvertError: when the file is not valid JSON.
    """
    fs, fpath = url_to_fs(path)
    try:
        with fs.open(fpath, "rb") as f:
            if ijson is None:
                log.warning("ijson is not installed: loading %s whole (pip install ijson)", path)
                yield from (json.load(f).get(key) or [])
                return
            yield from ijson.items(f, f"{key}.item", use_float=True)
    except FileNotFoundError as exc:
        raise ConvertError("file not found", path=path) from exc
    except (ValueError, _ijson_errors()) as exc:
        raise ConvertError(f"invalid JSON while reading {key!r}: {exc}", path=path) from exc


def _ijson_errors() -> type[Exception]:
    return ijson.JSONError if ijson is not None else ValueError
