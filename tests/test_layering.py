"""The package keeps its layers: imports flow one way, and only hyperloader.torch imports torch."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

PKG = pathlib.Path(__file__).resolve().parents[1] / "hyperloader"

# what each layer may import from hyperloader (besides the base modules and itself)
ALLOWED = {
    "model": set(),
    "query": {"model"},
    "store": {"model"},
    "dataview": {"model", "query", "store", "io"},  # io only lazily, for prefetch_files
    "io": {"model"},
    "decode": set(),
    "torch": {"model", "query", "store", "dataview", "io", "decode"},
    "convert": {"model", "store", "dataview", "io", "decode"},
    "render": {"model", "decode", "io"},
    "cli": {"model", "query", "store", "dataview", "io", "decode", "torch", "convert", "render"},
}
BASE = {"errors", "_config", "_fs", "_locks"}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "hyperloader" and len(parts) > 1:
                found.add(parts[1])
            if parts[0] == "torch" or parts[0] == "torchvision":
                found.add("<torch>")
    return found


def test_layers_import_only_what_they_may():
    bad = []
    for layer, allowed in ALLOWED.items():
        for path in (PKG / layer).rglob("*.py"):
            for dep in _imports(path) - allowed - BASE - {layer}:
                if dep == "<torch>" and layer == "torch":
                    continue
                bad.append(f"{path.relative_to(PKG)} imports {dep}")
    assert bad == []


def test_import_hyperloader_does_not_import_torch():
    code = ("import sys, hyperloader, hyperloader.dataview, hyperloader.io; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
