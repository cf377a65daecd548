"""Several processes share one cache directory: one download per object, one byte budget.

The processes are spawned once per module (a spawned child pays for importing s3fs and
botocore) and run two jobs back to back, each through its own FaultyProxy so the server-side
request counts stay apart; each test asserts on one job.
"""

from __future__ import annotations

import multiprocessing
import uuid

import fsspec
import pytest

import hyperloader._config as config
from hyperloader.io import Cache, CacheOptions
from tests.io.faulty_proxy import FaultyProxy

PROCESSES = 3
N, SIZE = 20, 1000
TIGHT_BUDGET = 7 * SIZE


def _payload(i: int) -> bytes:
    return bytes([i % 251]) * SIZE


def _worker(storage, jobs, barrier, results):
    config.set_config(storage)  # a spawned child starts with an empty config
    import s3fs  # noqa: F401 - import while the parent uploads, not inside the timed jobs

    for name, cache, uris, audit_each in jobs:
        barrier.wait(timeout=120)
        worst = bad = 0
        for uri in uris:
            with cache.open(uri) as f:
                bad += f.read() != _payload(int(uri.rsplit("/", 1)[1].split(".")[0]))
            if audit_each:
                audit = cache.audit()
                worst = max(worst, audit["disk_bytes"], audit["bytes_cached"])
        results.put((name, {**cache.stats(), "worst": worst, "bad": bad}))
        cache.close()


@pytest.fixture(scope="module")
def shared_run(s3_server, tmp_path_factory):
    bucket = f"mp-{uuid.uuid4().hex[:12]}"
    root = tmp_path_factory.mktemp("mp")
    with FaultyProxy(s3_server) as fits_proxy, FaultyProxy(s3_server) as tight_proxy:
        storage = config.StorageConfig(options={
            f"s3://127.0.0.1:{p.port}/": {"config_kwargs": {"retries": {"total_max_attempts": 1}}}
            for p in (fits_proxy, tight_proxy)})
        fits = Cache(root / "fits", max_bytes=10**6)
        fits_uris = [f"s3://127.0.0.1:{fits_proxy.port}/{bucket}/{i}.bin" for i in range(N)]
        rotations = [fits_uris[k * 7:] + fits_uris[:k * 7] for k in range(PROCESSES)]

        tight = Cache(root / "tight", max_bytes=TIGHT_BUDGET,
                      options=CacheOptions(eviction="belady"))
        tight_uris = [f"s3://127.0.0.1:{tight_proxy.port}/{bucket}/{i}.bin" for i in range(N)]
        tight.set_future_order(tight_uris * 2)  # travels to the workers with the pickled cache
        shares = [(tight_uris * 2)[k::PROCESSES] for k in range(PROCESSES)]

        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(PROCESSES + 1), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(storage, [
            ("fits", fits, rotations[k], False), ("tight", tight, shares[k], True)],
            barrier, results)) for k in range(PROCESSES)]
        for p in procs:
            p.start()
        fs = fsspec.filesystem("s3", endpoint_url=s3_server, key="testing", secret="testing")
        fs.mkdir(bucket)
        fs.pipe({f"{bucket}/{i}.bin": _payload(i) for i in range(N)})
        out: dict[str, list[dict]] = {"fits": [], "tight": []}
        for _ in range(2):
            barrier.wait(timeout=120)
            for _ in range(PROCESSES):
                name, stats = results.get(timeout=120)
                out[name].append(stats)
        for p in procs:
            p.join(timeout=30)
        gets = {i: fits_proxy.count("GET", f"{bucket}/{i}.bin") for i in range(N)}
    return {"stats": out, "exitcodes": [p.exitcode for p in procs], "gets": gets,
            "fits": fits.audit(), "tight": tight.audit()}


def test_each_object_is_downloaded_once_across_processes(shared_run):
    stats = shared_run["stats"]["fits"]
    assert shared_run["exitcodes"] == [0] * PROCESSES
    assert [s["bad"] for s in stats] == [0] * PROCESSES
    assert sum(s["misses"] for s in stats) == N
    assert sum(s["hits"] for s in stats) == N * (PROCESSES - 1)
    assert shared_run["gets"] == dict.fromkeys(range(N), 1)  # counted by the proxy
    audit = shared_run["fits"]
    assert audit["entries"] == audit["disk_files"] == N
    assert audit["orphans"] == audit["missing"] == 0


def test_shared_budget_is_never_exceeded(shared_run):
    stats = shared_run["stats"]["tight"]
    assert [s["bad"] for s in stats] == [0] * PROCESSES
    assert all(0 < s["worst"] <= TIGHT_BUDGET for s in stats)  # audited after every get
    assert sum(s["hits"] + s["misses"] for s in stats) == 2 * N
    assert sum(s["evictions"] for s in stats) == sum(s["misses"] for s in stats) - 7
    audit = shared_run["tight"]
    assert audit["disk_bytes"] == audit["bytes_cached"] == TIGHT_BUDGET
    assert audit["orphans"] == audit["missing"] == 0
