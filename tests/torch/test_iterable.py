from __future__ import annotations

import pickle
from collections import Counter

import pytest
from torch.utils.data import DataLoader
from torchdata.stateful_dataloader import StatefulDataLoader

from hyperloader.errors import DecodeError
from hyperloader.torch import (
    FrameDataset,
    FrameIterableDataset,
    LoaderOptions,
    SampleOptions,
    collate_frames,
    merge_states,
)
from tests.torch.torch_data import make_view

# torchdata 0.11's StatefulDataLoader calls torch.set_vital, which torch 2.15 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:'set_vital' is deprecated:UserWarning")

N = 23  # odd on purpose: shards and batches come out uneven


@pytest.fixture()
def view(tmp_path):
    return make_view(tmp_path, N)


def _ids(batches):
    return [t["frame_id"] for _, targets in batches for t in targets]


def _plan_ids(view, epoch):
    return [f.id for f in view.get_entries(view.plan(epoch))]


def _loader(ds, cls=DataLoader, **kw):
    kw.setdefault("batch_size", 4)
    kw.setdefault("num_workers", 2)
    return cls(ds, collate_fn=collate_frames, **kw)


def test_each_frame_exactly_once_per_epoch_with_two_workers(view):
    ds = FrameIterableDataset(view)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        got = _ids(_loader(ds))
        assert Counter(got) == Counter(_plan_ids(view, epoch))
        assert len(got) == N
    assert _plan_ids(view, 0) != _plan_ids(view, 1)  # a new order per epoch...
    ds.set_epoch(0)
    assert _ids(_loader(ds, num_workers=0, batch_size=1)) == _plan_ids(view, 0)  # ...and stable


def test_local_files_read_ahead_on_threads_when_asked(view):
    opts = LoaderOptions(prefetch_local=True, prefetch_items=3, prefetch_threads=2)
    ds = FrameIterableDataset(view, loader_options=opts)
    assert _ids(_loader(ds, num_workers=0, batch_size=5)) == _plan_ids(view, 0)
    assert ds.stats.frames == N and ds.stats.stall_seconds >= 0


def test_ranks_split_the_epoch_and_even_shards_pads(view):
    def run(rank, **opts):
        ds = FrameIterableDataset(view, loader_options=LoaderOptions(rank=rank, world_size=2,
                                                                      **opts))
        return _ids(_loader(ds)), len(ds)

    (a, len_a), (b, len_b) = run(0), run(1)
    assert Counter(a + b) == Counter(_plan_ids(view, 0)) and {len(a), len(b)} == {11, 12}
    assert (len_a, len_b) == (len(a), len(b))
    (a, _), (b, _) = run(0, even_shards=True), run(1, even_shards=True)
    assert len(a) == len(b) == 12
    plan = _plan_ids(view, 0)
    assert Counter(a + b) - Counter(plan) == Counter(plan[:1])  # padded from the plan's start
    (a, _), (b, _) = run(0, drop_last=True), run(1, drop_last=True)
    assert len(a) == len(b) == 11 and not set(a) & set(b)


@pytest.mark.parametrize("resume_workers", [2, 1, 0])
def test_resume_yields_exactly_the_remaining_frames(view, resume_workers):
    ds = FrameIterableDataset(view)
    ds.set_epoch(1)
    loader = _loader(ds, StatefulDataLoader, batch_size=3)
    seen = []
    for step, batch in enumerate(loader):
        seen += _ids([batch])
        if step == 2:  # uneven stop: worker 0 gave 2 batches, worker 1 one
            state = loader.state_dict()
            break
    del loader
    fresh = FrameIterableDataset(view)
    if resume_workers == 2:  # same layout: StatefulDataLoader restores each worker
        resumed = _loader(fresh, StatefulDataLoader, batch_size=3)
        resumed.load_state_dict(state)
    else:  # another worker count: merge, then load into the dataset
        fresh.load_state_dict(merge_states([state]))
        resumed = _loader(fresh, StatefulDataLoader, batch_size=3, num_workers=resume_workers)
    rest = _ids(resumed)
    assert len(seen) == 9
    assert Counter(seen + rest) == Counter(_plan_ids(view, 1))
    fresh.set_epoch(2)  # a later epoch starts over
    assert len(_ids(_loader(fresh))) == N


