from __future__ import annotations

from collections.abc import Iterator

import pytest

from slideforge.runtime import Runtime
from tests.slideshows.support import FakeModel, fake_model


@pytest.fixture
def model(runtime: Runtime) -> Iterator[FakeModel]:
    """A fake OpenAI-compatible model configured for this test (no API key)."""
    yield from fake_model(runtime)


@pytest.fixture
def no_model(runtime: Runtime) -> Iterator[None]:
    """No AI endpoint configured for this test."""
    saved = runtime.settings.ai_base_url
    runtime.settings.ai_base_url = None
    yield
    runtime.settings.ai_base_url = saved
