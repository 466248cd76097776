"""Safe model-archive I/O: untrusted ``.tar.gz`` in, deterministic ``.tar.gz`` out.

A model archive comes from a bucket, a path or a pull request someone else
controls.  Extraction does not rely on tarfile (its headers are buffered whole,
and its ``data`` filter is bypassable on 3.11 before 3.11.13): ``tar_stream``
parses headers with a bound on each, and this module writes only regular files
and directories, one path component at a time relative to an open directory
(``dir_fd`` + ``O_NOFOLLOW``), so nothing can be written through a symlink.
Link members are never created: one whose target is a regular member already
extracted is written as a copy of it, any other is refused.  Duplicate names,
special files, more than ``max_members`` headers, more than ``max_total_bytes``
of content, and an expansion ratio beyond ``max_ratio`` (a gzip bomb) are
refused while streaming, and what was written so far is removed.  Every refusal
is ``UnsafeArchive`` naming the member.  Nothing in an archive is ever executed.

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
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sagemaker_reconciler.errors import UnsafeArchive
from sagemaker_reconciler.local_compile.tar_stream import Readable, TarFormatError, TarMember, TarStream

__all__ = [
    "UnsafeArchive",
    "ArchiveLimits",
    "DEFAULT_LIMITS",
    "extract_archive",
    "read_member",
    "write_deterministic_tar_gz",
    "sha256_file",
    "sha256_bytes",
    "copy_file",
]

_CHUNK = 1 << 20
_NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what an archive may expand to, all enforced while streaming."""

    max_members: int = 10_000
    max_total_bytes: int = 8 << 30  # 8 GiB of member content
    max_compressed_bytes: int = 4 << 30
    max_header_bytes: int = 64 << 10
    """One GNU long-name/long-link or PAX header: a real one is a path, a few hundred bytes."""
    max_ratio: int = 200
    """Decompressed bytes per compressed byte (weights compress ~1.1x; zeros ~1000x) ..."""
    ratio_allowance: int = 32 << 20
    """... once past this many decompressed bytes, so small padded archives are never refused."""


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


def _shown(name: str) -> str:
    """A member name in a message: quoted with escapes (repr), and cut short."""
    return repr(name[:200] + ("..." if len(name) > 200 else ""))


def _refuse(name: str, reason: str) -> UnsafeArchive:
    return UnsafeArchive(f"model archive member {_shown(name)}: {reason}")


