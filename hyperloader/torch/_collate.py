"""collate_frames: detection-style batches of ``(image, target)`` samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.utils.data

__all__ = ["FrameTargets", "collate_frames"]

#: Buffers up to this size travel inside the pickle; larger ones through shared memory.
_BY_VALUE_BYTES = 1 << 20



class _Slot:
    """Where the ``index``-th tensor of a batch's targets goes back in."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __reduce__(self):
        return (_Slot, (self.index,))


def _strip(value: Any, leaves: list[torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor) and value.device.type == "cpu" and not value.requires_grad:
        leaves.append(value)
        return _Slot(len(leaves) - 1)
    if isinstance(value, dict):
        return {k: _strip(v, leaves) for k, v in value.items()}
    return value


def _fill(value: Any, tensors: list[torch.Tensor]) -> Any:
    if isinstance(value, _Slot):
        return tensors[value.index]
    if isinstance(value, dict):
        return {k: _fill(v, tensors) for k, v in value.items()}
    return value


def _to_wire(buffer: torch.Tensor) -> torch.Tensor | tuple[torch.dtype, bytes]:
    if buffer.numel() * buffer.element_size() > _BY_VALUE_BYTES:
        return buffer
    return buffer.dtype, buffer.view(torch.uint8).numpy().tobytes()


def _from_wire(value: torch.Tensor | tuple[torch.dtype, bytes]) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    dtype, data = value
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype) if data else \
        torch.empty(0, dtype=dtype)


def _rebuild(skeleton: list[Any], meta: list[tuple[type, dict, torch.dtype, tuple[int, ...]]],
             wire: dict[torch.dtype, Any]) -> list[Any]:
    buffers = {dtype: _from_wire(value) for dtype, value in wire.items()}
    offsets = dict.fromkeys(buffers, 0)
    tensors = []
    for cls, attrs, dtype, shape in meta:
        n = math.prod(shape)
        tensor = buffers[dtype][offsets[dtype]:offsets[dtype] + n].view(shape)
        offsets[dtype] += n
        if cls is not torch.Tensor:
            tensor = tensor.as_subclass(cls)
            tensor.__dict__.update(attrs)
        tensors.append(tensor)
    return [_fill(t, tensors) for t in skeleton]


class FrameTargets(list):
    """The targets of a batch; pickles all their tensors as one buffer per dtype.

    A batch leaves a DataLoader worker by pickling, and each tensor would otherwise get its
    own shared-memory segment and file descriptor, which for a detection batch's hundreds
    of small tensors costs more than decoding the images. Buffers up to 1 MiB travel
    inside the pickle, larger ones (instance masks) through shared memory. Unpickled, it
    is a plain list whose tensors (tv_tensor types and metadata kept) are views of those
    buffers.
    """

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        leaves: list[torch.Tensor] = []
        skeleton = [_strip(t, leaves) for t in self]
        meta: list[tuple[type, dict, torch.dtype, tuple[int, ...]]] = []
        by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
        for t in leaves:
            cls = type(t)
            meta.append((cls, dict(t.__dict__) if cls is not torch.Tensor else {}, t.dtype,
                         tuple(t.shape)))
            plain = t if cls is torch.Tensor else t.as_subclass(torch.Tensor)
            by_dtype.setdefault(t.dtype, []).append(plain.reshape(-1))
        wire = {dtype: _to_wire(torch.cat(parts)) for dtype, parts in by_dtype.items()}
        return (_rebuild, (skeleton, meta, wire))


def _stack(images: list[torch.Tensor]) -> torch.Tensor:
    plain = [im.as_subclass(torch.Tensor) for im in images]
    if torch.utils.data.get_worker_info() is None:
        return torch.stack(plain)
    # in a worker, stack straight into shared memory, as default_collate does
    numel = sum(im.numel() for im in plain)
    storage = plain[0].untyped_storage()._new_shared(numel * plain[0].element_size())
    out = plain[0].new(storage).resize_(len(plain), *plain[0].shape)
    return torch.stack(plain, out=out)


def _stack_or_list(images: list[Any]) -> Any:
    if images and all(isinstance(im, torch.Tensor) for im in images):
        if all(im.shape == images[0].shape and im.dtype == images[0].dtype for im in images):
            return _stack(images)
        return images
    if images and all(isinstance(im, dict) for im in images):  # FrameGroup: per source id
        keys = images[0].keys()
        if all(im.keys() == keys for im in images):
            return {k: _stack_or_list([im[k] for im in images]) for k in keys}
    return images


def collate_frames(batch: Sequence[tuple[Any, dict[str, Any]] | None]) -> tuple[Any, list]:
    """Collate samples into ``(images, targets)``.

    Images are stacked into one ``[B, 3, H, W]`` tensor when their sizes agree, else kept
    as a list (per source id for FrameGroups); targets stay a list of dicts, as detection
    models expect. ``None`` samples (frames skipped under ``on_error="skip"``) are dropped.

    Args:
        batch: ``(image, target)`` samples.

    Returns:
        ``(images, targets)``; ``targets`` is a :class:`FrameTargets` list.
    """
    samples = [s for s in batch if s is not None]
    return (_stack_or_list([s[0] for s in samples]),
            FrameTargets(s[1] for s in samples))
