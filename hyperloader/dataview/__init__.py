"""DataView: rules, weights, label mapping and enumeration, order -> numpy index arrays.

Semantics, in short (details in the docstrings of the private modules):

* Rules are OR'ed; a rule's ROI, frame and source queries are AND'ed; a rule with none
  selects every frame of its versions. A frame selected by several rules is one entry.
* Version name None means the latest published version, else the latest draft. ``'*'``
  as a dataset means every dataset the view's concrete rules name; ``'*'`` as a version
  means every version of the dataset. Concrete names resolve to ids when a rule is added;
  ``to_json`` pins every rule to ``(dataset_id, version_id)`` pairs.
* A query naming a meta key one version lacks matches nothing in that version, as long
  as it evaluates on another version of the rule; otherwise QuerySyntaxError.
* Mapping rules apply after matching: a ROI carrying all ``from_labels`` has those labels
  replaced by ``to_label`` (other labels stay); first applicable rule wins. ``label_num``
  is the id of the first mapped label that is enumerated, -1 if none, and left None when
  the view has no enumeration.
* ``only_filtered`` keeps the ROIs that made the frame match (every ROI, for a rule
  without ROI conditions); ``frame_per_roi`` yields one copy per such ROI, so a frame
  without ROIs yields nothing.
* Order: by context_id, then timestamp, then frame id. Random views shuffle whole
  contexts with PCG64 seeded by (seed, epoch). Infinite random views with several rules
  draw each item's rule by weight; finite and sequential views ignore weights.
* The stream is pass 0, 1, 2, ... (passes of ``num_entries()`` items; finite views have
  one), capped at ``maximum_number_of_frames``. Worker ``i`` of ``W`` takes stream
  positions ``i, i + W, ...`` (strided), so round-robin over workers is the single stream.
* ``get_count()`` counts matching entries and ignores the cap; ``len(dv)`` is the number
  of items a stream yields (one pass for an endless view).
"""

from hyperloader.dataview._enums import IterationOrder, OutputRois
from hyperloader.dataview._iterator import DataViewIterator, StatefulIterator
from hyperloader.dataview._mapping import MappingRule, map_labels
from hyperloader.dataview._order import (
    EPOCH_ORDERS,
    get_epoch_order,
    order_random,
    order_sequential,
)
from hyperloader.dataview._plan import EntryTable
from hyperloader.dataview._rules import RoiQuery
from hyperloader.dataview._shard import shard
from hyperloader.dataview._source import Catalog, MemoryCatalog, VersionRef, default_version
from hyperloader.dataview._view import DataView
from hyperloader.dataview._weights import weighted_draw

__all__ = [
    "Catalog",
    "DataView",
    "DataViewIterator",
    "EPOCH_ORDERS",
    "EntryTable",
    "IterationOrder",
    "MappingRule",
    "MemoryCatalog",
    "OutputRois",
    "RoiQuery",
    "StatefulIterator",
    "VersionRef",
    "default_version",
    "get_epoch_order",
    "map_labels",
    "order_random",
    "order_sequential",
    "shard",
    "weighted_draw",
]
