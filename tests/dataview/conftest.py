"""Fixtures for the DataView tests: an in-memory catalog of small known versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hyperloader.dataview import DataView
from tests.dataview.dataview_data import make_catalog


@pytest.fixture()
def catalog():
    return make_catalog()


@pytest.fixture()
def view(catalog) -> Callable[..., DataView]:
    """A factory of views over the in-memory catalog."""

    def make(**kwargs: Any) -> DataView:
        return DataView(catalog=catalog, **kwargs)

    return make
