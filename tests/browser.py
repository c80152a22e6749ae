"""A real Streamlit server and Debian's Chromium, shared by the browser tests and bench/shoot.py."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port, script=ROOT / "app.py", options=()):
    """How to start `streamlit run` on a loopback port."""
    return [sys.executable, "-m", "app_pages.server", "run", str(script), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *options]


@contextlib.contextmanager
def served(timeout=90, script=ROOT / "app.py", wrap=None, env=None, options=(), log=None, process_out=None):
    """`streamlit run app.py` on a free loopback port; yields the base URL, stops it afterwards.
    wrap(command) may put the command inside another (e.g. a mount namespace); env replaces the
    environment; log, a file, receives the server's stderr (else it is kept for errors);
    process_out, a list, receives the server's Popen (for its pid)."""
    port = free_port()
    command = server_command(port, script, options)
    log = log or tempfile.TemporaryFile()  # a file, not a pipe: a chatty server never blocks on it
    process = subprocess.Popen(wrap(command) if wrap else command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=log, env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"})
    if process_out is not None:
        process_out.append(process)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError("streamlit exited: " + log.read().decode(errors="replace")[-2000:])
                if time.time() > deadline:
                    raise TimeoutError("streamlit did not become healthy")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
