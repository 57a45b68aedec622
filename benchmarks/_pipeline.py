"""Shared harness of the publish-path benchmarks: a TikTok API sandbox in this process, a
slideforge API process (no workers) and worker processes on a fresh database (SQLite or
PostgreSQL), a workspace with N connected TikTok accounts, one uploaded slide."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from PIL import Image

from platform_sandbox.server import RunningServer, free_port, serve_in_thread
from platform_sandbox.tiktok_api import SandboxApp, SandboxOptions, TikTokSandbox
from platform_sandbox.tiktok_api import create_app as tiktok_app
from slideforge.config import Settings
from slideforge.migrations import upgrade
from slideforge.runtime import Runtime, build_runtime

API = "/api/partner/v1"


def postgres_url(name: str) -> str:
    """A fresh database on the local PostgreSQL (SLIDEFORGE_TEST_POSTGRES_URL's server)."""
    import psycopg
    import sqlalchemy as sa

    base = sa.engine.make_url(
        os.environ.get(
            "SLIDEFORGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


@dataclass
class Pipeline:
    data_dir: Path
    database_url: str
    sandbox: TikTokSandbox
    sandbox_server: RunningServer
    port: int
    env: dict[str, str]
    runtime: Runtime
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    key: str = ""
    accounts: list[str] = field(default_factory=list)
    slide_url: str = ""
    logs: list[Any] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base + API,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            timeout=120,
        )

    def _spawn(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        return subprocess.Popen(
            [sys.executable, "-m", "slideforge.cli", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_api(self, *, workers: bool = False) -> None:
        """The API process; ``workers=True`` is the embedded mode (queues in this process)."""
        args = ["serve", "--port", str(self.port)] + ([] if workers else ["--no-workers"])
        self.api = self._spawn(*args, name="api")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the API did not start; see {self.data_dir / 'api.log'}")

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn("worker", name=f"worker-{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> None:
        for proc in [*self.workers, *([self.api] if self.api else [])]:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.sandbox_server.stop()
        self.sandbox.close()
        self.runtime.db.dispose()
        for log in self.logs:
            log.close()

    def connect_accounts(self, count: int) -> None:
        """Creators in the sandbox, authorised, as accounts of the workspace."""
        from slideforge.accounts import service as accounts
        from slideforge.accounts.tokens import store_tokens
        from slideforge.auth import service as auth
        from slideforge.publishing.platforms.base import TokenSet

        now = datetime.now(UTC)
        with self.runtime.db.session() as session:
            workspace = auth.create_workspace(session, f"bench-{uuid.uuid4().hex[:8]}")
            _, self.key = auth.create_key(session, workspace)
            for i in range(count):
                open_id = f"bench-{i}-{uuid.uuid4().hex[:6]}"
                self.sandbox.add_user(open_id=open_id, username=f"bench{i}")
                body = self.sandbox.issue_tokens(open_id)
                row = accounts.create_account(
                    session,
                    workspace.id,
                    platform="tiktok",
                    username=f"bench{i}",
                    platform_user_id=open_id,
                )
                store_tokens(
                    self.runtime,
                    row,
                    TokenSet(
                        access_token=body["access_token"],
                        access_expires_at=now + timedelta(seconds=int(body["expires_in"])),
                        refresh_token=body["refresh_token"],
                        refresh_expires_at=now + timedelta(days=365),
                        scopes=body["scope"],
                    ),
                )
                self.accounts.append(str(row.id))

    def upload_slide(self) -> None:
        image = Image.new("RGB", (1080, 1920), (30, 120, 200))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        with self.client() as client:
            created = client.post("/files", json={"contentType": "image/jpeg"}).json()["data"]
        httpx.put(
            created["uploadUrl"], content=buffer.getvalue(), headers={"Content-Type": "image/jpeg"}
        )
        self.slide_url = created["url"]


def build(database: str, *, fast: bool = True) -> Pipeline:
    data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"slideforge-bench-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir(parents=True)
    if database == "postgres":
        database_url = postgres_url(f"slideforge_bench_{uuid.uuid4().hex[:8]}")
    else:
        database_url = f"sqlite:///{data_dir / 'slideforge.sqlite'}"
    port = free_port()
    sandbox = TikTokSandbox(
        app=SandboxApp(
            client_key="bench-client",
            client_secret="bench-secret",
            redirect_uris=[f"http://127.0.0.1:{port}/oauth/tiktok/callback"],
            verified_url_prefixes=[f"http://127.0.0.1:{port}/media/"],
            allow_loopback_url_prefixes=True,
        ),
        options=SandboxOptions(
            download_seconds=0.05 if fast else 1.0,
            processing_seconds=0.05 if fast else 1.0,
            moderation_seconds=0.1 if fast else 2.0,
            video_list_delay_seconds=1.0 if fast else 3.0,
        ),
    )
    sandbox_server = serve_in_thread(tiktok_app(sandbox))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDEFORGE_")}
    env.update(
        {
            "SLIDEFORGE_DATA_DIR": str(data_dir),
            "SLIDEFORGE_DATABASE_URL": database_url,
            "SLIDEFORGE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SLIDEFORGE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SLIDEFORGE_TIKTOK_CLIENT_KEY": "bench-client",
            "SLIDEFORGE_TIKTOK_CLIENT_SECRET": "bench-secret",
            "SLIDEFORGE_TIKTOK_API_BASE_URL": sandbox_server.base_url,
            "SLIDEFORGE_TIKTOK_AUTHORIZE_URL": sandbox_server.base_url + "/v2/auth/authorize/",
            "SLIDEFORGE_RATE_LIMIT_PER_MINUTE": "100000",
            "SLIDEFORGE_RATE_LIMIT_BURST": "100000",
            "SLIDEFORGE_LOG_LEVEL": "WARNING",
            # Reconciliation of unknown outcomes on the sandbox's time scale: sends finish
            # within seconds, and the video list shows a post 1 s after it is published.
            "SLIDEFORGE_RECONCILE_SEND_WINDOW_SECONDS": "5" if fast else "30",
            "SLIDEFORGE_RECONCILE_LIST_DELAY_SECONDS": "4" if fast else "10",
            "SLIDEFORGE_RECONCILE_READ_INTERVAL_SECONDS": "1" if fast else "5",
        }
    )
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        encryption_key=env["SLIDEFORGE_ENCRYPTION_KEY"],
        public_base_url=env["SLIDEFORGE_PUBLIC_BASE_URL"],
    )
    upgrade(settings.resolved_database_url)
    runtime = build_runtime(settings)
    return Pipeline(data_dir, database_url, sandbox, sandbox_server, port, env, runtime)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def target_rows(pipeline: Pipeline) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from slideforge.models import Post, PostTarget

    with pipeline.runtime.db.session() as session:
        rows = session.execute(
            sa.select(
                Post.caption,
                Post.status,
                PostTarget.status,
                PostTarget.scheduled_for,
                PostTarget.last_attempted_at,
                PostTarget.attempt,
                PostTarget.error_code,
                PostTarget.progress,
            ).join(PostTarget, PostTarget.post_id == Post.id)
        )
        return [
            {
                "caption": caption,
                "post_status": post_status,
                "status": status,
                "scheduled_for": scheduled,
                "attempted": attempted,
                "attempt": attempt,
                "error": error,
                # Reconciliation of an unknown outcome: attempt, rounds, state, decision.
                "reconcile": (progress or {}).get("reconcile"),
            }
            for caption, post_status, status, scheduled, attempted, attempt, error, progress in rows
        ]
