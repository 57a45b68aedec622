"""The images of a pin being created, without state: decoding a base64 source, fetching or
decoding an image and checking it is a usable picture, and the shape rule of multi-image
pins."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any

from PIL import Image

from platform_sandbox.common import fetch_media, sniff_image
from platform_sandbox.pinterest.config import IMAGE_FORMATS, PinterestOptions
from platform_sandbox.pinterest.errors import PinterestError, invalid
from platform_sandbox.pinterest.records import ImageInfo


def base64_source(source: Mapping[str, Any], where: str) -> tuple[str, bytes]:
    content_type = source.get("content_type")
    if content_type not in ("image/jpeg", "image/png"):
        raise invalid(
            f"Invalid request: {content_type!r} is not one of ['image/jpeg', 'image/png'] "
            f"(field: {where}content_type)"
        )
    data = source.get("data")
    if not isinstance(data, str) or not data:
        raise invalid(f"Invalid request: 'data' is a required property (field: {where}data)")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid(f"Invalid request: {where}data is not valid base64") from exc
    return str(content_type), decoded


def load_image(item: tuple[str, Any], options: PinterestOptions) -> ImageInfo:
    """Fetch or decode one image (outside the lock) and check it is a usable picture."""
    kind, value = item
    if kind == "url":
        url = str(value)
        probe, body, error = fetch_media(
            url, timeout=options.fetch_timeout_seconds, max_bytes=options.image_max_bytes
        )
        if error == "too_large":
            raise invalid(
                f"The image at {url} is too large (more than {options.image_max_bytes} bytes)."
            )
        if error is not None and probe.http_status is None:
            raise invalid(f"Unable to reach the URL: {url}. Sorry we could not fetch the image.")
        if error is not None:
            raise invalid("Sorry we could not fetch the image.")
        source = url
    else:
        content_type, body = value
        source = "base64"
    image_format = sniff_image(body[:16])
    broken = PinterestError(403, 235, "Sorry, this image is broken. Please pick a different image.")
    if image_format is None:
        try:
            with Image.open(io.BytesIO(body)) as image:
                image_format = (image.format or "").lower()
        except Exception as exc:
            raise broken from exc
    if image_format not in IMAGE_FORMATS:
        raise broken
    if kind == "base64" and f"image/{image_format}" != content_type:
        raise broken
    try:
        with Image.open(io.BytesIO(body)) as image:
            width, height = image.size
    except Exception as exc:
        raise broken from exc
    return ImageInfo(source=source, width=width, height=height, format=image_format)


def check_same_shape(images: list[ImageInfo], multiple: bool, options: PinterestOptions) -> None:
    if not multiple or len(images) < 2 or options.multiple_images_check == "off":
        return
    first = images[0]
    for image in images[1:]:
        if options.multiple_images_check == "same_dimensions":
            if (image.width, image.height) != (first.width, first.height):
                raise invalid("Pinterest Images must have the same width and height.")
        elif image.width * first.height != first.width * image.height:
            raise invalid("Pinterest Images must have the same width/height ratios.")
