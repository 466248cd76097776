"""``file://`` locations of local-mode jobs, parsed as URIs and checked before anything is read or written.

Pure checks (no file system) except ``local_path``, which resolves symlinks on disk.

Allowed (README, "Local-compile mode"):

- ``file:///absolute/path``: an empty host, then an absolute path;
- ``file://./relative``, ``file://../x``, ``file://.name/x``: a path relative to the working directory
  (an authority that starts with ``.`` cannot be a host name, so it is read as the path's start);
- ``file://~/x``: under the home directory.

Refused: any other host part (``file://server/share/...`` names another machine, and ``file://models/x``
is a relative path written by mistake), an empty path, NUL bytes; for an *output* location also the
root directory and system directories (``/etc``, ``/proc``, ``/sys``, ``/dev``, ``/usr``, ``/boot``,
``/run``, ``/bin``, ``/sbin``, ``/lib*``), and for an *input* the kernel's pseudo-file systems
(``/proc``, ``/sys``, ``/dev``), whose files are not models and may never end. Paths are taken
literally (no percent-decoding), as the rest of this project always has.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

__all__ = [
    "FILE_SCHEME",
    "is_file_uri",
    "file_uri_path",
    "check_file_uri",
    "local_path",
    "SYSTEM_DIRECTORIES",
    "PSEUDO_FILE_SYSTEMS",
]

FILE_SCHEME = "file://"
SYSTEM_DIRECTORIES = (
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/usr",
    "/boot",
    "/run",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/var/run",
)
PSEUDO_FILE_SYSTEMS = ("/proc", "/sys", "/dev")


def is_file_uri(uri: str) -> bool:
    return uri.startswith(FILE_SCHEME)


def file_uri_path(uri: str) -> str:
    """The path a ``file://`` URI names, as written (``~`` and relative paths not resolved); ValueError if none."""
    rest = uri[len(FILE_SCHEME) :]
    authority, slash, _ = rest.partition("/")
    if "\0" in rest:
        raise ValueError("a file:// location cannot contain a NUL byte")
    if authority == "":
        if not slash:
            raise ValueError("file:// needs a path: file:///absolute/path or file://./relative/path")
        return rest
    if authority.startswith(".") or authority == "~":
        return rest
    raise ValueError(
        f"file:// locations take no host part (found {authority!r}): write file:///absolute/path, "
        f"or file://./{rest} for a path relative to the working directory"
    )


def _under(path: str, roots: tuple[str, ...]) -> str | None:
    return next((root for root in roots if path == root or path.startswith(root + "/")), None)


def check_file_uri(uri: str, *, output: bool) -> str:
    """`uri` if it is an allowed location (see the module docstring), else ValueError saying why."""
    path = file_uri_path(uri)
    if not path.startswith("/"):
        return uri  # relative or under ~: resolved, and checked again, where it is used
    normal = posixpath.normpath(path)
    normal = "/" + normal.lstrip("/")  # POSIX keeps a leading "//"; it is still the root
    if output and normal == "/":
        raise ValueError("the root directory is not an output location: name a directory for the artifacts")
    system = _under(normal, SYSTEM_DIRECTORIES if output else PSEUDO_FILE_SYSTEMS)
    if system:
        what = "a system directory" if output else "a kernel pseudo-file system"
        raise ValueError(f"{system} is {what}: local mode does not {'write' if output else 'read models'} there")
    return uri


def local_path(uri: str, *, output: bool) -> Path:
    """The absolute path of an allowed ``file://`` location, symlinks resolved, checked again once resolved
    (``file:///tmp/link`` pointing at ``/etc`` is ``/etc``). ValueError when it is not allowed."""
    check_file_uri(uri, output=output)
    path = Path(file_uri_path(uri)).expanduser().resolve()
    check_file_uri(FILE_SCHEME + str(path), output=output)
    return path
