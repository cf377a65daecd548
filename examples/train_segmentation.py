"""Train a small semantic-segmentation model (LR-ASPP MobileNetV3) on the demo's class masks.

    hyperloader demo                       # once: builds the "demo" dataset
    python examples/train_segmentation.py --steps 50

The demo version carries a mask-label mapping (pixel value -> label). The DataView's label
enumeration turns it into class ids, so each sample's ``target["semantic_mask"]`` is an
int64 [H, W] map; pixels whose value maps to no enumerated label get ``ignore_index``.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
from torchvision.transforms import v2

import hyperloader
from hyperloader.dataview import DataView
from hyperloader.store import Dataset
from hyperloader.torch import FrameIterableDataset, SampleOptions, collate_frames

CLASSES = {"background": 0, "road": 1, "tree": 2, "car": 3, "person": 4, "bicycle": 5}
IGNORE = 255


def ensure_demo(root: str | None) -> None:
    """Build the demo dataset with ``hyperloader demo`` when the store lacks it."""
    if not any(d.name == "demo" for d in Dataset.list()):
        from hyperloader.cli import main as cli

        cli([*(["--root", root] if root else []), "-q", "demo", "--frames", "24",
             "--samples", "8"])


def mean_iou(logits: torch.Tensor, target: torch.Tensor, num_classes: int) -> float:
    pred = logits.argmax(1)
    valid = target != IGNORE
    ious = []
    for c in range(num_classes):
        p, t = (pred == c) & valid, (target == c) & valid
        union = (p | t).sum().item()
        if union:
            ious.append((p & t).sum().item() / union)
    return sum(ious) / max(len(ious), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="store root (default: $HYPERLOADER_ROOT or ~/.hyperloader)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    if args.root:
        hyperloader.set_root(args.root)
    ensure_demo(args.root)
    torch.manual_seed(0)

    view = DataView(iteration_order="random", random_seed=0)
    view.add_query("demo", "v2")  # every frame of v2
    view.set_labels(CLASSES)
    dataset = FrameIterableDataset(
        view, transforms=v2.ToDtype(torch.float32, scale=True),
        sample_options=SampleOptions(rois=False, mask_mode="semantic", ignore_index=IGNORE,
                                     decode_size=(240, 320)))
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers,
                        collate_fn=collate_frames)

    model = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                      num_classes=len(CLASSES))
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)

    step, epoch, start = 0, 0, time.perf_counter()
    while step < args.steps:
        dataset.set_epoch(epoch)
        for images, targets in loader:
            images = images if isinstance(images, torch.Tensor) else torch.stack(images)
            masks = torch.stack([torch.as_tensor(t["semantic_mask"]) for t in targets])
            logits = model(images)["out"]
            loss = F.cross_entropy(logits, masks, ignore_index=IGNORE)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            print(f"epoch {epoch} step {step}: loss {loss.item():.3f} "
                  f"mIoU {mean_iou(logits.detach(), masks, len(CLASSES)):.3f}")
            if step >= args.steps:
                break
        epoch += 1
    print(f"trained {step} steps in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
