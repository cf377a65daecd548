"""The registry of annotation formats: a name maps to a reader class and a writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyperloader.convert._coco_read import CocoReader
from hyperloader.convert._coco_write import write_coco
from hyperloader.convert._errors import ConvertError

__all__ = ["Converter", "get_converter", "list_converters"]


@dataclass(frozen=True)
class Converter:
    """An annotation format: a reader class and a writer function.

    ``reader(path, **options)`` has ``.batches()`` and ``.categories``; ``writer(frames,
    out, **options)`` writes a file.
    """

    name: str
    reader: Callable[..., Any]
    writer: Callable[..., Any]


_CONVERTERS: dict[str, Converter] = {
    "coco": Converter("coco", CocoReader, write_coco),
}


def list_converters() -> list[str]:
    """Return the names of the known annotation formats."""
    return sorted(_CONVERTERS)


def get_converter(name: str) -> Converter:
    """Return the converter called ``name``.

    Raises:
        ConvertError: for an unknown name; the message lists the known ones.
    """
    try:
        return _CONVERTERS[name.lower()]
    except KeyError:
        raise ConvertError(f"unknown annotation format {name!r}; known formats: "
                           f"{', '.join(list_converters())}") from None
