"""Safe model-archive I/O: untrusted ``.tar.gz`` in, deterministic ``.tar.gz`` out.

A model archive comes from a bucket or a path someone else controls, so
extraction checks every member *before* anything is written: no absolute
names, no ``..``, no links leaving the destination, no device files or FIFOs,
and limits on member count and total uncompressed size (a tar.gz bomb is
small on disk).  Nothing in an archive is ever executed or imported.

The output artifact is written reproducibly (sorted names, mtime 0, uid/gid 0,
fixed modes, gzip header without timestamp) so the same compile gives the
same ``artifactDigest``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import shutil
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from provider.errors import UnsafeArchive

__all__ = [
    "UnsafeArchive",
    "ArchiveLimits",
    "DEFAULT_LIMITS",
    "extract_archive",
    "write_deterministic_tar_gz",
    "sha256_file",
    "sha256_bytes",
    "copy_file",
]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what an archive may expand to."""

    max_members: int = 10_000
    max_total_bytes: int = 8 << 30  # 8 GiB uncompressed
    max_compressed_bytes: int = 4 << 30


DEFAULT_LIMITS = ArchiveLimits()


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of a file, read in chunks (models can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _check_name(name: str) -> str:
    """Return the normalised relative name or raise; rejects absolute and escaping names."""
    if not name or "\x00" in name:
        raise UnsafeArchive(f"member with an empty or NUL-containing name: {name!r}")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"member {name!r} has an absolute path")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise UnsafeArchive(f"member {name!r} contains '..'")
    normalised = posixpath.normpath(name.replace("\\", "/"))
    if normalised in (".", "") and not name.endswith("/"):
        raise UnsafeArchive(f"member {name!r} does not name a file")
    return normalised


def _link_stays_inside(member_name: str, link_target: str, hard: bool) -> bool:
    if not link_target or link_target.startswith("/") or "\x00" in link_target:
        return False
    # A hard link target is relative to the archive root, a symlink to the member's directory.
    base = "" if hard else posixpath.dirname(member_name)
    resolved = posixpath.normpath(posixpath.join(base, link_target))
    return not (resolved == ".." or resolved.startswith("../") or resolved.startswith("/"))


def _check_members(members: Iterable[tarfile.TarInfo], limits: ArchiveLimits) -> list[tarfile.TarInfo]:
    checked: list[tarfile.TarInfo] = []
    total = 0
    for member in members:
        if len(checked) >= limits.max_members:
            raise UnsafeArchive(f"archive has more than {limits.max_members} members")
        name = _check_name(member.name)
        if member.issym() or member.islnk():
            if not _link_stays_inside(name, member.linkname, hard=member.islnk()):
                kind = "hard link" if member.islnk() else "symlink"
                raise UnsafeArchive(f"{kind} {member.name!r} -> {member.linkname!r} points outside the archive")
        elif not (member.isreg() or member.isdir()):
            raise UnsafeArchive(f"member {member.name!r} is a device, FIFO or other special file")
        total += max(member.size, 0)
        if total > limits.max_total_bytes:
            raise UnsafeArchive(
                f"archive expands to more than {limits.max_total_bytes} bytes (decompression bomb?)"
            )
        checked.append(member)
    return checked


def extract_archive(
    archive: str | os.PathLike[str] | BinaryIO,
    destination: str | os.PathLike[str],
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> list[Path]:
    """Extract a model ``.tar.gz`` into ``destination`` (an empty temp dir the caller owns).

    Every member is checked before the first byte is written; the extraction
    itself then goes through tarfile's ``data`` filter as a second line of
    defence.  Returns the regular files extracted, sorted.
    """
    dest = Path(destination)
    dest.mkdir(parents=True, exist_ok=True)
    if isinstance(archive, (str, os.PathLike)) and os.path.getsize(archive) > limits.max_compressed_bytes:
        raise UnsafeArchive(f"archive is larger than {limits.max_compressed_bytes} bytes")
    try:
        opened = (tarfile.open(archive, mode="r:*") if isinstance(archive, (str, os.PathLike))
                  else tarfile.open(fileobj=archive, mode="r:*"))
        with opened as tar:
            members = _check_members(_iter_members(tar, limits), limits)
            tar.extractall(dest, members=members, filter="data")
    except UnsafeArchive:
        raise
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise UnsafeArchive(f"cannot read the model archive: {exc}") from exc
    return sorted(p for p in dest.rglob("*") if p.is_file() and not p.is_symlink())


def _iter_members(tar: tarfile.TarFile, limits: ArchiveLimits) -> Iterable[tarfile.TarInfo]:
    """Yield headers one at a time so a million-member archive is refused early."""
    count = 0
    for member in tar:
        count += 1
        if count > limits.max_members:
            raise UnsafeArchive(f"archive has more than {limits.max_members} members")
        yield member


def write_deterministic_tar_gz(files: Mapping[str, bytes | Path], output: str | os.PathLike[str]) -> str:
    """Write ``{archive name: bytes or file}`` as a reproducible ``.tar.gz``; return its sha256 digest."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".partial")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for name in sorted(files):
                    _check_name(name)
                    payload = files[name]
                    data = payload.read_bytes() if isinstance(payload, Path) else bytes(payload)
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mtime = 0
                    info.mode = 0o755 if name.endswith(".so") else 0o644
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, output)
    return sha256_file(output)


def copy_file(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
    """Atomic copy (write then rename), so a reader never sees half an artifact."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".partial")
    shutil.copyfile(source, tmp)
    os.replace(tmp, destination)
