"""An exclusive, inter-process file lock (``fcntl.flock``) that threads may share safely.

Each ``acquire`` opens its own descriptor, so two threads of one process exclude each other
just as two processes do. Locks vanish with their holder, so a crashed worker never leaves
a stale lock behind. POSIX only, like the cache directory layout that uses it.
"""

from __future__ import annotations

import fcntl
import os
import time
from types import TracebackType

from hyperloader.errors import StoreError

__all__ = ["FileLock"]

# flock has no timed wait: poll, at most 5 ms late. A 50 ms ceiling kept threads asleep
# long after short holds (an index write, a small download) had ended.
_FIRST_PAUSE_S = 0.0005
_MAX_PAUSE_S = 0.005


class FileLock:
    """Hold an exclusive ``flock`` on ``path`` for the duration of a ``with`` block.

    Args:
        path: the lock file; created when missing and never deleted.
        timeout_s: how long to wait for another holder before giving up.
    """

    def __init__(self, path: str, timeout_s: float = 600.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._fd: int | None = None

    def acquire(self) -> None:
        """Block until the lock is held.

        Raises:
            StoreError: when ``timeout_s`` passed while another holder kept it.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        pause = _FIRST_PAUSE_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreError(f"timed out after {self.timeout_s}s waiting for the cache "
                                     f"lock {self.path!r}", uri=self.path) from None
                time.sleep(pause)
                pause = min(pause * 2, _MAX_PAUSE_S)
        self._fd = fd

    def release(self) -> None:
        """Release the lock; a no-op when it is not held."""
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
