"""``hyperloader cache``: info, verify, trim and clear through the real entry point."""

from __future__ import annotations

import json
import os
import uuid

import fsspec
import pytest

from hyperloader.cli._cmd_cache import format_bytes
from hyperloader.io import Cache, CacheOptions
from tests.cli.cli_helpers import run

BUDGET = {"HYPERLOADER_CACHE_MAX_BYTES": "1MiB", "HYPERLOADER_CACHE_EVICTION": "lru"}


@pytest.fixture()
def filled(tmp_path):
    """Fill ``$HYPERLOADER_CACHE_DIR`` with 4 objects of 100 bytes, read in order 1, 2, 3, 0.

    Returns the URIs and a function opening a Cache on that directory.
    """
    fs = fsspec.filesystem("memory")
    prefix = f"/cli-cache-{uuid.uuid4().hex[:8]}"
    uris = []
    for i in range(4):
        fs.pipe_file(f"{prefix}/o{i}.bin", bytes([i]) * 100)
        uris.append(f"memory://{prefix.lstrip('/')}/o{i}.bin")

    def open_cache(directory=None) -> Cache:
        return Cache(directory or os.environ["HYPERLOADER_CACHE_DIR"], max_bytes=1 << 20,
                     options=CacheOptions(eviction="lru"))

    with open_cache() as cache:
        for uri in uris:
            cache.get(uri)
        cache.get(uris[0])  # 0 is now the most recently read
    yield uris, open_cache
    fs.rm(prefix, recursive=True)


def _cached(open_cache, uris) -> list[bool]:
    with open_cache() as cache:
        return [cache.count_missing([u]) == 0 for u in uris]


def _one_line_error(proc, *fragments: str) -> None:
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("hyperloader cache: error: ")
    for fragment in fragments:
        assert fragment in proc.stderr


def test_info_prints_size_budget_and_strategy(tmp_path, filled):
    out = run("cache", env=BUDGET).stdout.splitlines()
    assert out == [f"directory  {tmp_path / 'cache'}",
                   "entries    4",
                   "cached     400 B of 1.0 MiB (0.0%)",
                   "eviction   lru"]
    assert run("cache", "info", env=BUDGET).stdout.splitlines() == out
    assert not (tmp_path / "store").exists()  # no store root needed, none created


def test_info_json(tmp_path, filled):
    data = json.loads(run("cache", "info", "--json", env=BUDGET).stdout)
    assert data == {"directory": str(tmp_path / "cache"), "entries": 4, "bytes_cached": 400,
                    "max_bytes": 1 << 20, "eviction": "lru"}


def test_dir_points_at_another_cache(tmp_path, filled):
    uris, open_cache = filled
    with open_cache(tmp_path / "other") as other:
        other.get(uris[0])
    data = json.loads(run("cache", "--json", "--dir", str(tmp_path / "other"),
                          env=BUDGET).stdout)
    assert (data["directory"], data["entries"], data["bytes_cached"]) == (
        str(tmp_path / "other"), 1, 100)
    proc = run("cache", "clear", "--dir", str(tmp_path / "nowhere"), check=False)
    _one_line_error(proc, "no such file", str(tmp_path / "nowhere"))
    assert not (tmp_path / "nowhere").exists()
    assert _cached(open_cache, uris) == [True] * 4  # the default directory was left alone


def test_verify_reports_and_repairs(tmp_path, filled):
    uris, open_cache = filled
    proc = run("cache", "verify", env=BUDGET)
    assert proc.stdout.startswith(f"verify: ok ({tmp_path / 'cache'})")
    assert "orphans  0" in proc.stdout and "missing  0" in proc.stdout
    with open_cache() as cache:
        paths = [cache.get(u) for u in uris]
    os.unlink(paths[1])
    with open(os.path.join(os.path.dirname(paths[0]), "f" * 64 + ".bin"), "wb") as f:
        f.write(b"x" * 50)  # what a process killed mid-admission leaves
    proc = run("cache", "verify", check=False, env=BUDGET)
    assert proc.returncode == 1 and proc.stdout.startswith("verify: problems found")
    assert "orphans  1" in proc.stdout and "missing  1" in proc.stdout
    assert "disk     4 files, 350 B" in proc.stdout and "--repair" in proc.stdout
    proc = run("cache", "verify", "--repair", env=BUDGET)
    assert proc.stdout.startswith("verify: repaired") and "orphans  1" in proc.stdout
    data = json.loads(run("cache", "verify", "--json", env=BUDGET).stdout)
    assert (data["orphans"], data["missing"], data["entries"], data["disk_files"]) == (0, 0, 3, 3)


