"""Bad version metadata: a named error with the key path and the value; nothing stored."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from hyperloader import Dataset
from hyperloader.errors import InvalidMetadataError


@pytest.mark.parametrize(("bad", "field", "says"), [
    ({"when": dt.datetime(2026, 1, 2, 3, 4)}, "metadata.when", "isoformat"),
    ({"a": {"b": [1, {"c": {1, 2}}]}}, "metadata.a.b[1].c", "set is not JSON"),
    ({"n": np.int64(3)}, "metadata.n", "int64 is not JSON"),
    ({"x": math.nan}, "metadata.x", "NaN"),
    ({"ok": {"in.ner": 1}}, "metadata.ok key", "without '.'"),
    ({"$x": 1}, "metadata key", "without '.' or '$'"),
])
def test_bad_metadata_names_the_key_path_and_value(local_store, bad, field, says):
    version = Dataset.create("meta").get_current()
    version.set_metadata({"kept": True})
    with pytest.raises(InvalidMetadataError) as info:
        version.set_metadata(bad)
    err = info.value
    assert err.field == field and says in str(err) and field in str(err)
    assert isinstance(err, ValueError)  # callers catching ValueError keep working
    assert version.get_metadata() == {"kept": True}  # nothing stored


def test_json_values_still_pass(local_store):
    version = Dataset.create("meta").get_current()
    good = {"s": "x", "i": 1, "f": 0.5, "b": False, "none": None, "l": [1, [2, {"d": "e"}]],
            "np_float": np.float64(1.5)}
    version.set_metadata(good)
    assert version.get_metadata() == good
