"""Slide texts from an OpenAI-compatible chat completions endpoint (``SLIDEFORGE_AI_BASE_URL``,
``SLIDEFORGE_AI_API_KEY``, ``SLIDEFORGE_AI_MODEL``). Without one, AI calls answer
``422 ai_not_configured``: the server never invents text.

The endpoint is the operator's (configuration, not user input), so it is called with plain
httpx, like the vision model of pack metadata. No database work happens here: callers end
their transaction before calling."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from slideforge.config import Settings
from slideforge.kit.errors import ApiError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60.0
MAX_TEXT = 2000


SERVER_SETTINGS = (
    "AI text generation is not configured on this server: the operator sets "
    "SLIDEFORGE_AI_BASE_URL (an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1) and, "
    "if it needs them, SLIDEFORGE_AI_API_KEY and SLIDEFORGE_AI_MODEL"
)
#: What each AI call can do instead, named in its ``ai_not_configured`` answer.
GENERATE = (
    "or, without AI, send skip_ai: true with slide_config.slide_texts (one list of texts "
    "per slide) to write the texts yourself"
)
REGENERATE = (
    "or, without AI, change this slide's texts yourself with PATCH /slideshows/{id} "
    "(slides[].text_elements[].content)"
)


def not_configured(instead: str) -> ApiError:
    """``instead``: what the caller of *this* call can send instead (GENERATE, REGENERATE)."""
    return ApiError("ai_not_configured", f"{SERVER_SETTINGS}; {instead}.", 422)


def require_configured(settings: Settings, instead: str) -> None:
    if not settings.ai_base_url:
        raise not_configured(instead)


def _failed(detail: str, instead: str) -> ApiError:
    return ApiError(
        "ai_failed",
        f"The AI model did not give usable slide texts ({detail}); try again, {instead}.",
        502,
    )


@dataclass(frozen=True)
class Brief:
    """What the texts are about."""

    prompt: str | None
    language: str
    slideshow_type: str
    product: dict[str, str | None] | None = None

    def describe(self) -> str:
        lines = []
        if self.prompt:
            lines.append(f"Topic: {self.prompt}")
        if self.product:
            lines.append(
                "Product to feature: "
                + "; ".join(f"{k}: {v}" for k, v in self.product.items() if v)
            )
        kind = (
            "educational (teach something useful, one idea per slide)"
            if self.slideshow_type == "educational"
            else "personal (a first-person story or experience)"
        )
        lines.append(f"Style: {kind}")
        lines.append(f"Language of every text: {self.language}")
        return "\n".join(lines)


SYSTEM = (
    "You write text for TikTok photo slideshows. Slide 1 is the hook that makes people "
    "swipe; the other slides deliver on it. Keep each text short enough to read in two "
    "seconds (at most about 25 words), no hashtags, no emojis unless the topic asks for them, "
    "no slide numbers. Answer with JSON only."
)


def _complete(settings: Settings, user: str, instead: str) -> dict[str, Any]:
    base = settings.ai_base_url
    if not base:
        raise not_configured(instead)
    headers = {"Authorization": f"Bearer {settings.ai_api_key}"} if settings.ai_api_key else {}
    try:
        response = httpx.post(
            base.rstrip("/") + "/chat/completions",
            headers=headers,
            json={
                "model": settings.ai_model,
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": user},
                ],
                "response_format": {"type": "json_object"},
                "temperature": 0.8,
            },
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        log.warning("AI call failed: %s", exc)
        raise _failed(f"the endpoint could not be reached: {type(exc).__name__}", instead) from exc
    if response.status_code >= 400:
        log.warning("AI call answered %s: %s", response.status_code, response.text[:300])
        raise _failed(f"the endpoint answered HTTP {response.status_code}", instead)
    try:
        content = response.json()["choices"][0]["message"]["content"]
        return _parse_json(str(content))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _failed("the answer was not the JSON asked for", instead) from exc


def _parse_json(content: str) -> dict[str, Any]:
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValueError("not an object")
    return parsed


def _texts(value: Any, count: int) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) < count:
        raise ValueError("too few texts")
    texts = [str(v).strip()[:MAX_TEXT] for v in value[:count]]
    if any(not t for t in texts):
        raise ValueError("empty text")
    return texts


@dataclass(frozen=True)
class GeneratedTexts:
    title: str
    slides: dict[int, list[str]]


def generate_texts(
    settings: Settings, brief: Brief, *, slide_count: int, slots: dict[int, int]
) -> GeneratedTexts:
    """A title and, for each slide index in ``slots``, that many texts (one per text element
    of the slide: a headline and a detail, say)."""
    wanted = "\n".join(
        f"- slide {i + 1}: {n} text{'s' if n > 1 else ''}" for i, n in sorted(slots.items())
    )
    user = (
        f"{brief.describe()}\n\nThe slideshow has {slide_count} slides. Write the texts for:\n"
        f"{wanted}\n\n"
        'Answer as {"title": "<a short title for the slideshow>", "slides": '
        '[{"slide": <slide number>, "texts": ["<text>", …]}, …]}.'
    )
    answer = _complete(settings, user, GENERATE)
    try:
        by_number: dict[int, Any] = {}
        for item in answer.get("slides") or []:
            if isinstance(item, dict) and isinstance(item.get("slide"), int):
                by_number[item["slide"]] = item.get("texts")
        texts = {i: _texts(by_number.get(i + 1), n) for i, n in slots.items()}
    except ValueError as exc:
        raise _failed(f"the answer did not have the texts of every slide: {exc}", GENERATE) from exc
    title = str(answer.get("title") or "").strip()[:200] or (brief.prompt or "Slideshow")[:200]
    return GeneratedTexts(title=title, slides=texts)


def regenerate_slide(
    settings: Settings,
    brief: Brief,
    *,
    slide_index: int,
    slide_texts: list[list[str]],
    instruction: str | None,
) -> list[str]:
    """New texts for one slide (as many as it has now), seeing the whole slideshow."""
    current = slide_texts[slide_index]
    outline = "\n".join(
        f"slide {i + 1}: " + " / ".join(texts) for i, texts in enumerate(slide_texts)
    )
    user = (
        f"{brief.describe()}\n\nThe slideshow now reads:\n{outline}\n\n"
        f"Rewrite slide {slide_index + 1} ({len(current)} "
        f"text{'s' if len(current) > 1 else ''}), keeping it consistent with the others."
        + (f"\nInstruction: {instruction}" if instruction else "")
        + '\n\nAnswer as {"texts": ["<text>", …]}.'
    )
    answer = _complete(settings, user, REGENERATE)
    try:
        return _texts(answer.get("texts"), len(current))
    except ValueError as exc:
        raise _failed(f"the answer did not have {len(current)} texts: {exc}", REGENERATE) from exc
