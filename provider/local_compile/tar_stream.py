"""A bounded reader of tar streams (ustar, GNU and PAX headers), so no header is buffered past its limit.

``tarfile`` reads a whole GNU long-name or PAX header into memory before any
member limit can be looked at (a 600 MiB name in a 2.7 MB archive costs
gigabytes), and its extraction filter has had bypasses.  This reader parses the
512-byte header blocks itself, refuses an extended header larger than
``max_header_bytes`` before reading it, and hands member data out in chunks.
It never touches the file system; ``archive.py`` decides what gets written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["BLOCK", "Readable", "TarMember", "TarFormatError", "TarStream"]


class Readable(Protocol):
    """What the reader needs of a stream: ``read(n)`` (a file, a GzipFile, a metered stream)."""

    def read(self, size: int, /) -> bytes: ...


BLOCK = 512
_CHUNK = 1 << 20
_ZERO_BLOCK = bytes(BLOCK)
_KINDS = {
    b"0": "file",
    b"\0": "file",
    b"7": "file",
    b"1": "hardlink",
    b"2": "symlink",
    b"5": "dir",
    b"3": "character device",
    b"4": "block device",
    b"6": "FIFO",
}
_LONG_NAME, _LONG_LINK, _PAX, _PAX_GLOBAL = b"L", b"K", b"x", b"g"
_EXTENDED = {_LONG_NAME: "GNU long-name", _LONG_LINK: "GNU long-link", _PAX: "PAX", _PAX_GLOBAL: "PAX global"}


class TarFormatError(Exception):
    """The stream is not a tar archive this reader accepts; `member` names where (``member N``; empty: the start)."""

    def __init__(self, member: str, reason: str):
        self.member = member
        self.reason = reason
        super().__init__(f"{member}: {reason}")


@dataclass(frozen=True)
class TarMember:
    index: int
    """1-based position of the member's header in the archive."""
    name: str
    kind: str
    """file, dir, symlink, hardlink, or what else the type flag says (refused by the caller)."""
    size: int
    linkname: str = ""


def _number(field: bytes, what: str, where: str) -> int:
    if field[:1] and field[0] & 0x80:  # GNU base-256
        value = int.from_bytes(field[1:], "big")
        if field[0] & 0x40:
            raise TarFormatError(where, f"negative {what}")
        return value
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise TarFormatError(where, f"the {what} field is not a number") from None


