"""Distributed training on CPU (gloo): per-rank shards of one DataView, checkpoints, resume.

    hyperloader demo                       # once: builds the "demo" dataset
    torchrun --nproc_per_node 2 examples/ddp_train.py --steps 20 --ckpt /tmp/ddp-ckpt
    torchrun --nproc_per_node 2 examples/ddp_train.py --steps 40 --ckpt /tmp/ddp-ckpt

Each rank streams its own shard of the view's plan (ranks are disjoint and differ by at
most one frame), trains a tiny multi-label classifier wrapped in DistributedDataParallel,
and saves the model, optimiser and its loader's state every ``--save-every`` steps. A
second run with the same ``--ckpt`` resumes mid-epoch: each rank's loader continues with
exactly the frames it had not read.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torchdata.stateful_dataloader import StatefulDataLoader
from torchvision.transforms import v2

import hyperloader
from hyperloader.dataview import DataView
from hyperloader.store import Dataset
from hyperloader.torch import FrameIterableDataset, SampleOptions, collate_frames

LABELS = {"car": 1, "person": 2, "bicycle": 3, "tree": 4}
# torchdata 0.11 calls a deprecated torch API on every iterator; not ours to fix
warnings.filterwarnings("ignore", message="'set_vital' is deprecated")


def ensure_demo(root: str | None) -> None:
    """Build the demo dataset on rank 0 when the store lacks it; the others wait."""
    if dist.get_rank() == 0 and not any(d.name == "demo" for d in Dataset.list()):
        from hyperloader.cli import main as cli

        cli([*(["--root", root] if root else []), "-q", "demo", "--frames", "24",
             "--samples", "8", "--workers", "0"])
    dist.barrier()


class TinyNet(nn.Module):
    """Which labels appear in the frame: a few convolutions and a linear head."""

    def __init__(self, num_labels: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, stride=4, padding=2), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, num_labels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def multi_hot(targets: list[dict], num_labels: int) -> torch.Tensor:
    out = torch.zeros(len(targets), num_labels)
    for i, t in enumerate(targets):
        for label in t["labels"].tolist():
            out[i, label - 1] = 1.0
    return out


def save(path: str, model: DistributedDataParallel, optimizer: torch.optim.Optimizer,
         loader: StatefulDataLoader, step: int, epoch: int) -> None:
    """Write this rank's checkpoint atomically (temp file, then rename)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(),
                "loader": loader.state_dict(), "step": step, "epoch": epoch}, path + ".tmp")
    os.replace(path + ".tmp", path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="store root (default: $HYPERLOADER_ROOT or ~/.hyperloader)")
    parser.add_argument("--steps", type=int, default=20, help="total steps, resumed ones included")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="DataLoader workers per rank")
    parser.add_argument("--ckpt", default="ddp-ckpt", help="checkpoint directory")
    parser.add_argument("--save-every", type=int, default=5)
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.root:
        hyperloader.set_root(args.root)
    ensure_demo(args.root)
    torch.manual_seed(0)

    view = DataView(iteration_order="random", random_seed=7)
    view.add_query("demo", "v2", roi_query="car OR person OR bicycle OR tree")
    view.set_labels(LABELS)
    dataset = FrameIterableDataset(view, transforms=v2.ToDtype(torch.float32, scale=True),
                                   sample_options=SampleOptions(instance_masks=False,
                                                                mask_mode="none"))
    loader = StatefulDataLoader(dataset, batch_size=args.batch_size,
                                num_workers=args.workers, collate_fn=collate_frames)
    model = DistributedDataParallel(TinyNet(len(LABELS)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    step, epoch = 0, 0
    ckpt = os.path.join(args.ckpt, f"rank{rank}.pt")
    if os.path.exists(ckpt):
        state = torch.load(ckpt, weights_only=False)
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        loader.load_state_dict(state["loader"])
        step, epoch = state["step"], state["epoch"]
        print(f"[rank {rank}] resumed from step {step} (epoch {epoch})", flush=True)

    seen: list[tuple[int, str]] = []  # (epoch, frame id) read by this rank
    start = time.perf_counter()
    while step < args.steps:
        for images, targets in loader:
            seen += [(epoch, t["frame_id"]) for t in targets]
            logits = model(images)
            loss = nn.functional.binary_cross_entropy_with_logits(
                logits, multi_hot(targets, len(LABELS)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if rank == 0:
                print(f"step {step}: loss {loss.item():.4f}", flush=True)
            if step % args.save_every == 0 or step >= args.steps:
                save(ckpt, model, optimizer, loader, step, epoch)
            if step >= args.steps:
                break
        else:  # the pass is over: the next one is a new permutation
            epoch += 1
            dataset.set_epoch(epoch)

    shards: list[list[tuple[int, str]]] = [[] for _ in range(world)]
    dist.all_gather_object(shards, seen)
    if rank == 0:
        sets = [set(map(tuple, s)) for s in shards]
        overlap = set.intersection(*sets) if world > 1 else set()
        print(json.dumps({"ranks": world, "frames_per_rank": [len(s) for s in shards],
                          "frames_read_by_two_ranks_in_one_epoch": len(overlap)}))
        print(f"trained to step {step} in {time.perf_counter() - start:.1f} s")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
