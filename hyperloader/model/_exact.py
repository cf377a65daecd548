"""Values into int64 columns and the frame JSON exactly, or an error naming the frame.

Arrow truncates ``1.5`` to ``1`` when asked for int64 and ``json.dumps`` fails on a set
with a bare ``TypeError``; both would lose the frame's data or its name on the way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa

from hyperloader.errors import InvalidFrameError
from hyperloader.model._validate import is_int64

__all__ = ["fits_meta_column", "frame_doc", "int64_column"]

_PLAIN = frozenset({int, type(None)})
_FLOAT_EXACT = 2**53


def int64_column(values: list[Any], where: Callable[[int], tuple[str, str]]) -> pa.Array:
    """Return ``values`` as an int64 array; integral floats and numpy ints are accepted.

    Raises:
        InvalidFrameError: for a fraction, a bool, a string or a value past int64, naming
            the frame and field that ``where(row)`` returns.
    """
    plain = set(map(type, values)) <= _PLAIN
    if plain or all(v is None or is_int64(v) for v in values):
        try:
            return pa.array(values if plain else [None if v is None else int(v) for v in values],
                            pa.int64())
        except OverflowError:  # a Python int past int64
            pass
    row = next(i for i, v in enumerate(values) if v is not None and not is_int64(v))
    frame_id, field = where(row)
    raise InvalidFrameError(f"{field.rsplit('.', 1)[-1]} must be an integer that fits in 64 bits",
                            frame_id=frame_id, field=field, value=values[row])


def fits_meta_column(value: Any, kind: str) -> bool:
    """Return True when a ``kind`` ("int", "float", ...) meta column holds ``value`` exactly."""
    if isinstance(value, bool) or not isinstance(value, int):
        return True
    return abs(value) <= _FLOAT_EXACT if kind == "float" else is_int64(value)


class _NotJson(TypeError):
    def __init__(self, value: Any) -> None:
        super().__init__(f"not JSON serialisable: {value!r}")
        self.value = value


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise _NotJson(value)


def frame_doc(d: Mapping[str, Any], frame_id: Any) -> str:
    """Return the compact JSON text of the frame dict ``d``.

    Raises:
        InvalidFrameError: when a value has no JSON form (a set, an arbitrary object),
            naming the frame and the field that holds it.
    """
    try:
        return json.dumps(d, separators=(",", ":"), default=_json_default)
    except _NotJson as exc:
        value, field = exc.value, _path_to(d, exc.value) or ""
    except ValueError as exc:  # a container that contains itself
        raise InvalidFrameError(f"the frame JSON cannot hold it: {exc}",
                                frame_id=frame_id) from None
    raise InvalidFrameError(f"JSON cannot hold a {type(value).__name__}; use str, int, float, "
                            "bool, None, list, dict or datetime", frame_id=frame_id,
                            field=field, value=value)


def _path_to(node: Any, target: Any, path: str = "") -> str | None:
    """Return the field path of the object ``target`` inside ``node`` (error path only)."""
    if node is target:
        return path
    if isinstance(node, Mapping):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in node.items())
    elif isinstance(node, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(node))
    else:
        return None
    for sub, value in items:
        found = _path_to(value, target, sub)
        if found is not None:
            return found
    return None
