"""What a sample contains (SampleOptions) and how frames are loaded (LoaderOptions)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["LoaderOptions", "MaskMode", "OnError", "SampleOptions"]


class MaskMode(str, Enum):
    """How a source's mask file is turned into the target.

    ``semantic``: mask RGB values -> label ids (``target["semantic_mask"]``, int64 [H,W]).
    ``alpha``: mask values -> opacity in [0, 1] (``target["alpha_mask"]``, float32 [1,H,W]).
    ``none``: masks are not read.
    """

    SEMANTIC = "semantic"
    ALPHA = "alpha"
    NONE = "none"


class OnError(str, Enum):
    """What a dataset does with a frame that cannot be fetched or decoded."""

    RAISE = "raise"
    SKIP = "skip"


@dataclass(frozen=True)
class SampleOptions:
    """What one ``(image, target)`` sample contains.

    Attributes:
        rois: Emit ROI outputs (``boxes``, ``labels``, ``masks``). When False (e.g. for
            classification) ``labels`` holds the frame-level labels instead.
        instance_masks: Rasterise each ROI polygon into ``target["masks"]``.
        mask_mode: How the source's mask file is read (see :class:`MaskMode`).
        mask_id: Which of a source's masks to read; the first one when None.
        ignore_index: Semantic-mask value for pixels whose colour maps to no label.
        decode_size: ``(height, width)`` to decode at; JPEGs use DCT scaling (Pillow draft),
            masks are resized nearest-neighbour and polygons scale with the image.
        decoder: Name of the image decoder in ``hyperloader.decode``'s registry. The default,
            ``"torchvision"``, decodes full-size JPEGs with torchvision (libjpeg-turbo,
            about twice PIL's speed) and everything else with ``"pil"``.
    """

    rois: bool = True
    instance_masks: bool = True
    mask_mode: MaskMode | str = MaskMode.SEMANTIC
    mask_id: str | None = None
    ignore_index: int = 255
    decode_size: tuple[int, int] | None = None
    decoder: str = "torchvision"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask_mode", MaskMode(self.mask_mode))
        if self.decode_size is not None:
            h, w = (int(v) for v in self.decode_size)
            if h < 1 or w < 1:
                raise ValueError(f"decode_size must be positive (height, width), got "
                                 f"{self.decode_size!r}")
            object.__setattr__(self, "decode_size", (h, w))


@dataclass(frozen=True)
class LoaderOptions:
    """How frames are sharded, read ahead and guarded against errors.

    Attributes:
        drop_last: Truncate the pass so every rank takes ``floor(n / world_size)`` frames.
        even_shards: Pad the pass with frames from its start so every rank takes
            ``ceil(n / world_size)`` frames.
        on_error: ``"raise"`` or ``"skip"`` a frame that cannot be fetched or decoded;
            skipped frames are logged and counted in the dataset's ``stats``.
        prefetch_items: Read-ahead depth in frames (0 reads synchronously).
        prefetch_bytes: Read-ahead depth in bytes.
        prefetch_threads: Threads fetching bytes ahead of decoding.
        prefetch_local: Read local files, and remote ones already all in the cache, ahead
            on threads too (e.g. on a network file system); by default they are read in
            place when needed.
        use_cache: Fetch remote URIs through the local disk cache (else straight to memory).
        tune_malloc: Raise glibc's mmap and trim thresholds in each loading process.
        rank: Rank to assume when torch.distributed is not initialised; None detects it.
        world_size: World size to assume with ``rank``.
    """

    drop_last: bool = False
    even_shards: bool = False
    on_error: OnError | str = OnError.RAISE
    prefetch_items: int = 64
    prefetch_bytes: int = 64 << 20
    prefetch_threads: int = 16
    prefetch_local: bool = False
    use_cache: bool = True
    tune_malloc: bool = True
    rank: int | None = None
    world_size: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "on_error", OnError(self.on_error))
        if self.drop_last and self.even_shards:
            raise ValueError("choose at most one of drop_last and even_shards")
        if self.prefetch_items < 0 or self.prefetch_bytes < 0 or self.prefetch_threads < 1:
            raise ValueError("prefetch_items and prefetch_bytes must be >= 0 and "
                             "prefetch_threads >= 1")
