"""Real media drawn from a prompt, deterministically (the same prompt and size give the same
bytes): a PNG (a two-colour gradient, shapes placed by the prompt's hash, the prompt's text)
and an H.264 MP4 (the same picture with a moving band and the frame's time; PyAV's libx264)."""

from __future__ import annotations

import hashlib
import io
import random
import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _rng(prompt: str, salt: str = "") -> random.Random:
    digest = hashlib.sha256(f"{salt}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError, ValueError):  # Pillow without FreeType
        return ImageFont.load_default()


def picture(prompt: str, width: int, height: int, *, inputs: int = 0) -> Image.Image:
    """The prompt's picture at ``width`` x ``height``: a gradient between two colours of the
    prompt's hash, circles and rectangles placed by it, the prompt in a box near the top
    (and, for an edit, how many input images it was given)."""
    rng = _rng(prompt)
    top, bottom = np.array(_colour(rng), float), np.array(_colour(rng), float)
    ramp = np.linspace(0.0, 1.0, height)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(width, axis=1)
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    for _ in range(rng.randint(3, 7)):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randint(short // 16, short // 4)
        box = (x - r, y - r, x + r, y + r)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_colour(rng))
        else:
            draw.rectangle(box, fill=_colour(rng))
    size = max(12, short // 18)
    font = _font(size)
    words = prompt if not inputs else f"{prompt} (edit of {inputs} image{'s' * (inputs > 1)})"
    lines = textwrap.wrap(words, width=max(8, int(width / (size * 0.55))))[:6] or [" "]
    block = "\n".join(lines)
    left, top_y = width // 16, height // 12
    bbox = draw.multiline_textbbox((left, top_y), block, font=font, spacing=size // 4)
    pad = size // 2
    draw.rectangle((bbox[0] - pad, bbox[1] - pad, bbox[2] + pad, bbox[3] + pad), fill=(0, 0, 0))
    draw.multiline_text((left, top_y), block, font=font, fill=(255, 255, 255), spacing=size // 4)
    return image


def png(prompt: str, width: int, height: int, *, inputs: int = 0) -> bytes:
    out = io.BytesIO()
    picture(prompt, width, height, inputs=inputs).save(out, "PNG", optimize=False)
    return out.getvalue()


def encode(image: Image.Image, fmt: str) -> bytes:
    """The picture as ``png``, ``jpeg`` or ``webp``."""
    out = io.BytesIO()
    image.save(out, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt])
    return out.getvalue()


def mp4(prompt: str, width: int, height: int, seconds: float, fps: int) -> bytes:
    """An H.264 MP4 (yuv420p) of the prompt's picture with a band sweeping down and the
    time drawn on each frame. Sides are rounded to even numbers (H.264's 4:2:0)."""
    import av

    width, height = max(16, width // 2 * 2), max(16, height // 2 * 2)
    base = np.asarray(picture(prompt, width, height))
    frames = max(1, round(seconds * fps))
    band = max(4, height // 20)
    font = _font(max(12, min(width, height) // 12))
    out = io.BytesIO()
    container = av.open(out, "w", format="mp4")
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"preset": "ultrafast", "crf": "30"}
    for index in range(frames):
        frame = base.copy()
        y = int(index / frames * (height - band))
        frame[y : y + band] = 255 - frame[y : y + band]
        image = Image.fromarray(frame, "RGB")
        ImageDraw.Draw(image).text(
            (width // 16, height - height // 8), f"{index / fps:4.1f} s", font=font, fill="white"
        )
        for packet in stream.encode(av.VideoFrame.from_image(image)):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return out.getvalue()
