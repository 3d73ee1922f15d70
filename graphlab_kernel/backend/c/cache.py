"""The compile cache: one shared library per generated source, in a private per-user directory.

Entries are `<module>.so` plus `<module>.json`, a manifest holding the library's size and SHA-256;
both are published atomically (written under a temporary name, then renamed), the manifest last.
An entry whose manifest is missing or does not match is rebuilt. A per-entry `fcntl` lock makes
concurrent processes compiling the same function compile it once. No pickle anywhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

_private_fallback: Path | None = None


class UnsafeCacheDir(Exception):
    """The cache directory could be written by another user."""


def default_dir() -> Path:
    """GRAPHLAB_CACHE_DIR, else $XDG_CACHE_HOME/graphlab, else ~/.cache/graphlab."""
    explicit = os.environ.get("GRAPHLAB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "graphlab"


def check_private(path: Path) -> None:
    """Raise UnsafeCacheDir unless `path` is a directory owned by us that no one else can write."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeCacheDir(f"{path} is not a directory")
    if st.st_uid != os.getuid():
        raise UnsafeCacheDir(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeCacheDir(f"{path} can be written by other users (mode {st.st_mode & 0o777:o})")


def cache_dir() -> Path:
    """The directory to use: the configured one, created 0700, or a private temporary one
    (with a warning) when the configured one is unsafe or cannot be created."""
    global _private_fallback
    path = default_dir()
    try:
        if not path.exists():
            os.makedirs(path, mode=0o700, exist_ok=True)
            os.chmod(path, 0o700)
        check_private(path)
        return path
    except (OSError, UnsafeCacheDir) as exc:
        if _private_fallback is None or not _private_fallback.exists():
            _private_fallback = Path(tempfile.mkdtemp(prefix="graphlab-cache-"))
            warnings.warn(f"graphlab: not using the compile cache {path} ({exc}); compiling into "
                          f"the private directory {_private_fallback} instead", RuntimeWarning,
                          stacklevel=4)
        return _private_fallback


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_is_valid(directory: Path, module: str) -> bool:
    """Whether the library and its manifest exist and agree (size and checksum)."""
    try:
        manifest = json.loads((directory / f"{module}.json").read_text())
        data = (directory / f"{module}.so").read_bytes()
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and manifest.get("size") == len(data)
            and manifest.get("sha256") == _digest(data))


def _publish(directory: Path, name: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(directory: Path, module: str):
    with open(directory / f"{module}.lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def get_or_build(module: str, build: Callable[[Path], bytes]) -> Path:
    """The path of the cached library `module`, building it with `build(workdir)` if needed."""
    directory = cache_dir()
    if entry_is_valid(directory, module):
        return directory / f"{module}.so"
    with _locked(directory, module):
        if not entry_is_valid(directory, module):
            with tempfile.TemporaryDirectory(prefix=".build-", dir=directory) as work:
                data = build(Path(work))
            _publish(directory, f"{module}.so", data)
            manifest = {"module": module, "size": len(data), "sha256": _digest(data)}
            _publish(directory, f"{module}.json", json.dumps(manifest).encode())
    return directory / f"{module}.so"
