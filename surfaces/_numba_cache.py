"""Where Numba keeps compiled kernels: a writable folder named after the kernel sources' digest.

Numba's cache does not notice an edited helper in another file (numba#1833); keying the folder on
the contents of both kernel files means an edit can never pair new code with a stale binary. A
deployment with nothing writable (read-only code, temporary folders and home) still serves every
page: the kernels then compile in memory, once per process, and the log says so.
"""

import hashlib
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_FILES = (ROOT / "surfaces" / "_kernels.py", ROOT / "optimizers" / "_kernels.py")
LOG = logging.getLogger("descent_lab")
ENABLED = True  # False: no writable folder anywhere, so the kernels are compiled without a disk cache


def _writable(folder):
    """Can we create `folder` and write a file in it? (A real write: permission bits say nothing
    of read-only mounts, and nothing at all to root.)"""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _candidates(digest, name="numba"):
    yield ROOT / f".{name}_cache" / digest
    try:
        yield Path(tempfile.gettempdir()) / f"descent-lab-{name}" / digest
    except (OSError, FileNotFoundError):  # "No usable temporary directory"
        pass
    yield Path.home() / ".cache" / f"descent-lab-{name}" / digest


DIGEST_LENGTH = 12  # hexadecimal digits of a results folder's name


def digest(files):
    """A folder name for results of these source files: any edit to them is another folder."""
    return hashlib.sha1(b"".join(Path(p).read_bytes() for p in files)).hexdigest()[:DIGEST_LENGTH]


def writable_folder(name, files):
    """The first writable of the code folder, the temporary folder and ~/.cache for results named
    `name` of the code in `files` (keyed on their contents); None when nothing is writable."""
    key = digest(files)
    return next((folder for folder in _candidates(key, name) if _writable(folder)), None)


def prune_others(folder):
    """Remove the results of other versions of the code beside `folder` (the folders named like a
    digest): each edit of the sources leaves one behind, and nothing reads it again. A process of
    another version still running beside this one loses nothing it needs: what it finds missing, it
    computes again. Returns how many were removed."""
    removed = 0
    for other in folder.parent.iterdir():
        if other != folder and other.is_dir() and re.fullmatch(f"[0-9a-f]{{{DIGEST_LENGTH}}}", other.name):
            shutil.rmtree(other, ignore_errors=True)
            removed += 1
    return removed


def configure():
    """Choose NUMBA_CACHE_DIR before Numba is first imported: the deployment's own when it is
    writable, else the first writable of the code folder, the temporary folder and ~/.cache; with
    none, switch the disk cache off (ENABLED = False)."""
    global ENABLED
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        if _writable(Path(given)):
            return
        LOG.warning("NUMBA_CACHE_DIR=%s is not writable; looking for another folder", given)
    folder = writable_folder("numba", KERNEL_FILES)
    if folder is not None:
        os.environ["NUMBA_CACHE_DIR"] = str(folder)
        return
    os.environ.pop("NUMBA_CACHE_DIR", None)
    ENABLED = False
    LOG.warning("no writable folder for Numba's cache: the kernels compile in memory in each process "
                "(about 12 s at start-up); set NUMBA_CACHE_DIR to a writable folder to keep them")
