"""Image sniffing, probing and normalising, always with a pixel cap (decompression bombs)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Our own cap is checked before decoding; Pillow's warning is silenced and its hard error
# (at 2x its own limit) is kept as a second line of defence.
Image.MAX_IMAGE_PIXELS = 200_000_000
warnings.simplefilter("ignore", Image.DecompressionBombWarning)

IMAGE_TYPES = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/avif": "avif",
}
EXTENSIONS = {
    "jpeg": "jpg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "heic": "heic",
    "heif": "heif",
    "avif": "avif",
}


class ImageError(Exception):
    """The bytes are not a usable image. ``reason``: not_image, too_many_pixels, broken."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    format: str  # jpeg | png | gif | webp | heic | heif | avif
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return f"image/{self.format}"


def sniff_image(data: bytes) -> str | None:
    """The image format from the first bytes (never from a file name or header)."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"):
            return "heic"
        if brand in (b"mif1", b"msf1"):
            return "heif"
        if brand in (b"avif", b"avis"):
            return "avif"
    return None


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open (lazily) with the pixel cap checked from the header before any decoding."""
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageError("not_image", "the file is not an image that can be read") from exc
    except Image.DecompressionBombError as exc:
        raise ImageError("too_many_pixels", str(exc)) from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageError("broken", "the image has no pixels")
    if width * height > max_pixels:
        raise ImageError(
            "too_many_pixels",
            f"the image is {width}x{height} pixels, over the limit of {max_pixels} pixels",
        )
    return image


def probe_image(data: bytes, max_pixels: int) -> ImageInfo:
    """Format and size, after a full decode check (truncated files are refused)."""
    fmt = sniff_image(data)
    if fmt is None:
        raise ImageError("not_image", "the file is not a JPEG, PNG, GIF, WebP, HEIC or AVIF image")
    if fmt in ("heic", "heif", "avif"):
        # Pillow cannot decode these without a plugin; report what the container says.
        size = _isobmff_image_size(data)
        if size is None:
            raise ImageError("broken", f"cannot read the size of this {fmt.upper()} image")
        if size[0] * size[1] > max_pixels:
            raise ImageError("too_many_pixels", f"the image is {size[0]}x{size[1]} pixels")
        return ImageInfo(fmt, size[0], size[1])
    image = open_image(data, max_pixels)
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageError("too_many_pixels", str(exc)) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError("broken", "the image is truncated or corrupt") from exc
    width, height = oriented_size(image)
    return ImageInfo(fmt, width, height)


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Width and height after the EXIF orientation is applied."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # a malformed EXIF block must not sink the image
        orientation = 1
    width, height = image.size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def decode_rgb(
    data: bytes, max_pixels: int, *, draft_to: tuple[int, int] | None = None
) -> Image.Image:
    """Decode to an upright RGB image (EXIF applied, alpha flattened on white)."""
    image = open_image(data, max_pixels)
    if draft_to is not None and image.format == "JPEG":
        image.draft("RGB", draft_to)
    try:
        image = ImageOps.exif_transpose(image) or image
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            canvas = Image.new("RGB", rgba.size, (255, 255, 255))
            canvas.paste(rgba, mask=rgba.getchannel("A"))
            return canvas
        return image.convert("RGB")
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError("broken", "the image is truncated or corrupt") from exc


def encode_jpeg(image: Image.Image, *, max_bytes: int, quality: int = 90) -> bytes:
    """JPEG at ``quality``, stepping the quality down until it fits ``max_bytes``."""
    for q in (quality, 85, 80, 72, 65, 55):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=q, optimize=False)
        if out.tell() <= max_bytes:
            return out.getvalue()
    raise ImageError("broken", f"cannot encode the image under {max_bytes} bytes")


def scale_short_side(image: Image.Image, max_short_side: int) -> Image.Image:
    """Scale down so the shorter side is at most ``max_short_side`` (never up)."""
    width, height = image.size
    if min(width, height) <= max_short_side:
        return image
    if width <= height:
        size = (max_short_side, max(1, round(height * max_short_side / width)))
    else:
        size = (max(1, round(width * max_short_side / height)), max_short_side)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _isobmff_image_size(data: bytes) -> tuple[int, int] | None:
    """Read the first ``ispe`` (image spatial extents) box of a HEIF/AVIF file."""
    index = data.find(b"ispe", 0, 1 << 20)
    if index < 4 or index + 16 > len(data):
        return None
    width = int.from_bytes(data[index + 8 : index + 12], "big")
    height = int.from_bytes(data[index + 12 : index + 16], "big")
    if width <= 0 or height <= 0:
        return None
    return width, height
