"""A stand-in for OpenAI-compatible images and videos APIs (the AI studio's providers): real
PNG and MP4 bytes drawn from the prompt; see ``state.py`` for what it answers."""

from platform_sandbox.ai_studio.app import create_app
from platform_sandbox.ai_studio.state import (
    AiStudioOptions,
    AiStudioSandbox,
    FailureRule,
    SandboxModel,
)

__all__ = ["AiStudioOptions", "AiStudioSandbox", "FailureRule", "SandboxModel", "create_app"]
