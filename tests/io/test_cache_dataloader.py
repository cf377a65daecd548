"""The cache's byte budget holds while real DataLoader worker processes share it."""

from __future__ import annotations

import uuid

import fsspec
import pytest

torch = pytest.importorskip("torch")

import hyperloader._config as config  # noqa: E402
from hyperloader.io import Cache, CacheOptions  # noqa: E402

N, SIZE, BUDGET = 24, 1000, 6 * 1000


def _payload(i: int) -> bytes:
    return bytes([i % 251]) * SIZE


class _Reads(torch.utils.data.Dataset):
    """Reads object i through the shared cache and audits the directory after each read."""

    def __init__(self, cache: Cache, uris: list[str]) -> None:
        self.cache, self.uris = cache, uris

    def __len__(self) -> int:
        return len(self.uris)

    def __getitem__(self, i: int) -> tuple[int, bool, int]:
        with self.cache.open(self.uris[i]) as f:
            ok = f.read() == _payload(i % N)
        audit = self.cache.audit()
        return i, ok, max(audit["disk_bytes"], audit["bytes_cached"])


@pytest.mark.parametrize("eviction", ["lru", "belady"])
def test_budget_respected_under_a_two_worker_dataloader(s3_server, s3_options, tmp_path,
                                                        eviction):
    bucket = f"dl-{uuid.uuid4().hex[:10]}"
    fs = fsspec.filesystem("s3", endpoint_url=s3_server, key="testing", secret="testing")
    fs.mkdir(bucket)
    fs.pipe({f"{bucket}/{i}.bin": _payload(i) for i in range(N)})
    config.set_storage_options("s3://", **s3_options)
    uris = [f"s3://{bucket}/{i}.bin" for i in range(N)] * 2  # two epochs' worth of reads
    cache = Cache(tmp_path / "cache", max_bytes=BUDGET, options=CacheOptions(eviction=eviction))
    cache.set_future_order(uris)
    loader = torch.utils.data.DataLoader(_Reads(cache, uris), batch_size=None, num_workers=2)
    rows = list(loader)
    assert sorted(i for i, _, _ in rows) == list(range(len(uris)))
    assert all(ok for _, ok, _ in rows)
    assert max(worst for _, _, worst in rows) <= BUDGET
    final = cache.audit()
    assert final["disk_bytes"] <= BUDGET and final["orphans"] == 0 and final["missing"] == 0
    assert final["entries"] >= 1
