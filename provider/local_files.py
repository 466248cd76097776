"""Reading models and writing artifacts at ``file://`` locations: bounded, and never through a symlink.

A local-mode job names its model and its output directory in a manifest that
may come from a pull request, and the directories may hold files planted by
someone else.  So a model is read only if it is a regular file (not
``/dev/zero``, not a FIFO) and is streamed, never read whole; and the artifact
``<output>/<relative path>`` is created inside the chosen output directory
one component at a time with ``O_NOFOLLOW``: a symlink on the way or at the
artifact's name is refused or replaced, never followed out of the directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sagemaker_reconciler.errors import ConfigError
from sagemaker_reconciler.local_paths import local_path

__all__ = ["open_model", "model_digest", "copy_model", "publish_file", "remove_published", "MAX_MODEL_BYTES"]

MAX_MODEL_BYTES = 4 << 30
_CHUNK = 1 << 20
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _path(uri: str, *, output: bool) -> Path:
    try:
        return local_path(uri, output=output)
    except ValueError as exc:
        raise ConfigError(f"{uri}: {exc}") from None


@contextmanager
def open_model(uri: str, *, output: bool = False, limit: int = MAX_MODEL_BYTES) -> Iterator[BinaryIO]:
    """A ``file://`` model (or published artifact) opened for streaming: a regular file of at most `limit` bytes."""
    path = _path(uri, output=output)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block the open
    except FileNotFoundError:
        raise ConfigError(f"{uri}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{uri}: cannot be read ({exc.strerror})") from None
    info = os.fstat(fd)
    problem = (
        "not a regular file (a model is a file, not a device, FIFO or directory)"
        if not stat.S_ISREG(info.st_mode)
        else f"{info.st_size} bytes is over the limit of {limit} bytes"
        if info.st_size > limit
        else None
    )
    if problem:
        os.close(fd)
        raise ConfigError(f"{uri}: {problem}")
    with open(fd, "rb") as handle:
        yield handle


def model_digest(uri: str, *, output: bool = False) -> str:
    """``sha256:<hex>`` of a ``file://`` model or artifact, streamed."""
    digest = hashlib.sha256()
    with open_model(uri, output=output) as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def copy_model(uri: str, destination: Path) -> None:
    """Stream a ``file://`` model into `destination` (a fresh path in a temp dir the caller owns)."""
    with open_model(uri) as source, open(destination, "xb") as target:
        shutil.copyfileobj(source, target, _CHUNK)


def _parent(output_dir: Path, parts: list[str], create: bool) -> int | None:
    """An fd of output_dir/parts..., made or opened without following a link below output_dir."""
    if create:
        output_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(output_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # the chosen directory itself
    except FileNotFoundError:
        if create:
            raise
        return None
    for part in parts:
        try:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            child = os.open(part, _DIR, dir_fd=fd)
        except OSError as exc:
            os.close(fd)
            if not create or isinstance(exc, FileNotFoundError):
                return None  # nothing of ours there (a link in our place is not followed, not removed)
            raise ConfigError(
                f"{output_dir / part}: is a symlink or not a directory ({exc.strerror}); "
                "the artifact is only written inside the output directory"
            ) from None
        os.close(fd)
        fd = child
    return fd


def publish_file(source: Path, output_uri: str, relative: str) -> None:
    """Copy `source` to ``<output location>/<relative>`` atomically, never through a symlink."""
    output_dir = _path(output_uri, output=True)
    *parts, name = relative.split("/")
    fd = _parent(output_dir, parts, create=True)
    assert fd is not None
    staged = name + ".partial"
    try:
        try:
            os.unlink(staged, dir_fd=fd)  # a leftover (or planted link) from an interrupted run
        except FileNotFoundError:
            pass
        out = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=fd)
        with open(out, "wb") as target, open(source, "rb") as data:
            shutil.copyfileobj(data, target, _CHUNK)
        os.replace(staged, name, src_dir_fd=fd, dst_dir_fd=fd)  # replaces a link at `name`, never follows it
    finally:
        os.close(fd)


def remove_published(output_uri: str, relative: str) -> None:
    """Delete ``<output location>/<relative>`` if it is there (a symlink there is removed, not followed)."""
    *parts, name = relative.split("/")
    fd = _parent(_path(output_uri, output=True), parts, create=False)
    if fd is None:
        return
    try:
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)