def test_trim_evicts_least_recently_read_first(tmp_path, filled):
    uris, open_cache = filled
    out = run("cache", "trim", "--max-bytes", "250B", env=BUDGET).stdout
    assert out == (f"trim: evicted 2 entries (200 B); 2 entries, 200 B left "
                   f"({tmp_path / 'cache'})\n")
    assert _cached(open_cache, uris) == [True, False, False, True]
    data = json.loads(run("cache", "trim", "--max-bytes", "0.1kB", "--json", env=BUDGET).stdout)
    assert (data["evicted"], data["bytes_freed"], data["entries"]) == (1, 100, 1)
    assert _cached(open_cache, uris) == [True, False, False, False]
    with open_cache() as cache:
        found = cache.audit()
    assert (found["orphans"], found["missing"], found["disk_files"]) == (0, 0, 1)


def test_trim_without_max_bytes_shrinks_to_the_budget(filled):
    uris, open_cache = filled
    out = run("cache", "trim", env={"HYPERLOADER_CACHE_MAX_BYTES": "300",
                                    "HYPERLOADER_CACHE_EVICTION": "lru"}).stdout
    assert out.startswith("trim: evicted 1 entries (100 B); 3 entries, 300 B left")
    assert _cached(open_cache, uris) == [True, False, True, True]


def test_clear_empties_the_cache(tmp_path, filled):
    uris, open_cache = filled
    out = run("cache", "clear", env=BUDGET).stdout
    assert out == f"clear: evicted 4 entries (400 B); 0 entries, 0 B left ({tmp_path / 'cache'})\n"
    assert json.loads(run("cache", "--json", env=BUDGET).stdout)["entries"] == 0
    assert [f for _, _, files in os.walk(tmp_path / "cache" / "objects") for f in files] == []
    with open_cache() as cache:
        assert cache.get(uris[2]) and cache.stats()["misses"] == 1


@pytest.mark.parametrize("args, fragments", [
    (["trim", "--max-bytes", "lots"], ["not a byte size", "'lots'"]),
    (["trim", "--max-bytes=-5"], ["not a byte size", "'-5'"]),
    (["clear", "--max-bytes", "5"], ["--max-bytes", "'clear'"]),
    (["info", "--repair"], ["--repair", "'info'"]),
])
def test_bad_options_are_one_line_errors(filled, args, fragments):
    uris, open_cache = filled
    _one_line_error(run("cache", *args, check=False, env=BUDGET), *fragments)
    assert _cached(open_cache, uris) == [True] * 4


def test_bad_budget_in_the_environment_is_one_line():
    proc = run("cache", check=False, env={"HYPERLOADER_CACHE_MAX_BYTES": "huge"})
    _one_line_error(proc, "'huge'")


def test_help_lists_the_command():
    assert "cache" in run("--help").stdout
    out = run("cache", "--help").stdout
    for word in ("info", "verify", "trim", "clear", "--max-bytes", "--dir", "--repair"):
        assert word in out


@pytest.mark.parametrize("n, text", [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"),
                                     (1536, "1.5 KiB"), (5 * 2**20, "5.0 MiB"),
                                     (int(1.2 * 2**30), "1.2 GiB"), (3 * 2**40, "3.0 TiB"),
                                     (2**52, "4096.0 TiB")])
def test_format_bytes(n, text):
    assert format_bytes(n) == text
