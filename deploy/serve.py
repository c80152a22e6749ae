"""A course's deployment on one machine: N Streamlit replicas behind nginx (`make serve`).

    .venv/bin/python deploy/serve.py --replicas 2 --port 8501 [--address 0.0.0.0]

Compiles the Numba kernels first (no visitor waits for a compiler), starts the replicas on the
ports after --port, waits until each is healthy, then runs nginx in the foreground with session
affinity and websocket proxying. Meanwhile it trains lesson 12's settings in the background (at
the lowest priority; kept on disk, so only the first start on a machine trains them: a few minutes
of CPU, see optimizers/course_network.py). Ctrl-C stops everything.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def warm_up():
    subprocess.run([sys.executable, "-c", "import optimizers; optimizers.warm_up()"], cwd=ROOT, check=True)


def wait_healthy(url, process, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not become healthy")


def replica_ports(port, replicas):
    """The replicas' own ports: the ones after nginx's."""
    return [port + 1 + k for k in range(replicas)]


@contextlib.contextmanager
def cluster(replicas=2, port=8501, address="127.0.0.1", log=None, precompute=False):
    """The replicas and nginx, running; yields nginx's base URL. precompute: train lesson 12's
    settings meanwhile, in a background process at the lowest priority."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is missing: `make serve` installs it (apt-get install nginx-light)")
    warm_up()
    secret = secrets.token_hex(32)  # one cookie secret for all: a replica accepts another's XSRF cookie
    processes = []
    run = Path(tempfile.mkdtemp(prefix="descent-lab-nginx-"))
    try:
        ports = replica_ports(port, replicas)
        for replica_port in ports:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "app_pages.server", "run", str(ROOT / "app.py"),
                 "--server.port", str(replica_port), "--server.address", "127.0.0.1", "--server.headless", "true",
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                env={**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secret}))
        for replica_port, process in zip(ports, processes):
            wait_healthy(f"http://127.0.0.1:{replica_port}/_stcore/health", process)
        servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
        (run / "nginx.conf").write_text(TEMPLATE.read_text().format(run=run, servers=servers, address=address,
                                                                     port=port))
        processes.append(subprocess.Popen([nginx, "-p", str(run), "-c", str(run / "nginx.conf")], stderr=log))
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", processes[-1])
        if precompute:
            processes.append(subprocess.Popen(["nice", "-n", "19", sys.executable, "-m", "optimizers.course_network"],
                                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log))
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(run, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="0.0.0.0")
    parser.add_argument("--no-precompute", action="store_true", help="leave lesson 12's trainings to the visitors")
    args = parser.parse_args()
    with cluster(args.replicas, args.port, args.address, precompute=not args.no_precompute) as url:
        print(f"Descent Lab: {args.replicas} replicas behind nginx at {url} (Ctrl-C stops them)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
