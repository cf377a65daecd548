from __future__ import annotations

import pytest

from hyperloader.io import Cache, CacheOptions, RetryPolicy, default_cache, prefetch_uris


def test_prefetch_uris_warms_the_cache_and_summarises(tmp_path, mem_put, capsys):
    uris = [mem_put(f"/w/{i}.bin", b"w" * 20) for i in range(6)]
    local = tmp_path / "local.bin"
    local.write_bytes(b"here")
    cache = Cache(tmp_path / "c", max_bytes=10_000,
                  options=CacheOptions(retry=RetryPolicy(max_attempts=2, base=0.001, cap=0.002)))
    cache.get(uris[0])
    todo = uris + uris[:2] + [str(local), "memory://w/missing.bin"]
    summary = prefetch_uris(todo, cache, num_workers=3, progress=True)
    assert (summary.fetched, summary.hits, summary.local, summary.failed) == (5, 1, 1, 1)
    assert list(summary.errors) == ["memory://w/missing.bin"]
    assert "memory://w/missing.bin" in summary.errors["memory://w/missing.bin"]
    assert "prefetch" in capsys.readouterr().err  # the tqdm bar
    before = cache.stats()
    assert [cache.get(u) for u in uris] and cache.stats()["hits"] == before["hits"] + 6
    assert cache.stats()["misses"] == 6
    cache.close()


def test_prefetch_uris_uses_the_default_cache(mem_put, capsys):
    uri = mem_put("/w/default.bin", b"d")
    summary = prefetch_uris([uri], progress=False)
    assert summary.fetched == 1 and capsys.readouterr().err == ""
    assert default_cache().stats()["misses"] == 1
    default_cache().close()


def test_prefetch_uris_rejects_bad_workers(tmp_path):
    with pytest.raises(ValueError, match="num_workers"):
        prefetch_uris([], Cache(tmp_path), num_workers=0)
