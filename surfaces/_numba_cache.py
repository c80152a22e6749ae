"""Where Numba keeps compiled kernels: a writable folder named after the kernel sources' digest.

Numba's cache does not notice an edited helper in another file (numba#1833); keying the folder on
the contents of both kernel files means an edit can never pair new code with a stale binary.
"""

import hashlib
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_FILES = (ROOT / "surfaces" / "_kernels.py", ROOT / "optimizers" / "_kernels.py")


def configure():
    """Set NUMBA_CACHE_DIR (unless the deployment set it) before Numba is first imported."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in KERNEL_FILES)).hexdigest()[:12]
    for base in (ROOT / ".numba_cache", Path(tempfile.gettempdir()) / "descent-lab-numba"):
        folder = base / digest
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
            return
