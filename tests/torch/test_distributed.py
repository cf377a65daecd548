from __future__ import annotations

import json
from collections import Counter

import pytest
import torch.multiprocessing as tmp
from torchdata.stateful_dataloader import StatefulDataLoader

from hyperloader.torch import FrameIterableDataset, LoaderOptions, collate_frames, merge_states
from tests._procs import join_or_dump
from tests.torch.torch_data import make_view
from tests.torch.torch_ddp import BATCH, run_rank

# torchdata 0.11's StatefulDataLoader calls torch.set_vital, which torch 2.15 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:'set_vital' is deprecated:UserWarning")

N = 29
RANKS_DEADLINE_S = 200  # a normal run takes 15-60 s; pytest-timeout fires at 300


def _ids(batches):
    return [t["frame_id"] for _, targets in batches for t in targets]


def _plan(view, epoch):
    return Counter(f.id for f in view.get_entries(view.plan(epoch)))


def test_two_gloo_ranks_shard_resume_and_change_world_size(tmp_path):
    view = make_view(tmp_path / "data", N)
    dataset = FrameIterableDataset(view)

    # a single process with two workers stops epoch 0 early; two ranks finish it
    dataset.set_epoch(0)
    loader, single_seen = StatefulDataLoader(dataset, batch_size=BATCH, num_workers=2,
                                             collate_fn=collate_frames), []
    for step, batch in enumerate(loader):
        single_seen += _ids([batch])
        if step == 3:
            break
    (tmp_path / "single_state.json").write_text(json.dumps(merge_states([loader.state_dict()])))
    del loader

    datasets = {"plain": dataset, "fresh": FrameIterableDataset(view),
                "even": FrameIterableDataset(view, loader_options=LoaderOptions(even_shards=True))}
    ranks = tmp.start_processes(run_rank, args=(2, str(tmp_path), datasets), nprocs=2,
                                join=False, start_method="spawn")
    stuck = join_or_dump(ranks, RANKS_DEADLINE_S)
    assert stuck is None, stuck
    results = json.loads((tmp_path / "results.json").read_text())

    rank0, rank1 = results["epoch0"]
    assert Counter(rank0 + rank1) == _plan(view, 0) and not set(rank0) & set(rank1)
    assert {len(rank0), len(rank1)} == {14, 15}
    assert results["even_batches"][0] == results["even_batches"][1]
    rest = sum(results["resumed_from_single"], [])
    assert Counter(single_seen + rest) == _plan(view, 0)  # world size 1 -> 2

    # two ranks stopped epoch 1; one process with one worker finishes it
    seen = sum(results["stopped_seen"], [])
    assert len(seen) == 2 * 3 * BATCH
    resumed = FrameIterableDataset(view)
    resumed.load_state_dict(merge_states(results["stopped_states"]))
    rest = _ids(StatefulDataLoader(resumed, batch_size=BATCH, num_workers=1,
                                   collate_fn=collate_frames))
    assert Counter(seen + rest) == _plan(view, 1)  # world size 2 -> 1
