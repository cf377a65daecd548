from __future__ import annotations

import numpy as np
import pytest
import torch
from pycocotools import mask as coco_mask
from torchvision import tv_tensors
from torchvision.transforms import v2

from hyperloader.model import POLY_SEPARATOR, FrameGroup, SingleFrame
from hyperloader.torch import FrameDataset, MaskMode, SampleOptions, build_sample
from tests.torch.torch_data import CAT_BOX, DOG_POLY, H, W, make_view


@pytest.fixture()
def view(tmp_path):
    return make_view(tmp_path, 12, order="sequential")


def _sample(view, i, options=None, transforms=None):
    ds = FrameDataset(view, transforms, sample_options=options)
    return ds[int(np.flatnonzero(view.plan(0) == i)[0])]


def _coco(poly, h, w):
    parts, cur = [], []
    for v in poly:
        if v == POLY_SEPARATOR:
            parts.append(cur)
            cur = []
        else:
            cur.append(float(v))
    parts.append(cur)
    return coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects(parts, h, w)))


def test_target_fields_types_and_values(view):
    image, target = _sample(view, 2)
    assert isinstance(image, tv_tensors.Image) and image.dtype == torch.uint8
    assert image.shape == (3, H, W)
    boxes = target["boxes"]
    assert isinstance(boxes, tv_tensors.BoundingBoxes)
    assert boxes.format == tv_tensors.BoundingBoxFormat.XYXY and boxes.canvas_size == (H, W)
    x, y, w, h = CAT_BOX
    # the dog's box covers both polygon parts; the "unknown" ROI is not enumerated -> left out
    assert boxes.tolist() == [[x, y, x + w, y + h], [20, 2, 44, 28]]
    assert target["labels"].dtype == torch.int64 and target["labels"].tolist() == [1, 2]
    assert target["frame_labels"].tolist() == [5]  # the frame label is not a box
    assert (target["frame_id"], target["context_id"], target["timestamp"]) == ("f0002", "ctx0", 2)
    assert target["meta"] == {"i": 2}


# pycocotools' Cython decode trips numpy 2's __array__(copy=) deprecation
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_instance_masks_agree_with_pycocotools(view):
    _, target = _sample(view, 2)
    masks = target["masks"]
    assert isinstance(masks, tv_tensors.Mask) and masks.dtype == torch.uint8
    assert masks.shape == (2, H, W)
    x, y, w, h = CAT_BOX
    cat = [x, y, x + w, y, x + w, y + h, x, y + h]
    assert np.array_equal(masks[0].numpy(), _coco(cat, H, W))
    dog = _coco(DOG_POLY, H, W)
    assert np.array_equal(masks[1].numpy(), dog)
    assert dog[5, 25] and dog[20, 40]  # both parts are filled


def test_semantic_mask_maps_colours_through_version_and_view_labels(view):
    _, target = _sample(view, 2, SampleOptions(ignore_index=99))
    sem = target["semantic_mask"]
    assert isinstance(sem, tv_tensors.Mask) and sem.dtype == torch.int64 and sem.shape == (H, W)
    expected = np.full((H, W), 99)
    expected[:, :16] = 1  # (255,0,0) -> cat -> 1
    expected[:8, 16:32] = 2  # (0,255,0) -> dog -> 2
    # (0,0,255) -> "sky", which the view does not enumerate; black is not in mask_labels
    assert np.array_equal(sem.numpy(), expected)
    _, no_mask = _sample(view, 1)
    assert "semantic_mask" not in no_mask


def test_alpha_mask_mode(view):
    _, target = _sample(view, 2, SampleOptions(mask_mode=MaskMode.ALPHA))
    alpha = target["alpha_mask"]
    assert alpha.shape == (1, H, W) and alpha.dtype == torch.float32
    assert float(alpha.min()) >= 0 and float(alpha.max()) <= 1
    assert "semantic_mask" not in target


def test_frame_without_rois_gets_empty_tensors(view):
    image, target = _sample(view, 5)
    assert target["boxes"].shape == (0, 4) and target["boxes"].canvas_size == (H, W)
    assert target["labels"].shape == (0,) and target["labels"].dtype == torch.int64
    assert target["masks"].shape == (0, H, W)
    assert target["frame_labels"].tolist() == [5]


