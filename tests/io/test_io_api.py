from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import hyperloader.io as hio
from hyperloader.io import parse_size


def test_all_is_sorted_and_documented():
    assert hio.__all__ == sorted(hio.__all__)
    for name in hio.__all__:
        obj = getattr(hio, name)
        assert inspect.getdoc(obj), name


def test_io_imports_no_torch_store_or_dataview():
    code = ("import sys, hyperloader; before = set(sys.modules); import hyperloader.io; "
            "bad = [m for m in set(sys.modules) - before if m.split('.')[0] == 'torch' or "
            "m.startswith(('hyperloader.store', 'hyperloader.dataview', 'hyperloader.model'))]; "
            "print(sorted(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("text, expected", [
    (1024, 1024), ("1024", 1024), ("500MB", 500 * 10**6), ("2GiB", 2 * 2**30),
    ("1.5k", 1500), ("3 mib", 3 * 2**20),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_parse_size_rejects_garbage():
    with pytest.raises(ValueError, match="not a byte size"):
        parse_size("lots")
