"""Every command through the real entry point: ``python -m hyperloader ...``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import hyperloader
from hyperloader.model import FrameGroup, SingleFrame
from hyperloader.render import label_color
from tests.cli.cli_helpers import run, write_image
from tests.convert.coco_helpers import frame_docs


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-store")
    proc = run("demo", "--frames", "24", "--samples", "24", root=root)  # timeout: a hang fails
    return root, proc.stdout


def test_demo_builds_versions_loads_and_previews(demo_root):
    root, out = demo_root
    assert "v1 published" in out and "v2 draft" in out
    assert "images/s" in out and "2 workers" in out
    assert "car=1" in out
    preview = root / "demo_assets" / "preview.png"
    assert Image.open(preview).size == (320, 240)
    assert len(list((root / "demo_assets" / "images").glob("*.jpg"))) == 24


def test_ls_lists_datasets_and_the_version_tree(demo_root):
    root, _ = demo_root
    out = run("ls", root=root).stdout
    assert out.splitlines()[0].split() == ["NAME", "VERSIONS", "CURRENT", "FRAMES", "CREATED"]
    assert out.splitlines()[1].split()[:3] == ["demo", "2", "v2"]
    tree = run("ls", "demo", root=root).stdout.splitlines()
    assert tree[1].startswith("└── v1") and "published" in tree[1] and "parent: -" in tree[1]
    assert tree[2].startswith("    └── v2") and "draft" in tree[2] and "parent: v1" in tree[2]
    assert "(current)" in tree[2]
    data = json.loads(run("ls", "demo", "--json", root=root).stdout)
    assert [v["name"] for v in data["versions"]] == ["v1", "v2"]
    assert data["versions"][1]["parent"] == "v1" and data["versions"][0]["frames"] == 20


def test_global_options_work_after_the_command(demo_root):
    root, _ = demo_root
    assert run("ls", "--root", str(root), "-q").stdout.startswith("NAME")


def test_query_counts_lists_and_prints_json(demo_root):
    root, _ = demo_root
    count = int(run("query", "demo/v2", "--roi", "label:car", "--frame", "meta.city:bremen",
                    "--count", root=root).stdout)
    hyperloader.set_root(root)
    from hyperloader.store import DatasetVersion

    frames = list(DatasetVersion.get_version("demo", "v2").get_frames())
    want = [f for f in frames if f.meta["city"] == "bremen"
            and any("car" in r.labels for r in f.rois)]
    assert count == len(want) > 0
    listed = run("query", "demo/v2", "--roi", "label:car", "--limit", "2", root=root).stdout
    assert len(listed.splitlines()) == 3 and "not shown" in listed.splitlines()[-1]
    docs = json.loads(run("query", "demo/v2", "--frame", "meta.city:bremen", "--roi", "car",
                          "--limit", "0", "--json", root=root).stdout)
    assert sorted(d["id"] for d in docs) == sorted(f.id for f in want)
    assert all(d["meta"]["city"] == "bremen" for d in docs)


def test_stats_prints_counts_and_plots(demo_root, tmp_path):
    root, _ = demo_root
    plot = tmp_path / "stats.png"
    out = run("stats", "demo/v2", "--plot", str(plot), root=root).stdout
    assert "annotated frames:" in out and "ROIs per frame:" in out and "  car" in out
    assert Image.open(plot).format == "PNG"
    st = json.loads(run("stats", "demo/v1", "--json", root=root).stdout)
    assert st["frames"] == 20 and st["annotated_share"] == 1.0
    assert st["rois"] == sum(st["labels"].values())


def test_diff_counts_and_lists_ids(demo_root):
    root, _ = demo_root
    out = run("diff", "demo", "v1", "v2", "--ids", root=root).stdout.splitlines()
    assert out[0] == "demo: v1 -> v2"
    counts = {line.split()[0]: int(line.split()[1]) for line in out[1:4]}
    assert counts["added"] == 4 and counts["removed"] == 1 and counts["modified"] >= 1
    assert "- demo-0000" in out and "+ demo-0023" in out
    assert sum(line.startswith("~ ") for line in out) == counts["modified"]


def test_render_demo_frame_with_alpha_masks(demo_root, tmp_path):
    root, _ = demo_root
    out = tmp_path / "f.png"
    run("render", "demo/v2", "demo-0003", "-o", str(out), "--mask-mode", "alpha", root=root)
    assert Image.open(out).size == (320, 240)


def test_export_loads_in_pycocotools_and_reimports_identically(demo_root, tmp_path):
    from pycocotools.coco import COCO

    root, _ = demo_root
    out = tmp_path / "demo.json"
    run("export", "coco", "demo/v2", "-o", str(out), root=root)
    coco = COCO(str(out))
    assert len(coco.getImgIds()) == 23
    run("import", "coco", str(out), "--images", "/", "--dataset", "again", root=root)
    hyperloader.set_root(root)
    from hyperloader.store import DatasetVersion

    a = frame_docs(DatasetVersion.get_version("demo", "v2").get_frames())
    b = frame_docs(DatasetVersion.get_version("again").get_frames())
    assert a == b
    sub = tmp_path / "bremen.json"
    run("export", "coco", "demo/v2", "--frame", "meta.city:bremen", "-o", str(sub), root=root)
    assert {i["city"] for i in json.loads(sub.read_text())["images"]} == {"bremen"}


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept:DeprecationWarning")
def test_coco_import_export_round_trip(coco_file, tmp_path):
    from pycocotools.coco import COCO

    images = coco_file.parent / "images"
    out = run("import", "coco", str(coco_file), "--images", str(images), "--dataset", "c",
              "--version", "v1").stdout
    assert "imported 3 frames into c/v1" in out and "1 RLE masks" in out
    assert (coco_file.parent / "masks" / "2_12.png").exists()
    from hyperloader.store import DatasetVersion

    v1 = DatasetVersion.get_version("c", "v1")
    frames = {f.id: f for f in v1.get_frames()}
    assert frames["1"].rois[1].poly[6] == -999999999 and frames["1"].meta == {"city": "bremen"}
    assert frames["2"].masks_source == {"12": str(coco_file.parent / "masks" / "2_12.png")}
    assert frames["2"].rois[0].meta == {"iscrowd": 1, "area": 20.0}
    assert frames["3"].rois[0].poly == [2, 3, 6, 3, 6, 8, 2, 8]
    assert v1.get_metadata()["coco_categories"][1]["supercategory"] == "human"
    exported = tmp_path / "out.json"
    run("export", "coco", "c/v1", "-o", str(exported), "--relative-to", str(images))
    coco = COCO(str(exported))
    assert coco.loadImgs(1)[0]["file_name"] == "a.jpg"
    assert coco.annToMask(coco.loadAnns(12)[0]).sum() == 20
    assert {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())} == {1: "car",
                                                                            2: "person"}
    # the RLE is decoded again; into the same masks dir, the frames are identical
    run("import", "coco", str(exported), "--images", str(images), "--dataset", "c2",
        "--masks-dir", str(coco_file.parent / "masks"))
    again = DatasetVersion.get_version("c2")
    assert frame_docs(again.get_frames()) == frame_docs(v1.get_frames())


def _render_dataset(tmp_path):
    from hyperloader.store import Dataset

    img = write_image(tmp_path / "img.png", size=(80, 60))
    img2 = write_image(tmp_path / "img2.png", size=(50, 30), colour=(200, 200, 200))
    frame = SingleFrame(img, width=80, height=60, id="f1")
    frame.add_annotation(box2d_xywh=[10, 20, 40, 30], labels="car", confidence=0.8)
    group = FrameGroup(id="g1")
    group["left"] = SingleFrame(img)
    group["right"] = SingleFrame(img2)
    group["right"].add_annotation(box2d_xywh=[5, 5, 40, 20], labels="person")
    Dataset.create("r").get_current().add_frames([frame, group])


def test_render_fills_polygon_interior_with_label_colour(tmp_path):
    _render_dataset(tmp_path)
    out = tmp_path / "f1.png"
    run("render", "r", "f1", "-o", str(out), "--fill-alpha", "1")
    img = Image.open(out).convert("RGB")
    assert img.getpixel((40, 45)) == label_color("car")
    assert img.getpixel((70, 5)) == (40, 40, 40)
    default = tmp_path / "blend.png"
    run("render", "r", "f1", "-o", str(default))
    px = np.array(Image.open(default).convert("RGB").getpixel((40, 45)))
    assert np.abs(px - (np.array(label_color("car")) * 0.35 + 40 * 0.65)).max() <= 2


def test_render_frame_group_as_a_grid(tmp_path):
    _render_dataset(tmp_path)
    out = tmp_path / "g1.png"
    run("render", "r", "g1", "-o", str(out), "--fill-alpha", "1")
    img = Image.open(out).convert("RGB")
    assert img.size == (160, 60 + 16)
    assert img.getpixel((80 + 40, 16 + 22)) == label_color("person")


def test_prefetch_reports_local_files(demo_root):
    root, _ = demo_root
    out = run("prefetch", "demo/v1", "--roi", "car", root=root).stdout
    assert "0 failed" in out and " local" in out


def test_prefetch_fills_the_cache_from_s3(tmp_path, s3_server, s3_bucket):
    import s3fs

    from hyperloader.store import Dataset

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_server}, key="testing",
                           secret="testing", skip_instance_cache=True)
    local = write_image(tmp_path / "x.png")
    frames = []
    for i in range(3):
        fs.put_file(local, f"{s3_bucket}/img/{i}.png")
        frames.append(SingleFrame(f"s3://{s3_bucket}/img/{i}.png", id=f"f{i}"))
    Dataset.create("remote").get_current().add_frames(frames)
    env = {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}
    out = run("prefetch", "remote", env=env).stdout
    assert out.startswith("prefetch: 3 fetched, 0 already cached")
    assert "prefetch: 0 fetched, 3 already cached" in run("prefetch", "remote", env=env).stdout


@pytest.mark.parametrize("args, message", [
    (["ls", "nope"], "no dataset named 'nope'"),
    (["query", "nope/v1", "--count"], "no dataset named 'nope'"),
    (["stats", "bad/"], "expected DATASET or DATASET/VERSION"),
    (["import", "coco", "missing.json", "--images", ".", "--dataset", "x"], "missing.json"),
    (["diff", "nope", "a", "b"], "no dataset named 'nope'"),
])
def test_errors_are_one_line_without_traceback(args, message):
    proc = run(*args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_bad_query_and_unknown_frame_name_the_problem(tmp_path):
    _render_dataset(tmp_path)
    proc = run("query", "r", "--roi", "label:(car", "--count", check=False)
    assert proc.returncode == 1 and "invalid query" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run("render", "r", "nope", "-o", str(tmp_path / "x.png"), check=False)
    assert proc.returncode == 1 and "frame 'nope'" in proc.stderr


def test_verbose_shows_the_traceback():
    proc = run("-v", "ls", "nope", check=False)
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def test_usage_errors_exit_2():
    proc = run("render", check=False)
    assert proc.returncode == 2 and "usage:" in proc.stderr


def test_cli_package_main_and_help():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "hyperloader.cli", "--help"],
                          capture_output=True, text=True, check=True)
    for command in ("demo", "import", "export", "ls", "query", "stats", "render", "diff",
                    "prefetch"):
        assert command in proc.stdout


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept:DeprecationWarning")
def test_import_uploads_images_and_masks_keeping_their_layout(coco_file, tmp_path, s3_server,
                                                               s3_bucket):
    import s3fs

    from hyperloader.store import DatasetVersion

    env = {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}
    dest = f"s3://{s3_bucket}/coco"
    run("import", "coco", str(coco_file), "--images", str(coco_file.parent / "images"),
        "--dataset", "up", "--upload-to", dest, env=env)
    frames = {f.id: f for f in DatasetVersion.get_version("up").get_frames()}
    assert frames["1"].source == f"{dest}/images/a.jpg"
    assert frames["2"].masks_source == {"12": f"{dest}/masks/2_12.png"}
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_server}, key="testing",
                           secret="testing", skip_instance_cache=True)
    assert sorted(fs.find(f"{s3_bucket}/coco")) == sorted(
        f"{s3_bucket}/coco/{p}" for p in ("images/a.jpg", "images/b.jpg", "images/c.jpg",
                                          "masks/2_12.png"))
    out = tmp_path / "r.png"
    run("render", "up", "2", "-o", str(out), env=env)  # reads the uploads through the cache
    assert Image.open(out).size == (40, 30)
