"""Where the store lives and which fsspec options each URL prefix gets.

Priority for the root: ``set_root(url)``, then ``$HYPERLOADER_ROOT``, then ``~/.hyperloader``.
Storage options are kept per URL prefix (``"s3://"``, ``"s3://bucket/"``); the longest
matching prefix wins, so one config serves the store and every source URI.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StorageConfig", "get_config", "get_root", "options_for", "set_config", "set_root",
           "set_storage_options"]

DEFAULT_ROOT = "~/.hyperloader"


@dataclass
class StorageConfig:
    """A picklable snapshot of the store root and per-prefix storage options.

    Torch datasets carry one of these into DataLoader workers, so spawned workers
    see the same credentials and endpoints as the main process.
    """

    root: str | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolved_root(self) -> str:
        """Return the root URL after applying the env var and default."""
        root = self.root or os.environ.get("HYPERLOADER_ROOT") or DEFAULT_ROOT
        return _expand(root)

    def options_for(self, url: str) -> dict[str, Any]:
        """Return the storage options of the longest prefix matching ``url``."""
        best, best_len = {}, -1
        for prefix, opts in self.options.items():
            if url.startswith(prefix) and len(prefix) > best_len:
                best, best_len = opts, len(prefix)
        return dict(best)


def _expand(url: str) -> str:
    if "://" in url:
        return url
    return os.path.abspath(os.path.expanduser(url))


def _scheme_prefix(url: str) -> str:
    return url.split("://", 1)[0] + "://" if "://" in url else ""


_CONFIG = StorageConfig()


def set_root(url: str | os.PathLike[str] | None, **storage_options: Any) -> None:
    """Choose the store root (a directory or any fsspec URL) for this process.

    Args:
        url: directory, ``file://``, ``memory://`` or ``s3://bucket/prefix`` URL; ``None``
            goes back to ``$HYPERLOADER_ROOT`` or the default.
        **storage_options: fsspec options (``endpoint_url``, ``key``, ``secret``, ...) for
            URLs of the root's scheme, so sources in the same object store work too.
    """
    root = None if url is None else _expand(os.fspath(url))
    _CONFIG.root = root
    if storage_options and root is not None:
        prefix = _scheme_prefix(root) or root
        _CONFIG.options[prefix] = dict(storage_options)


def set_storage_options(prefix: str, **storage_options: Any) -> None:
    """Set fsspec options for every URL starting with ``prefix`` (e.g. ``"s3://"``)."""
    _CONFIG.options[prefix] = dict(storage_options)


def get_root() -> str:
    """Return the store root URL in force for this process."""
    return _CONFIG.resolved_root()


def options_for(url: str) -> dict[str, Any]:
    """Return the storage options configured for ``url`` (longest prefix wins)."""
    return _CONFIG.options_for(url)


def get_config() -> StorageConfig:
    """Return a copy of the process's storage config (safe to pickle into workers)."""
    snap = copy.deepcopy(_CONFIG)
    snap.root = _CONFIG.resolved_root()
    return snap


def set_config(config: StorageConfig) -> None:
    """Install ``config`` as this process's storage config (used inside workers)."""
    _CONFIG.root = config.root
    _CONFIG.options = copy.deepcopy(config.options)