def test_map_style_dataset_follows_the_plan(view):
    ds = FrameDataset(view)
    assert len(ds) == N
    assert _ids(_loader(ds, batch_size=5)) == _plan_ids(view, 0)
    ds.set_epoch(1)
    assert _ids(_loader(ds, batch_size=5, num_workers=0)) == _plan_ids(view, 1)


def test_datasets_pickle_small_and_open_lazily(view):
    ds = FrameIterableDataset(view, loader_options=LoaderOptions(prefetch_items=4))
    next(iter(ds))  # opened in this process...
    blob = pickle.dumps(ds)
    assert len(blob) < 4096, len(blob)  # ...but only the spec, config and options travel
    clone = pickle.loads(blob)
    assert clone._reader._view is None
    assert sum(1 for _ in clone) == N
    assert len(pickle.dumps(FrameDataset(view))) < 4096


def test_decode_error_names_the_frame_and_reaches_the_main_process(tmp_path):
    view = make_view(tmp_path, 10, corrupt=(6,))
    with pytest.raises(DecodeError) as info:
        _ids(_loader(FrameIterableDataset(view)))
    message = str(info.value)
    assert "'f0006'" in message and "'default'" in message and "img_0006.jpg" in message


def test_skip_counts_and_logs_bad_frames(tmp_path, caplog):
    view = make_view(tmp_path, 10, corrupt=(3, 6))
    ds = FrameIterableDataset(view, loader_options=LoaderOptions(on_error="skip"))
    got = _ids(_loader(ds, num_workers=0))
    assert sorted(got) == [f"f{i:04d}" for i in range(10) if i not in (3, 6)]
    assert ds.stats.skipped == 2 and ds.stats.frames == 8
    assert any("f0003" in e for e in ds.stats.errors)
    assert "skipping frame 'f0006'" in caplog.text
    mapped = FrameDataset(view, loader_options=LoaderOptions(on_error="skip"))
    assert len(_ids(_loader(mapped, num_workers=2))) == 8  # None samples are dropped


def test_reduced_size_decoding_through_the_loader(view):
    ds = FrameIterableDataset(view, sample_options=SampleOptions(decode_size=(16, 24)))
    images, targets = next(iter(_loader(ds, num_workers=0)))
    assert images.shape == (4, 3, 16, 24)
    assert all(t["boxes"].canvas_size == (16, 24) for t in targets)


def test_a_shard_state_refuses_another_world_and_a_changed_view(view):
    ds = FrameIterableDataset(view, loader_options=LoaderOptions(rank=1, world_size=2))
    it = iter(ds)
    next(it)
    state = ds.state_dict()
    assert (state["shard"], state["num_shards"], state["position"]) == (1, 2, 1)
    single = FrameIterableDataset(view)
    single.load_state_dict(state)
    with pytest.raises(ValueError, match="merge every rank's state"):
        iter(single)
    single.load_state_dict({**merge_states([state, {**state, "shard": 0, "position": 0}]),
                            "plan_size": N + 1})
    with pytest.raises(ValueError, match=f"had {N + 1} entries but the view now plans {N}"):
        iter(single)


def test_a_pass_runs_its_own_epoch_whatever_happens_before_its_first_item(view):
    """``iter()`` fixes the pass; a later ``set_epoch`` or ``iter()`` does not move it."""
    ds = FrameIterableDataset(view)
    first = iter(ds)
    ds.set_epoch(1)  # drops the dataset's cursor before the pass has read anything
    second = iter(ds)
    assert [t["frame_id"] for _, t in first] == _plan_ids(view, 0)
    assert ds.state_dict()["position"] == 0  # the state follows the latest pass...
    assert [t["frame_id"] for _, t in second] == _plan_ids(view, 1)
    assert ds.state_dict()["position"] == N  # ...which the first pass did not advance
