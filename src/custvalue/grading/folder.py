"""Output folders written whole or not at all, checked when read back.

:func:`write_folder` writes every file of an output folder into a temporary folder beside
it, adds ``checksums.json`` (SHA-256 and size of every other file), and swaps it into place
with one atomic rename (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames).
A run killed at any point leaves either the old complete folder or the new one; files of
an earlier run that the new one does not write are gone.  A lock file beside the folder
keeps a second writer out (a lock left by a killed process is taken over).  It refuses the
filesystem root, and a non-empty folder that is not an output of custvalue unless
``force=True``.

:func:`verify_folder` checks a folder against its ``checksums.json``: a tampered, truncated
or missing file is an :class:`~custvalue.errors.InputError` naming the file.

Examples
--------
>>> import tempfile, pathlib
>>> base = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_folder(base / "out", {"a.txt": b"hello"})
>>> sorted(p.name for p in (base / "out").iterdir())
['a.txt', 'checksums.json']
>>> verify_folder(base / "out")
['a.txt']
>>> _ = (base / "out" / "a.txt").write_bytes(b"hellO")
>>> verify_folder(base / "out")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
custvalue.errors.InputError: table 'grading', column 'a.txt': not a valid grading: ...
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from custvalue.errors import InputError
from custvalue.grading.contract import MANIFEST_FILE

__all__ = ["CHECKSUMS_FILE", "verify_folder", "write_folder"]

#: The file that lists the SHA-256 and size of every other file of an output folder.
CHECKSUMS_FILE = "checksums.json"
_MARKERS = (CHECKSUMS_FILE, MANIFEST_FILE)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Lock:
    """An exclusive lock file beside the target (``.<name>.lock`` holding the pid)."""

    def __init__(self, target: Path) -> None:
        self.path = target.parent / f".{target.name}.lock"

    def __enter__(self) -> _Lock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text() or "0")
                except (OSError, ValueError):
                    pid = 0
                if pid and _pid_alive(pid) and pid != os.getpid():
                    raise InputError(
                        "output", None, f"another custvalue run (pid {pid}) is writing "
                        f"{self.path.parent / self.path.name[1:-5]}",
                        fix=f"wait for it to finish (or remove {self.path} if it is gone)"
                    ) from None
                self.path.unlink(missing_ok=True)  # left by a killed run
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return self
        raise InputError("output", None, f"cannot take the lock {self.path}",
                         fix="remove the lock file if no custvalue run is writing")

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where unsupported."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b),
                     rename_exchange) == 0


def _clean_leftovers(target: Path) -> None:
    """Temporary folders of killed runs (``.<name>.tmp-<pid>-*`` of a dead pid)."""
    for path in target.parent.glob(f".{target.name}.*-*"):
        parts = path.name[len(target.name) + 2:].split("-")
        if len(parts) >= 2 and parts[0] in ("tmp", "old") and parts[1].isdigit() and (
                not _pid_alive(int(parts[1])) or int(parts[1]) == os.getpid()):
            shutil.rmtree(path, ignore_errors=True)


def _guard(target: Path, force: bool) -> None:
    resolved = target.resolve()
    if resolved == Path(resolved.anchor):
        raise InputError("output", None, f"refusing to write into the filesystem root "
                         f"({target})", fix="name a folder of its own, e.g. --out grading")
    if resolved == Path.home().resolve():
        raise InputError("output", None, f"refusing to write into the home folder ({target})",
                         fix="name a folder of its own, e.g. --out grading")
    if target.exists() and not target.is_dir():
        raise InputError("output", None, f"{target} is a file, not a folder",
                         fix="name a folder")
    if target.is_dir() and any(target.iterdir()) and not force and not any(
            (target / m).exists() for m in _MARKERS):
        raise InputError("output", None, f"{target} is not empty and is not an output of "
                         "custvalue: its files would be replaced",
                         fix="name a new or empty folder, or pass --force (force=True)")


def write_folder(target: str | Path, files: dict[str, bytes], *, force: bool = False) -> Path:
    """Write ``files`` (name -> bytes; names may contain ``/``) as the folder ``target``.

    The folder is replaced as a whole (see the module docstring) and gets
    ``checksums.json``.

    Raises
    ------
    custvalue.errors.InputError
        The root or home folder, a non-empty foreign folder without ``force``, or a
        concurrent writer.
    """
    out = Path(target)
    _guard(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _Lock(out):
        _clean_leftovers(out)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-{os.getpid()}-"))
        try:
            sums = {}
            for name, data in sorted(files.items()):
                path = tmp / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                sums[name] = {"sha256": _digest(data), "bytes": len(data)}
            (tmp / CHECKSUMS_FILE).write_text(json.dumps(sums, indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")
            os.chmod(tmp, 0o755)
            if not out.exists():
                os.replace(tmp, out)
            elif _exchange(tmp, out):
                shutil.rmtree(tmp)  # now the old folder
            else:  # pragma: no cover - non-Linux: two renames
                old = Path(tempfile.mkdtemp(dir=out.parent,
                                            prefix=f".{out.name}.old-{os.getpid()}-"))
                os.rmdir(old)
                os.replace(out, old)
                os.replace(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return out


def verify_folder(folder: str | Path) -> list[str]:
    """Check every file listed in ``checksums.json``; return the names checked.

    A folder without ``checksums.json`` (written before custvalue 0.x added it) is not
    checked and gives ``[]``.

    Raises
    ------
    custvalue.errors.InputError
        ``not a valid grading``, naming the file that is missing, truncated or changed.
    """
    base = Path(folder)
    listing = base / CHECKSUMS_FILE
    if not listing.exists():
        return []
    try:
        sums = json.loads(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError("grading", CHECKSUMS_FILE, f"not a valid grading: {listing} cannot "
                         f"be read ({exc})", fix="grade again") from None
    for name, entry in sums.items():
        path = base / name
        if not path.exists():
            raise InputError("grading", name, f"not a valid grading: {path} is missing",
                             fix="grade again (the folder is incomplete)")
        data = path.read_bytes()
        if len(data) != entry.get("bytes") or _digest(data) != entry.get("sha256"):
            raise InputError("grading", name, f"not a valid grading: {path} does not match "
                             "its checksum (changed or truncated since it was written)",
                             fix="grade again, or restore the folder from a snapshot")
    return sorted(sums)