def _text(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TarFormatError(where, "the name is not valid UTF-8") from None


def _checksum_ok(block: bytes) -> bool:
    stored = block[148:156].split(b"\0", 1)[0].strip(b" ")
    try:
        expected = int(stored, 8)
    except ValueError:
        return False
    rest = block[:148] + block[156:]
    unsigned = sum(rest) + 8 * 32
    signed = unsigned - 256 * sum(1 for b in rest if b > 127)  # some old tars summed signed bytes
    return expected in (unsigned, signed)


def _pax_records(payload: bytes, where: str) -> dict[str, str]:
    """``"<len> key=value\\n"`` records; the payload is already bounded by the caller."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(payload):
        if not payload[pos:].strip(b"\0"):
            break
        space = payload.find(b" ", pos, pos + 20)
        try:
            length = int(payload[pos:space]) if space > pos else 0
        except ValueError:
            length = 0
        record = payload[pos : pos + length]
        if length <= 0 or len(record) != length or not record.endswith(b"\n") or b"=" not in record:
            raise TarFormatError(where, "malformed PAX header")
        key, _, value = record[space - pos + 1 : -1].partition(b"=")
        records[_text(key, where)] = _text(value, where)
        pos += length
    return records


class TarStream:
    """Iterate members of an uncompressed tar stream; read each one's data with :meth:`chunks`."""

    def __init__(self, stream: Readable, *, max_header_bytes: int, max_headers: int):
        self._stream = stream
        self._max_header_bytes = max_header_bytes
        self._max_headers = max_headers
        self._headers = 0
        self._pending = 0  # data bytes of the current member not read yet
        self._padding = 0

    def _read(self, size: int, where: str) -> bytes:
        data = self._stream.read(size)
        while len(data) < size:
            more = self._stream.read(size - len(data))
            if not more:
                raise TarFormatError(where, "the archive ends in the middle of a member")
            data += more
        return data

    def _skip_pending(self, where: str) -> None:
        while self._pending:
            self._pending -= len(self._read(min(self._pending, _CHUNK), where))
        if self._padding:
            self._read(self._padding, where)
            self._padding = 0

    def _next_header(self, where: str) -> bytes | None:
        block = self._stream.read(BLOCK)
        if len(block) < BLOCK:
            if block.strip(b"\0"):
                raise TarFormatError(where, "the archive ends in the middle of a header")
            return None  # no end-of-archive marker: accepted, as tar does
        if block == _ZERO_BLOCK:
            return None
        self._headers += 1
        if self._headers > self._max_headers:
            raise TarFormatError(f"member {self._headers}", f"the archive has more than {self._max_headers} members")
        if not _checksum_ok(block):
            if self._headers == 1:
                raise TarFormatError("", "it is not a tar archive")
            raise TarFormatError(f"member {self._headers}", "corrupt header (bad checksum)")
        return block

    def _extended(self, block: bytes, flag: bytes) -> bytes:
        where = f"member {self._headers}"
        size = _number(block[124:136], "size", where)
        if size > self._max_header_bytes:
            raise TarFormatError(
                where, f"a {_EXTENDED[flag]} header of {size} bytes is over the limit of {self._max_header_bytes} bytes"
            )
        payload = self._read(size, where)
        self._read(-size % BLOCK, where)
        return payload

    def __iter__(self) -> Iterator[TarMember]:
        previous = "the start of the archive"
        while True:
            self._skip_pending(previous)
            block = self._next_header(previous)
            if block is None:
                return
            long_name = long_link = None
            pax: dict[str, str] = {}
            while block[156:157] in _EXTENDED:
                flag = block[156:157]
                payload = self._extended(block, flag)
                where = f"member {self._headers}"
                if flag == _LONG_NAME:
                    long_name = _text(payload.split(b"\0", 1)[0], where)
                elif flag == _LONG_LINK:
                    long_link = _text(payload.split(b"\0", 1)[0], where)
                elif flag == _PAX:
                    pax.update(_pax_records(payload, where))
                else:
                    _pax_records(payload, where)  # checked, then ignored: globals never rename members
                block = self._next_header(where)
                if block is None:
                    raise TarFormatError(where, "an extended header is not followed by a member")
            yield self._member(block, long_name, long_link, pax)
            previous = f"member {self._headers}"

    def _member(self, block: bytes, long_name: str | None, long_link: str | None, pax: dict[str, str]) -> TarMember:
        where = f"member {self._headers}"
        name = block[0:100].split(b"\0", 1)[0]
        if block[257:265] == b"ustar\x0000" and block[345:346] != b"\0":
            name = block[345:500].split(b"\0", 1)[0] + b"/" + name
        name_text = pax.get("path", long_name if long_name is not None else _text(name, where))
        where = f"member {name_text!r}" if name_text else where
        flag = block[156:157]
        kind = _KINDS.get(flag, f"type {flag!r}")
        if flag == b"S" or any(key.startswith("GNU.sparse.") for key in pax):
            kind = "sparse file"
        linkname = pax.get(
            "linkpath", long_link if long_link is not None else _text(block[157:257].split(b"\0", 1)[0], where)
        )
        size = _number(block[124:136], "size", where)
        if "size" in pax:
            if not pax["size"].isdigit():
                raise TarFormatError(where, "the PAX size is not a number")
            size = int(pax["size"])
        has_data = kind == "file" or kind not in _KINDS.values()
        self._pending = size if has_data else 0
        self._padding = -self._pending % BLOCK
        return TarMember(self._headers, name_text, kind, size, linkname)

    def chunks(self, member: TarMember) -> Iterator[bytes]:
        """The current member's data, at most 1 MiB at a time."""
        where = f"member {member.name!r}"
        while self._pending:
            data = self._read(min(self._pending, _CHUNK), where)
            self._pending -= len(data)
            yield data
