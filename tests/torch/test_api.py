from __future__ import annotations

import inspect

import torch
from torchvision import tv_tensors

import hyperloader.torch as ht


def test_all_is_sorted_and_documented():
    assert ht.__all__ == sorted(ht.__all__)
    assert ht.__doc__
    for name in ht.__all__:
        obj = getattr(ht, name)
        assert inspect.getdoc(obj), name


def test_collate_stacks_equal_sizes_lists_others_and_drops_skipped():
    a = (tv_tensors.Image(torch.zeros(3, 4, 5, dtype=torch.uint8)), {"frame_id": "a"})
    b = (tv_tensors.Image(torch.ones(3, 4, 5, dtype=torch.uint8)), {"frame_id": "b"})
    c = (tv_tensors.Image(torch.ones(3, 2, 5, dtype=torch.uint8)), {"frame_id": "c"})
    images, targets = ht.collate_frames([a, None, b])
    assert images.shape == (2, 3, 4, 5) and [t["frame_id"] for t in targets] == ["a", "b"]
    images, targets = ht.collate_frames([a, c])
    assert isinstance(images, list) and len(images) == 2
    group = ({"l": a[0], "r": c[0]}, {"frame_id": "g"})
    images, _ = ht.collate_frames([group, group])
    assert images["l"].shape == (2, 3, 4, 5) and images["r"].shape == (2, 3, 2, 5)


def test_options_validate_and_accept_strings():
    assert ht.SampleOptions(mask_mode="alpha").mask_mode is ht.MaskMode.ALPHA
    assert ht.LoaderOptions(on_error="skip").on_error is ht.OnError.SKIP
    for bad in ({"drop_last": True, "even_shards": True}, {"prefetch_threads": 0}):
        try:
            ht.LoaderOptions(**bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_batch_targets_cross_processes_as_one_buffer_per_dtype():
    import pickle
    from multiprocessing.reduction import ForkingPickler

    target = {"frame_id": "a", "labels": torch.tensor([1, 2]), "empty": torch.zeros(0, 4),
              "boxes": tv_tensors.BoundingBoxes([[1, 2, 3, 4]], format="XYXY", canvas_size=(5, 6)),
              "masks": tv_tensors.Mask(torch.ones(1, 5, 6, dtype=torch.uint8)),
              "per_source": {"left": torch.tensor([7])}}
    image = tv_tensors.Image(torch.zeros(3, 5, 6, dtype=torch.uint8))
    _, targets = ht.collate_frames([(image, target), (image, target)])
    out = pickle.loads(ForkingPickler.dumps(targets))
    assert type(out) is list and len(out) == 2
    for key in ("labels", "empty", "boxes", "masks"):
        assert type(out[1][key]) is type(target[key]) and torch.equal(out[1][key], target[key])
    boxes = out[1]["boxes"]
    assert boxes.canvas_size == (5, 6) and boxes.format == target["boxes"].format
    assert out[0]["per_source"]["left"].tolist() == [7] and out[0]["frame_id"] == "a"
