"""The parser, the dispatch to command modules, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from hyperloader.errors import HyperloaderError

__all__ = ["build_parser", "main"]

_COMMANDS = ("demo", "import", "export", "ls", "query", "stats", "render", "diff", "prefetch",
             "cache")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--root", metavar="URL", default=default,
                        help="store root (a directory or fsspec URL); default: "
                             "$HYPERLOADER_ROOT, else ~/.hyperloader")
    parser.add_argument("-v", "--verbose", action="count",
                        default=argparse.SUPPRESS if suppress else 0,
                        help="more logging; tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="only errors; no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``hyperloader`` parser with every command registered."""
    import importlib

    from hyperloader import __version__

    parser = argparse.ArgumentParser(
        prog="hyperloader",
        description="Versioned, queryable frame datasets on any fsspec store.")
    parser.add_argument("--version", action="version", version=f"hyperloader {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)  # also accepted after the command name
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        module = importlib.import_module(f"hyperloader.cli._cmd_{name}")
        module.register(sub, [common])
    return parser


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr, force=True)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, HyperloaderError):
        return first or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such file: {exc.filename}"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 on success).

    Every error becomes one line on stderr naming what was wrong and a non-zero status;
    ``-v`` adds the traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    try:
        if args.root:
            from hyperloader import set_root

            set_root(args.root)
        status = args.func(args)
        return int(status or 0)
    except KeyboardInterrupt:
        print("hyperloader: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `hyperloader query ... | head`
        return 0
    except Exception as exc:  # noqa: BLE001 - the CLI's single error boundary
        if args.verbose:
            traceback.print_exc()
        print(f"hyperloader {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
