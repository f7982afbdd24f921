"""A real zoo upload server on 127.0.0.1: hypha (PyPI ``hypha``) with ``moto_server`` as its S3.

    with HyphaZoo.start(workdir) as zoo:
        zoo.url                  # http://127.0.0.1:PORT (hypha)
        zoo.tokens["alice"]      # a user's login token; also "bob", "expired", "wrong_signature"
        zoo.s3_url               # the S3 endpoint (moto)
        zoo.proxy                # the fault proxy in front of it (helpers/s3_proxy.py), or None

Both servers run from their own cached virtual environment (hypha pins pydantic >= 2.14, which
bioimageio.core refuses), built by samzoo's environment builder as the core-version matrix builds
its environments. The zoo's workspace ``bioimage-io`` and collection ``bioimage.io`` are created
with the permissions and animal-name ids of the real zoo. Facts: ../shared/reference/hypha.md.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from helpers.s3_proxy import S3Proxy

REQUIREMENTS = ("hypha[s3]==0.21.137", "moto[server]==5.2.6", "sqlmodel==0.0.44")
ADMIN_SCRIPT = Path(__file__).with_name("hypha_admin.py")
START_TIMEOUT_S = 90


def hypha_env(cache: Path) -> Path:
    """The hypha environment's interpreter (built once under ``cache``)."""
    from samzoo.validate.core_matrix import envs

    saved = os.environ.get("SAMZOO_CACHE_DIR")
    os.environ["SAMZOO_CACHE_DIR"] = str(cache)
    try:
        return envs.ensure_env(REQUIREMENTS).python
    finally:
        if saved is None:
            os.environ.pop("SAMZOO_CACHE_DIR", None)
        else:
            os.environ["SAMZOO_CACHE_DIR"] = saved


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {START_TIMEOUT_S} s: {log.read_text(errors='replace')[-2000:]}")


@dataclass
class HyphaZoo:
    url: str
    s3_url: str
    root_token: str
    tokens: dict[str, str]
    workdir: Path
    procs: list[subprocess.Popen] = field(default_factory=list)
    proxy: S3Proxy | None = None

    @classmethod
    def start(cls, workdir: Path, cache: Path | None = None, proxy: bool = True) -> HyphaZoo:
        """Start moto, (with ``proxy``) the fault proxy in front of it, and hypha; create the zoo's collection."""
        workdir.mkdir(parents=True, exist_ok=True)
        python = hypha_env(cache or workdir / "cache")
        s3_port, port = free_port(), free_port()
        s3_url, url = f"http://127.0.0.1:{s3_port}", f"http://127.0.0.1:{port}"
        env = {**os.environ, "JWT_SECRET": secrets.token_hex(32), "PYTHONUNBUFFERED": "1"}
        root = secrets.token_hex(32)
        zoo = cls(url, s3_url, root, {}, workdir)
        try:
            s3_log = workdir / "moto.log"
            zoo.procs.append(subprocess.Popen([str(python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                                              stdout=s3_log.open("wb"), stderr=subprocess.STDOUT, env=env))
            _wait_ready(f"{s3_url}/moto-api/", zoo.procs[-1], s3_log)
            if proxy:
                zoo.proxy = S3Proxy(s3_url)
            public = zoo.proxy.url if zoo.proxy else s3_url
            log = workdir / "hypha.log"
            zoo.procs.append(subprocess.Popen(
                [str(python), "-m", "hypha.server", "--host", "127.0.0.1", "--port", str(port), "--enable-s3",
                 "--endpoint-url", public, "--endpoint-url-public", public, "--access-key-id", "testing",
                 "--secret-access-key", "testing", "--region-name", "us-east-1", "--workspace-bucket", "hypha-workspaces",
                 "--database-uri", f"sqlite+aiosqlite:///{workdir}/artifacts.db", "--root-token", root],
                stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=workdir))
            _wait_ready(f"{url}/health/readiness", zoo.procs[-1], log)
            out = subprocess.run([str(python), str(ADMIN_SCRIPT), url], env={**env, "HYPHA_ROOT_TOKEN": root},
                                 capture_output=True, text=True, timeout=120, check=True)
            zoo.tokens = json.loads(out.stdout.strip().splitlines()[-1])
        except BaseException:
            zoo.stop()
            raise
        return zoo

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> HyphaZoo:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- reading the server back as an admin (the test's view, not samzoo's) -------------------------

    def call(self, method: str, token: str | None = None, **body):
        """POST one artifact-manager function over HTTP; returns the decoded JSON (raises on HTTP errors)."""
        headers = {"Authorization": f"Bearer {token or self.root_token}"}
        r = requests.post(f"{self.url}/public/services/artifact-manager/{method}", json=body, headers=headers, timeout=60)
        r.raise_for_status()
        return r.json()

    def download(self, artifact_id: str, path: str, stage: bool = True) -> bytes:
        url = self.call("get_file", artifact_id=artifact_id, file_path=path, stage=stage)
        r = requests.get(url, timeout=120)
        r.raise_for_status()
        return r.content
