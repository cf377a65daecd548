"""What several commands share: DATASET[/VERSION] targets, query options, progress bars."""

from __future__ import annotations

import argparse
import json
import operator
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["add_query_options", "add_target", "has_query", "iter_frames", "make_view",
           "open_version", "print_json", "progress", "split_target", "version_label"]

_CHUNK = 1000


def add_target(parser: argparse.ArgumentParser) -> None:
    """Add the positional ``DATASET[/VERSION]`` argument."""
    parser.add_argument("target", metavar="DATASET[/VERSION]",
                        help="a dataset, optionally /VERSION (default: its current version: "
                             "the newest draft, else the latest published)")


def add_query_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--roi``, ``--frame`` and ``--source`` Lucene query options."""
    parser.add_argument("--roi", metavar="QUERY",
                        help="ROI query, e.g. 'label:car' or 'car AND confidence:[0.5 TO 1]'")
    parser.add_argument("--frame", metavar="QUERY",
                        help="frame query, e.g. 'meta.city:bremen'")
    parser.add_argument("--source", metavar="QUERY", help="source query, e.g. 'width:[640 TO *]'")


def has_query(args: argparse.Namespace) -> bool:
    """Return True when any of ``--roi``, ``--frame``, ``--source`` was given."""
    return any(getattr(args, k, None) for k in ("roi", "frame", "source"))


def split_target(text: str) -> tuple[str, str | None]:
    """Split ``DATASET[/VERSION]`` at the first ``/``.

    Raises:
        ValueError: for an empty dataset or version name.
    """
    dataset, sep, version = text.partition("/")
    if not dataset or (sep and not version):
        raise ValueError(f"expected DATASET or DATASET/VERSION, got {text!r}")
    return dataset, version or None


def open_version(text: str) -> Any:
    """Return the ``DatasetVersion`` named by ``DATASET[/VERSION]``.

    Raises:
        DatasetNotFoundError: for an unknown dataset (close names listed).
        VersionNotFoundError: for an unknown version (close names listed).
    """
    from hyperloader.store import DatasetVersion

    dataset, version = split_target(text)
    return DatasetVersion.get_version(dataset, version)


def version_label(version: Any) -> str:
    """Return ``dataset/version`` for messages."""
    return f"{version.dataset_name}/{version.name}"


def make_view(version: Any, args: argparse.Namespace) -> Any:
    """Return a sequential DataView over ``version`` with the command's query options.

    Raises:
        QuerySyntaxError: for malformed query text.
    """
    from hyperloader.dataview import DataView

    view = DataView(name="cli", iteration_order="sequential", random_seed=0)
    view.add_query(version.dataset_name, roi_query=getattr(args, "roi", None),
                   frame_query=getattr(args, "frame", None),
                   source_query=getattr(args, "source", None), version_id=version.id)
    return view


def iter_frames(version: Any, args: argparse.Namespace) -> tuple[int, Iterator[Any]]:
    """Return ``(count, frames)``: the version's frames, or those matching the query options."""
    if not has_query(args):
        frames = version.get_frames()  # streamed; its length hint is the frame count
        return operator.length_hint(frames), frames
    view = make_view(version, args)
    ids = view.plan(0)

    def matching() -> Iterator[Any]:
        for start in range(0, len(ids), _CHUNK):
            yield from view.get_entries(ids[start:start + _CHUNK])

    return len(ids), matching()


def progress(args: argparse.Namespace, *, total: int | None, desc: str, unit: str) -> Any:
    """Return a tqdm bar on stderr (hidden with ``-q`` or when stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=True if getattr(args, "quiet", False) else None, leave=False)


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout."""
    print(json.dumps(obj, indent=2, default=str))
