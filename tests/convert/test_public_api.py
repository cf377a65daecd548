from __future__ import annotations

import inspect

import pytest

import hyperloader.cli
import hyperloader.convert
import hyperloader.render


def _isort_key(name: str) -> tuple[int, str]:
    # ruff RUF022 order: CONSTANTS, then Classes, then functions
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("module", [hyperloader.convert, hyperloader.render, hyperloader.cli])
def test_all_is_sorted_and_documented(module):
    names = module.__all__
    assert names == sorted(names, key=_isort_key)
    for name in names:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"