def _check_name(name: str) -> str:
    """Return the normalised relative name or raise; rejects absolute and escaping names."""
    if not name or "\x00" in name:
        raise _refuse(name, "empty or NUL-containing name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _refuse(name, "absolute path")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise _refuse(name, "contains '..'")
    normalised = posixpath.normpath(name.replace("\\", "/"))
    if normalised in (".", ""):
        raise _refuse(name, "does not name a file")
    return normalised


class _Meter:
    """The decompressed stream, counted: refuses a gzip bomb by its ratio before it fills memory or disk."""

    def __init__(self, stream: Readable, raw: BinaryIO, limits: ArchiveLimits):
        self._stream, self._raw, self._limits = stream, raw, limits
        self.expanded = 0
        self.member = "the start of the archive"

    def read(self, size: int) -> bytes:
        data = self._stream.read(size)
        self.expanded += len(data)
        limits = self._limits
        if self._stream is not self._raw and self.expanded > limits.ratio_allowance:
            compressed = max(self._raw.tell(), 1)
            if self.expanded > limits.max_ratio * compressed + limits.ratio_allowance:
                raise _refuse(
                    self.member,
                    f"the archive expands more than {limits.max_ratio}x its compressed size (a decompression bomb?)",
                )
        return data


class _Writer:
    """Creates regular files and directories under one open directory, never following a symlink."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self._root_fd = os.open(root, _NOFOLLOW_DIR)
        self._created: list[str] = []  # top-level names, removed again on a refusal

    def close(self) -> None:
        os.close(self._root_fd)

    def discard(self) -> None:
        for name in reversed(self._created):
            try:
                if stat.S_ISDIR(os.lstat(name, dir_fd=self._root_fd).st_mode):
                    shutil.rmtree(name, dir_fd=self._root_fd)
                else:
                    os.unlink(name, dir_fd=self._root_fd)
            except FileNotFoundError:
                pass

    def _directory(self, parts: list[str], member: str) -> int:
        """An fd of root/parts..., each component made or opened without following a link."""
        fd = os.dup(self._root_fd)
        try:
            for depth, part in enumerate(parts):
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                    if depth == 0:
                        self._created.append(part)
                except FileExistsError:
                    pass
                try:
                    child = os.open(part, _NOFOLLOW_DIR, dir_fd=fd)
                except OSError:
                    raise _refuse(member, f"its parent {'/'.join(parts[: depth + 1])!r} is not a directory") from None
                os.close(fd)
                fd = child
            return fd
        except BaseException:
            os.close(fd)
            raise

    def mkdir(self, name: str, member: str) -> None:
        os.close(self._directory(name.split("/"), member))

    def write(self, name: str, member: str, chunks: Iterable[bytes]) -> None:
        parts = name.split("/")
        parent = self._directory(parts[:-1], member)
        try:
            try:
                fd = os.open(parts[-1], _NEW_FILE, 0o644, dir_fd=parent)
            except FileExistsError:
                raise _refuse(member, "collides with a directory made by an earlier member") from None
            if len(parts) == 1:
                self._created.append(parts[0])
            with open(fd, "wb") as handle:
                handle.writelines(chunks)
        finally:
            os.close(parent)

    def read(self, name: str) -> Iterable[bytes]:
        parts = name.split("/")
        parent = self._directory(parts[:-1], name)
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        finally:
            os.close(parent)
        with open(fd, "rb") as handle:
            yield from iter(lambda: handle.read(_CHUNK), b"")


def _link_target(name: str, member: TarMember) -> str | None:
    """The normalised in-archive path a link names, or None when it leaves the archive."""
    target = member.linkname
    if not target or target.startswith("/") or "\x00" in target:
        return None
    base = "" if member.kind == "hardlink" else posixpath.dirname(name)  # hard: from the root; sym: from its dir
    resolved = posixpath.normpath(posixpath.join(base, target))
    if resolved == ".." or resolved.startswith(("../", "/")):
        return None
    return resolved


def _open_archive(archive: str | os.PathLike[str] | BinaryIO, limits: ArchiveLimits) -> BinaryIO:
    if not isinstance(archive, (str, os.PathLike)):
        return archive
    try:
        fd = os.open(archive, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise UnsafeArchive(f"cannot read the model archive: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafeArchive("the model archive is not a regular file")
    if info.st_size > limits.max_compressed_bytes:
        os.close(fd)
        raise UnsafeArchive(f"the model archive is larger than {limits.max_compressed_bytes} bytes")
    return open(fd, "rb")


def extract_archive(
    archive: str | os.PathLike[str] | BinaryIO,
    destination: str | os.PathLike[str],
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> list[Path]:
    """Extract a model ``.tar.gz`` (or plain ``.tar``) into ``destination`` (a directory the caller owns).

    Returns the regular files extracted (not the copies standing in for symlinks), sorted.  On a refusal nothing from
    the archive is left in ``destination``.
    """
    dest = Path(destination)
    raw = _open_archive(archive, limits)
    try:
        writer = _Writer(dest)
    except OSError as exc:
        raw.close()
        raise UnsafeArchive(f"cannot extract into {dest}: {exc.strerror or exc}") from None
    files: list[str] = []
    try:
        with raw:
            compressed = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
            meter = _Meter(stream, raw, limits)
            _extract(
                TarStream(meter, max_header_bytes=limits.max_header_bytes, max_headers=limits.max_members),
                writer,
                meter,
                files,
                limits,
            )
    except TarFormatError as exc:
        writer.discard()
        where = f"model archive {exc.member}" if exc.member else "cannot read the model archive"
        raise UnsafeArchive(f"{where}: {exc.reason}") from None
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        writer.discard()
        raise UnsafeArchive(f"cannot read the model archive: {exc}") from None
    except BaseException:
        writer.discard()
        raise
    finally:
        writer.close()
    return sorted(dest / name for name in files)


def read_member(
    archive: BinaryIO, name: str, max_bytes: int = 1 << 20, limits: ArchiveLimits = DEFAULT_LIMITS
) -> bytes | None:
    """One small regular member (an artifact's manifest.json) through the same bounded reader; None if absent."""
    try:
        compressed = archive.read(2) == b"\x1f\x8b"
        archive.seek(0)
        stream = gzip.GzipFile(fileobj=archive, mode="rb") if compressed else archive
        meter = _Meter(stream, archive, limits)
        tar = TarStream(meter, max_header_bytes=limits.max_header_bytes, max_headers=limits.max_members)
        for member in tar:
            meter.member = member.name
            if member.kind == "file" and posixpath.normpath(member.name) == name:
                if member.size > max_bytes:
                    raise _refuse(member.name, f"{member.size} bytes is over the limit of {max_bytes} bytes")
                return b"".join(tar.chunks(member))
    except TarFormatError as exc:
        where = f"archive {exc.member}" if exc.member else "cannot read the archive"
        raise UnsafeArchive(f"{where}: {exc.reason}") from None
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise UnsafeArchive(f"cannot read the archive: {exc}") from None
    return None


def _extract(tar: TarStream, writer: _Writer, meter: _Meter, files: list[str], limits: ArchiveLimits) -> None:
    seen: set[str] = set()
    regular: dict[str, int] = {}  # extracted regular files -> size, the only things a link may copy
    total = 0
    for member in tar:
        meter.member = member.name
        if member.kind == "dir" and posixpath.normpath(member.name) == ".":
            continue  # `tar -C dir .` lists the root itself
        name = _check_name(member.name)
        if name in seen:
            raise _refuse(member.name, "a second member with the same name")
        seen.add(name)
        if member.kind == "dir":
            _written(member, writer.mkdir, name, member.name)
            continue
        if member.kind in ("symlink", "hardlink"):
            target = _link_target(name, member)
            if target is None:
                raise _refuse(member.name, f"{member.kind} to {_shown(member.linkname)} points outside the archive")
            if target not in regular:
                raise _refuse(
                    member.name,
                    f"{member.kind} to {_shown(member.linkname)} does not name a regular file "
                    "earlier in the archive (links are only copied, never created)",
                )
            size, chunks = regular[target], writer.read(target)
        elif member.kind == "file":
            size, chunks = member.size, tar.chunks(member)
        else:
            raise _refuse(member.name, f"a {member.kind}: a model archive holds regular files and directories only")
        total += size
        if total > limits.max_total_bytes:
            raise _refuse(
                member.name, f"the archive expands to more than {limits.max_total_bytes} bytes (a decompression bomb?)"
            )
        _written(member, writer.write, name, member.name, chunks)
        regular[name] = size
        if member.kind != "symlink":  # a symlink's copy is another name for a model file, not another model file
            files.append(name)


def _written(member: TarMember, write: Callable[..., None], *args: Any) -> None:
    """Run a write; a file-system failure (a name too long, a full disk) is a refusal naming the member."""
    try:
        write(*args)
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise  # the archive itself is broken: reported as unreadable
    except OSError as exc:
        raise _refuse(member.name, f"cannot be written: {exc.strerror or exc}") from None


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
                    info = tarfile.TarInfo(name)
                    info.mtime = 0
                    info.mode = 0o755 if name.endswith(".so") else 0o644
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    if isinstance(payload, Path):  # a library can be large: streamed, not read whole
                        with open(payload, "rb") as handle:
                            info.size = os.fstat(handle.fileno()).st_size
                            tar.addfile(info, handle)
                    else:
                        info.size = len(payload)
                        tar.addfile(info, io.BytesIO(bytes(payload)))
    os.replace(tmp, output)
    return sha256_file(output)


def copy_file(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
    """Atomic copy (write then rename), so a reader never sees half an artifact."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".partial")
    shutil.copyfile(source, tmp)
    os.replace(tmp, destination)
