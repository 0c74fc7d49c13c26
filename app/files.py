"""Private files (JWT signing keys, wallet keys): written so that nobody else can read them, checked before use.

Writing: the content goes to a new temporary file in the same directory, created exclusively (O_EXCL, never
through a symlink, mode 0600 from the first byte: tempfile.mkstemp), synced to disk, then renamed over the
target, and the directory synced: a reader sees the old file or the new one, never half of one. A target that
is a symlink is refused rather than followed (the keys would land wherever it points).

Reading: a private file that others can read is refused, as PostgreSQL and OpenSSH refuse a readable private
key. The one exception is PostgreSQL's: a file owned by root may be readable by its group, which is how
Kubernetes mounts a Secret for a non-root container (root:<fsGroup>, mode 0440).
"""

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class PrivateFileError(OSError):
    """A private file that cannot be written or used safely; the message says why."""


def write_private_file(path: Path, content: str, *, replace: bool = True) -> None:
    """Write `content` to `path` atomically with mode 0600; with replace=False, refuse an existing `path`."""
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise PrivateFileError(f"{path} is a symbolic link: refusing to write keys through it")
        if not replace:
            raise PrivateFileError(f"{path} exists: refusing to overwrite it")
    except FileNotFoundError:
        pass
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if `path` appeared meanwhile, unlike a rename
            os.unlink(temporary)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


def readable_by_others(path: Path) -> str | None:
    """Why others can read this private file, or None if only its owner can (or root's group, see above)."""
    status = os.stat(path)
    mode = stat.S_IMODE(status.st_mode)
    if mode & stat.S_IRWXO:
        return f"{path} is readable by others (mode {mode:04o}): chmod 600 it"
    if mode & stat.S_IRWXG and status.st_uid != 0:
        return f"{path} is readable by its group (mode {mode:04o}) and not owned by root: chmod 600 it"
    return None
