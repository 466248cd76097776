"""Hostile model archives are refused with nothing written outside the destination; outputs are reproducible."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from sagemaker_reconciler.local_compile.archive import (
    ArchiveLimits,
    UnsafeArchive,
    extract_archive,
    sha256_file,
    write_deterministic_tar_gz,
)


def _tar(path: Path, members: list[tarfile.TarInfo], payloads: dict[str, bytes] | None = None) -> Path:
    payloads = payloads or {}
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            data = payloads.get(info.name)
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.REGTYPE
    return info


def _link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def _snapshot(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """(an archive directory, the extraction destination inside a watched parent)."""
    watched = tmp_path / "watched"
    (watched / "dest").mkdir(parents=True)
    (tmp_path / "archives").mkdir()
    return tmp_path / "archives", watched / "dest"


HOSTILE = {
    "dotdot": lambda: ([_file("../escape.txt")], {"../escape.txt": b"x"}),
    "nested_dotdot": lambda: ([_file("model/../../escape.txt")], {"model/../../escape.txt": b"x"}),
    "absolute": lambda: ([_file("/tmp/escape-absolute.txt")], {"/tmp/escape-absolute.txt": b"x"}),
    "symlink_out": lambda: ([_link("model.onnx", "../../outside.onnx")], {}),
    "symlink_absolute": lambda: ([_link("model.onnx", "/etc/passwd")], {}),
    "hardlink_out": lambda: ([_link("model.onnx", "../outside.onnx", hard=True)], {}),
    "device": lambda: ([_device()], {}),
}


def _device() -> tarfile.TarInfo:
    info = tarfile.TarInfo("null")
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_member_is_refused_and_nothing_lands_outside(case, sandbox):
    archives, dest = sandbox
    members, payloads = HOSTILE[case]()
    archive = _tar(archives / f"{case}.tar.gz", members, payloads)
    watched = dest.parent
    before = _snapshot(watched.parent)
    with pytest.raises(UnsafeArchive):
        extract_archive(archive, dest)
    assert _snapshot(watched.parent) == before
    assert not list(dest.iterdir())  # checks run before the first byte is written
    assert not Path("/tmp/escape-absolute.txt").exists()


def test_a_good_member_before_a_bad_one_is_not_extracted_either(sandbox):
    archives, dest = sandbox
    archive = _tar(
        archives / "mixed.tar.gz", [_file("model.onnx"), _file("../evil")], {"model.onnx": b"ok", "../evil": b"x"}
    )
    with pytest.raises(UnsafeArchive):
        extract_archive(archive, dest)
    assert not list(dest.iterdir())


def test_too_many_members(sandbox):
    archives, dest = sandbox
    archive = _tar(archives / "many.tar.gz", [_file(f"f{i}") for i in range(11)], {f"f{i}": b"" for i in range(11)})
    with pytest.raises(UnsafeArchive, match="more than 10 members"):
        extract_archive(archive, dest, ArchiveLimits(max_members=10))
    assert not list(dest.iterdir())


def test_decompression_bomb_is_refused_from_the_headers(sandbox):
    archives, dest = sandbox
    zeros = b"\0" * (4 << 20)  # 4 MiB of zeros compresses to a few KiB
    archive = _tar(archives / "bomb.tar.gz", [_file("a.bin"), _file("b.bin")], {"a.bin": zeros, "b.bin": zeros})
    assert archive.stat().st_size < 64 << 10
    with pytest.raises(UnsafeArchive, match="decompression bomb"):
        extract_archive(archive, dest, ArchiveLimits(max_total_bytes=6 << 20))
    assert not list(dest.iterdir())


def test_oversize_compressed_archive(sandbox):
    archives, dest = sandbox
    archive = _tar(archives / "big.tar.gz", [_file("a")], {"a": b"x" * 1000})
    with pytest.raises(UnsafeArchive, match="larger than"):
        extract_archive(archive, dest, ArchiveLimits(max_compressed_bytes=10))


def test_not_a_tar(sandbox):
    archives, dest = sandbox
    bogus = archives / "bogus.tar.gz"
    bogus.write_bytes(gzip.compress(b"this is not a tar file" * 100))
    with pytest.raises(UnsafeArchive, match="cannot read"):
        extract_archive(bogus, dest)


def test_safe_archive_with_inside_links_extracts(sandbox):
    archives, dest = sandbox
    members = [
        _file("model/model.onnx"),
        _link("model/alias.onnx", "model.onnx"),
        _link("hard.onnx", "model/model.onnx", hard=True),
    ]
    archive = _tar(archives / "ok.tar.gz", members, {"model/model.onnx": b"onnx-bytes"})
    files = extract_archive(archive, dest)
    assert [p.relative_to(dest).as_posix() for p in files] == ["hard.onnx", "model/model.onnx"]
    assert (dest / "model" / "model.onnx").read_bytes() == b"onnx-bytes"
    alias = dest / "model" / "alias.onnx"  # links are written as copies, never as links
    assert not alias.is_symlink() and alias.read_bytes() == b"onnx-bytes"


def test_output_archive_is_deterministic(tmp_path):
    library = tmp_path / "lib.so"
    library.write_bytes(b"\x7fELF fake")
    first = write_deterministic_tar_gz({"model.so": library, "manifest.json": b"{}"}, tmp_path / "a.tar.gz")
    second = write_deterministic_tar_gz({"manifest.json": b"{}", "model.so": library}, tmp_path / "b.tar.gz")
    assert first == second == sha256_file(tmp_path / "a.tar.gz")
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        infos = tar.getmembers()
    assert [i.name for i in infos] == ["manifest.json", "model.so"]
    assert all(i.mtime == 0 and i.uid == 0 and i.gid == 0 for i in infos)
