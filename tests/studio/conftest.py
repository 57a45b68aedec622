"""The AI studio stand-in (one per test process) and, per test, the server's
``studio_providers`` pointing at it (undone after the test: other tests, such as the
schemathesis run, see a server without providers)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from platform_sandbox.ai_studio import AiStudioOptions, AiStudioSandbox, create_app
from platform_sandbox.run import studio_providers
from platform_sandbox.server import RunningServer, serve_in_thread
from slideforge.config import StudioProvider
from slideforge.runtime import Runtime


@dataclass
class StudioEnv:
    sandbox: AiStudioSandbox
    server: RunningServer
    runtime: Runtime


@pytest.fixture(scope="session")
def studio_standin() -> Iterator[tuple[AiStudioSandbox, RunningServer]]:
    sandbox = AiStudioSandbox(
        options=AiStudioOptions(queue_seconds=0.2, render_seconds=0.8, video_fps=8)
    )
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running
    running.stop()


@pytest.fixture
def studio(
    runtime: Runtime,
    studio_standin: tuple[AiStudioSandbox, RunningServer],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[StudioEnv]:
    """The server's studio providers are the stand-in's models (as ``serve --sandbox``
    configures them), for this test."""
    sandbox, running = studio_standin
    sandbox.reset()
    configured = [
        StudioProvider.model_validate(p)
        for p in studio_providers(running.base_url + "/v1", sandbox.options.api_keys[0])
    ]
    monkeypatch.setattr(runtime.settings, "studio_providers", configured)
    yield StudioEnv(sandbox, running, runtime)
