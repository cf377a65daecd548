"""The public API: sorted ``__all__``, every exported name resolvable and documented."""

from __future__ import annotations

import inspect

import pytest

import hyperloader
import hyperloader.model

MODULES = [hyperloader, hyperloader.model]


def _documented(obj) -> bool:
    doc = obj.__doc__ if (inspect.isclass(obj) or inspect.isroutine(obj)
                          or inspect.ismodule(obj)) else None
    return bool(doc and doc.strip())


def test_top_level_all_is_sorted_and_unique():
    assert hyperloader.__all__ == sorted(hyperloader.__all__)
    assert len(set(hyperloader.__all__)) == len(hyperloader.__all__)


def test_model_all_is_unique():
    assert len(set(hyperloader.model.__all__)) == len(hyperloader.model.__all__)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_exported_name_exists(module):
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_name_has_a_docstring(module):
    assert _documented(module)
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)):
            continue  # data constants (POLY_SEPARATOR) carry their type's docstring
        if not _documented(obj):
            undocumented.append(name)
    assert undocumented == []


def _public_members(cls):
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        if owner is None or not owner.__module__.startswith("hyperloader"):
            continue  # inherited from the standard library (MutableMapping.get, ...)
        attr = vars(owner)[name]
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if isinstance(attr, property) or inspect.isfunction(attr):
            yield f"{cls.__name__}.{name}", attr


def test_public_methods_of_model_classes_have_docstrings():
    classes = [getattr(hyperloader.model, n) for n in hyperloader.model.__all__]
    undocumented = [name for cls in classes if inspect.isclass(cls)
                    for name, attr in _public_members(cls)
                    if not (attr.__doc__ and attr.__doc__.strip())]
    assert undocumented == []


def test_reference_sdk_names_are_exported_at_the_top():
    for name in ("SingleFrame", "FrameGroup", "Roi", "frame_from_dict"):
        assert name in hyperloader.__all__
        assert getattr(hyperloader, name) is getattr(hyperloader.model, name)
