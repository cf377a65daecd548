"""Train torchvision's Faster R-CNN (MobileNetV3 FPN, from scratch) on the demo dataset.

    hyperloader demo                       # once: builds the "demo" dataset
    python examples/train_detection.py --steps 50

The DataView picks frames with cars, people, bicycles or trees from version v2, numbers the
labels, and streams ``(image, target)`` samples (boxes as ``tv_tensors.BoundingBoxes``)
through a DataLoader. ``--steps 2`` is enough for a smoke test.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader
from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_fpn
from torchvision.transforms import v2

import hyperloader
from hyperloader.dataview import DataView
from hyperloader.store import Dataset
from hyperloader.torch import FrameIterableDataset, SampleOptions, collate_frames

LABELS = {"car": 1, "person": 2, "bicycle": 3, "tree": 4}


def ensure_demo(root: str | None) -> None:
    """Build the demo dataset with ``hyperloader demo`` when the store lacks it."""
    if not any(d.name == "demo" for d in Dataset.list()):
        from hyperloader.cli import main as cli

        cli([*(["--root", root] if root else []), "-q", "demo", "--frames", "24",
             "--samples", "8"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="store root (default: $HYPERLOADER_ROOT or ~/.hyperloader)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    if args.root:
        hyperloader.set_root(args.root)
    ensure_demo(args.root)
    torch.manual_seed(0)

    view = DataView(iteration_order="random", random_seed=0)
    view.add_query("demo", "v2", roi_query="car OR person OR bicycle OR tree")
    view.set_labels(LABELS)
    dataset = FrameIterableDataset(
        view, transforms=v2.ToDtype(torch.float32, scale=True),
        sample_options=SampleOptions(instance_masks=False, mask_mode="none"))
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers,
                        collate_fn=collate_frames)

    # small scenes with few objects: fewer proposals keep a CPU step around a second
    model = fasterrcnn_mobilenet_v3_large_fpn(
        weights=None, weights_backbone=None, num_classes=len(LABELS) + 1, min_size=240,
        max_size=320, rpn_pre_nms_top_n_train=300, rpn_post_nms_top_n_train=150,
        box_batch_size_per_image=64)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)

    step, epoch, start = 0, 0, time.perf_counter()
    while step < args.steps:
        dataset.set_epoch(epoch)
        for images, targets in loader:
            targets = [{"boxes": t["boxes"], "labels": t["labels"]} for t in targets]
            losses = model(list(images), targets)
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            print(f"epoch {epoch} step {step}: loss {loss.item():.3f} "
                  f"({', '.join(f'{k[5:]} {v.item():.3f}' for k, v in losses.items())})")
            if step >= args.steps:
                break
        epoch += 1
    print(f"trained {step} steps in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
