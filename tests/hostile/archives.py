"""Builders of hostile model archives, each a few KB to a few MB on disk, built inside the test."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

MiB = 1 << 20


def tar_gz(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], fmt: int = tarfile.PAX_FORMAT) -> Path:
    with tarfile.open(path, "w:gz", format=fmt) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def entry(
    name: str,
    kind: bytes = tarfile.REGTYPE,
    link: str = "",
    data: bytes | None = None,
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o777 if kind in (tarfile.DIRTYPE, tarfile.SYMTYPE) else 0o644
    return info, (data if data is not None else (b"" if kind == tarfile.REGTYPE else None))


def gh_135034_chain(path: Path, destination: Path) -> Path:
    """CPython gh-135034 (CVE-2025-4517): directories and symlinks nested past PATH_MAX, a symlink
    ``escape`` through the overlong link, a hard link through it, and members written through it."""
    steps = "abcdefghijklmnop"
    path_max = os.pathconf(destination.parent, "PC_PATH_MAX")
    component = "d" * ((path_max - len(str(destination)) - 1) // (len(steps) + 1))
    members = []
    parent = ""
    for step in steps:
        members.append(entry(os.path.join(parent, component), tarfile.DIRTYPE))
        members.append(entry(os.path.join(parent, step), tarfile.SYMTYPE, component))
        parent = os.path.join(parent, component)
    long_link = os.path.join(*steps, "l" * 254)
    members.append(entry(long_link, tarfile.SYMTYPE, os.path.join(*[".."] * len(steps))))
    members.append(entry("escape", tarfile.SYMTYPE, os.path.join(long_link, "..")))
    members.append(entry("flaglink", tarfile.LNKTYPE, os.path.join("escape", "flag")))
    members.append(entry("flaglink", data=b"overwrite"))
    members.append(entry("escape/newfile", data=b"new"))
    return tar_gz(path, members)


def hardlink_through_symlink(path: Path) -> Path:
    """An inside symlink to a directory, then a hard link and a file whose paths go through it."""
    return tar_gz(
        path,
        [
            entry("model/", tarfile.DIRTYPE),
            entry("model/model.onnx", data=b"onnx"),
            entry("up", tarfile.SYMTYPE, "model/.."),
            entry("steal", tarfile.LNKTYPE, "up/../flag"),
            entry("up/../newfile", data=b"new"),
        ],
    )


def duplicate_names(path: Path) -> Path:
    """Two members with one name (the second would overwrite the first), spelled differently."""
    return tar_gz(path, [entry("model/model.onnx", data=b"good"), entry("model/./model.onnx", data=b"evil")])


def _header(name: str, kind: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT)  # base-256 sizes past 8 GiB


def _repeated_gzip(head: bytes, fill: int, size: int, tail: bytes = b"") -> bytes:
    """A gzip stream of `head`, `size` bytes of `fill`, `tail`: concatenated gzip members, so a
    600 MiB payload costs one 1 MiB compression and a few hundred KB on disk."""
    chunk = gzip.compress(bytes([fill]) * MiB, compresslevel=9)
    whole, rest = divmod(size, MiB)
    parts = [gzip.compress(head), chunk * whole]
    if rest:
        parts.append(gzip.compress(bytes([fill]) * rest))
    parts.append(gzip.compress(tail))
    return b"".join(parts)


def huge_gnu_long_name(path: Path, size: int = 600 * MiB) -> Path:
    """The first header is a GNU long-name header of `size` bytes (tarfile buffers it whole)."""
    tail = b"\0" * (-size % 512) + _header("model.onnx", tarfile.REGTYPE, 0) + b"\0" * 1024
    path.write_bytes(_repeated_gzip(_header("././@LongLink", tarfile.GNUTYPE_LONGNAME, size), ord("a"), size, tail))
    return path


def huge_pax_header(path: Path, size: int = 600 * MiB) -> Path:
    """A PAX header of `size` bytes: one ``path=aaaa...`` record."""
    prefix = f"{size} path=".encode()
    filler = size - len(prefix) - 1
    tail = b"\n" + b"\0" * (-size % 512) + _header("model.onnx", tarfile.REGTYPE, 0) + b"\0" * 1024
    head = _header("././@PaxHeader", tarfile.XHDTYPE, size) + prefix
    path.write_bytes(_repeated_gzip(head, ord("a"), filler, tail))
    return path


def gzip_bomb(path: Path, declared: int = 4 << 30, written: int = 256 * MiB) -> Path:
    """One member declaring `declared` bytes (under the default total limit), of which `written`
    zeros are present: ~1000:1 compression, so at default limits the ratio must stop it."""
    path.write_bytes(_repeated_gzip(_header("model.onnx", tarfile.REGTYPE, declared), 0, written))
    return path


def oversized_member(path: Path, declared: int = 10 << 30) -> Path:
    """One member declaring more than the default 8 GiB total: refused from its header."""
    path.write_bytes(_repeated_gzip(_header("weights.bin", tarfile.REGTYPE, declared), 0, MiB))
    return path