def test_classification_mode_uses_frame_labels(view):
    _, target = _sample(view, 3, SampleOptions(rois=False, mask_mode="none"))
    assert target["labels"].tolist() == [5]
    assert not {"boxes", "masks", "semantic_mask", "frame_labels"} & set(target)


def test_decode_size_scales_boxes_and_resizes_masks_nearest(view):
    full_img, full = _sample(view, 2)
    image, target = _sample(view, 2, SampleOptions(decode_size=(16, 24)))
    assert image.shape == (3, 16, 24)
    assert torch.allclose(target["boxes"], full["boxes"] / 2)
    assert target["boxes"].canvas_size == (16, 24)
    assert target["masks"].shape == (2, 16, 24)
    assert torch.equal(target["semantic_mask"], full["semantic_mask"][1::2, 1::2])
    assert set(target["semantic_mask"].unique().tolist()) <= {1, 2, 255}


def test_horizontal_flip_moves_boxes_and_masks_with_the_image(view):
    image, target = _sample(view, 2)
    flip = v2.RandomHorizontalFlip(p=1.0)
    f_image, f_target = _sample(view, 2, transforms=flip)
    assert torch.equal(f_image, image.flip(-1))
    x, y, w, h = CAT_BOX
    assert f_target["boxes"].tolist() == [[W - (x + w), y, W - x, y + h], [W - 44, 2, W - 20, 28]]
    assert torch.equal(f_target["masks"], target["masks"].flip(-1))
    assert torch.equal(f_target["semantic_mask"], target["semantic_mask"].flip(-1))
    assert f_target["labels"].tolist() == [1, 2] and f_target["frame_id"] == "f0002"


def test_frame_group_gives_a_dict_per_source(tmp_path):
    from PIL import Image

    paths = {}
    for sid, size in (("left", (20, 30)), ("right", (10, 16))):
        paths[sid] = tmp_path / f"{sid}.png"
        Image.fromarray(np.full((*size, 3), 9, np.uint8)).save(paths[sid])
    group = FrameGroup({sid: SingleFrame(str(p)) for sid, p in paths.items()}, id="g1")
    group["left"].add_annotation(box2d_xywh=[1, 2, 3, 4], labels=["cat"])
    group.add_global_annotation(labels=["day"])
    for roi in group.rois:
        roi.label_num = 1 if roi.labels == ["cat"] else 5
    blobs = {str(p): p.read_bytes() for p in paths.values()}
    images, target = build_sample(group, blobs, SampleOptions(), lambda v: {})
    assert images["left"].shape == (3, 20, 30) and images["right"].shape == (3, 10, 16)
    assert target["boxes"]["left"].tolist() == [[1, 2, 4, 6]]
    assert target["boxes"]["right"].shape == (0, 4)
    assert target["masks"]["right"].shape == (0, 10, 16)
    assert target["frame_labels"].tolist() == [5]


def test_roi_without_label_enumeration_is_a_clear_error(tmp_path):
    from PIL import Image

    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    frame = SingleFrame(str(path), id="nolabels")
    frame.add_annotation(box2d_xywh=[0, 0, 2, 2], labels=["cat"])
    with pytest.raises(ValueError, match="nolabels.*set_labels"):
        build_sample(frame, {str(path): path.read_bytes()}, SampleOptions(), lambda v: {})


def test_group_with_one_member_keyed_default_stays_a_group(tmp_path):
    from PIL import Image

    path = tmp_path / "only.png"
    Image.fromarray(np.full((6, 8, 3), 9, np.uint8)).save(path)
    group = FrameGroup({"default": SingleFrame(str(path))}, id="g-default")
    images, _ = build_sample(group.to_dict(), {str(path): path.read_bytes()}, SampleOptions(),
                             lambda v: {})
    assert isinstance(images, dict) and images["default"].shape == (3, 6, 8)
    single = SingleFrame(str(path), id="s")
    image, _ = build_sample(single.to_dict(), {str(path): path.read_bytes()}, SampleOptions(),
                            lambda v: {})
    assert image.shape == (3, 6, 8)
