"""Property: whatever the member list (``..``, absolute names, links, duplicates, mixed types), extraction either
refuses with UnsafeArchive naming a member and leaves the destination empty, or writes only regular files and
directories inside it. Nothing outside changes, and no link is ever created."""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagemaker_reconciler.local_compile.archive import UnsafeArchive, extract_archive
from tests.hostile.child import snapshot

components = st.sampled_from(["a", "b", "model.onnx", "..", ".", "", "escape"])
paths = st.builds(
    lambda lead, parts: lead + "/".join(parts),
    st.sampled_from(["", "", "", "/", "./", "../"]),
    st.lists(components, min_size=1, max_size=4),
)
KINDS = [
    tarfile.REGTYPE,
    tarfile.REGTYPE,
    tarfile.DIRTYPE,
    tarfile.SYMTYPE,
    tarfile.LNKTYPE,
    tarfile.FIFOTYPE,
    tarfile.CHRTYPE,
]
members = st.lists(st.tuples(paths, st.sampled_from(KINDS), paths, st.binary(max_size=16)), min_size=1, max_size=8)


def _archive(entries: list[tuple[str, bytes, str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link, data in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members)
def test_extraction_refuses_or_writes_only_regular_files_inside_the_root(entries):
    root = Path(tempfile.mkdtemp(prefix="tar-property-"))
    try:
        (root / "outside.txt").write_text("untouched")
        (root / "escape").mkdir()
        dest = root / "jail" / "dest"
        dest.mkdir(parents=True)
        archive = root / "model.tar.gz"
        archive.write_bytes(_archive(entries))
        before = snapshot(root, skip=(dest,))
        try:
            files = extract_archive(archive, dest)
        except UnsafeArchive as exc:
            assert str(exc).startswith(("model archive member ", "cannot read the model archive")), str(exc)
            assert list(dest.iterdir()) == []
        else:
            for path in dest.rglob("*"):
                assert not path.is_symlink() and (path.is_file() or path.is_dir()), path
                assert path.resolve().is_relative_to(dest.resolve())
            assert all(p.is_file() and p.resolve().is_relative_to(dest.resolve()) for p in files)
        assert snapshot(root, skip=(dest,)) == before
    finally:
        shutil.rmtree(root)
