"""The public surface of hyperloader.decode: sorted __all__, docstrings, no torch."""

from __future__ import annotations

import ast
import inspect
import pathlib
import subprocess
import sys

import hyperloader.decode as decode

PKG = pathlib.Path(decode.__file__).parent


def test_all_is_sorted_and_exported():
    assert decode.__all__ == sorted(decode.__all__)
    for name in decode.__all__:
        assert hasattr(decode, name), name


def test_public_callables_have_google_docstrings():
    for name in decode.__all__:
        obj = getattr(decode, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj)
            assert doc, f"{name} has no docstring"
            if not inspect.isfunction(obj):
                continue
            sig = inspect.signature(obj)
            if sig.parameters:
                assert "Args:" in doc, name
            if sig.return_annotation not in ("None", None):
                assert "Returns:" in doc, name


def test_modules_have_docstring_and_future_import():
    for path in sorted(PKG.glob("*.py")):
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        futures = [n for n in tree.body if isinstance(n, ast.ImportFrom)
                   and n.module == "__future__"]
        assert futures, f"{path.name} lacks 'from __future__ import annotations'"
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Assert), f"assert in {path.name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "print", f"print in {path.name}"


def test_importing_decode_does_not_import_torch():
    code = "import sys, hyperloader.decode; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
