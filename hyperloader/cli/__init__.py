"""The ``hyperloader`` command line: argparse over the public API."""

from __future__ import annotations

from hyperloader.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
