"""What each of two spawned gloo ranks runs in test_distributed.py (importable by spawn)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch.distributed as dist
from torchdata.stateful_dataloader import StatefulDataLoader

from hyperloader.torch import FrameIterableDataset, collate_frames
from tests._procs import dump_stacks_on_signal

BATCH = 3


def _ids(batches) -> list[str]:
    return [t["frame_id"] for _, targets in batches for t in targets]


def _gather(obj):
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def _loader(ds, num_workers=2, context="fork"):
    # This rank was started with spawn, so its workers would be too (each re-importing
    # torch for seconds); fork them like a torchrun-launched rank does, except where the
    # spawn path itself is under test.
    return StatefulDataLoader(ds, batch_size=BATCH, num_workers=num_workers,
                              collate_fn=collate_frames, multiprocessing_context=context,
                              worker_init_fn=dump_stacks_on_signal)


def run_rank(rank: int, world_size: int, work: str,
             datasets: dict[str, FrameIterableDataset]) -> None:
    """Run every distributed scenario; rank 0 writes what all ranks saw to ``results.json``.

    ``datasets`` holds a plain dataset, one with ``even_shards`` and a fresh one to resume;
    they arrive pickled, as spawned DataLoader workers would get them.
    """
    import warnings

    warnings.filterwarnings("ignore", "'set_vital' is deprecated", UserWarning)
    dump_stacks_on_signal()
    work_dir = Path(work)
    # gloo's timeout (30 min) stays longer than the test's deadline (join_or_dump): a stuck
    # rank is then found with every process of the job still alive to show its stacks
    dist.init_process_group("gloo", init_method=f"file://{work_dir / 'rendezvous'}",
                            rank=rank, world_size=world_size)
    try:
        results = {}
        # (a) one epoch: every frame exactly once across ranks
        dataset = datasets["plain"]
        dataset.set_epoch(0)
        results["epoch0"] = _gather(_ids(_loader(dataset)))
        # (b) even_shards: equal batch counts, so a per-batch collective cannot hang
        batches = 0
        for _ in _loader(datasets["even"]):
            dist.barrier()
            batches += 1
        results["even_batches"] = _gather(batches)
        # (c) resume a run saved by one process with two workers, here on two ranks, in a
        # spawned worker: the rank and the loaded state travel inside the pickled dataset
        saved = json.loads((work_dir / "single_state.json").read_text())
        resumed = datasets["fresh"]
        resumed.load_state_dict(saved)
        results["resumed_from_single"] = _gather(_ids(_loader(resumed, 1, "spawn")))
        # (d) stop epoch 1 at an uneven point and save each rank's loader state
        dataset.set_epoch(1)
        loader, seen = _loader(dataset), []
        for step, batch in enumerate(loader):
            seen += _ids([batch])
            if step == 2:
                break
        results["stopped_seen"] = _gather(seen)
        results["stopped_states"] = _gather(loader.state_dict())
        del loader
        if rank == 0:
            (work_dir / "results.json").write_text(json.dumps(results))
        dist.barrier()
    finally:
        dist.destroy_process_group()
    os.environ.pop("MASTER_ADDR", None)
