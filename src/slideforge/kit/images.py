"""Image sniffing, probing and normalising, always with a pixel cap (decompression bombs)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from slideforge.kit import pixels

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
    """The bytes are not a usable image. ``reason``: not_image, too_many_pixels, broken,
    side_too_long, bad_aspect."""

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


def probe_image(
    data: bytes,
    max_pixels: int,
    *,
    max_side: int | None = None,
    max_aspect: float | None = None,
) -> ImageInfo:
    """Format and size, after a full decode check (truncated files are refused). With
    ``max_side`` / ``max_aspect``, the shape is checked from the header before decoding."""
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
        check_shape(size[0], size[1], max_side=max_side, max_aspect=max_aspect)
        return ImageInfo(fmt, size[0], size[1])
    image = open_image(data, max_pixels)
    # From the header: a rotation does not change the longer side or the aspect (and reading
    # a PNG's EXIF orientation would decode the whole image first).
    check_shape(*image.size, max_side=max_side, max_aspect=max_aspect)
    width, height = oriented_size(image)  # from the header (no decoding, see exif_orientation)
    try:
        check_complete(image)  # never a full-size decode
    except Image.DecompressionBombError as exc:
        raise ImageError("too_many_pixels", str(exc)) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError("broken", "the image is truncated or corrupt") from exc
    return ImageInfo(fmt, width, height)


def check_shape(width: int, height: int, *, max_side: int | None, max_aspect: float | None) -> None:
    """Refuse a shape no platform takes: an aspect ratio beyond ``max_aspect``:1 either way
    (reason ``bad_aspect``) or a side over ``max_side`` px (reason ``side_too_long``).
    ``None`` skips that check."""
    if width <= 0 or height <= 0:
        raise ImageError("broken", "the image has no pixels")
    if max_aspect is not None and max(width, height) > max_aspect * min(width, height):
        ratio = max(width, height) / min(width, height)
        text = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"
        shape = f"1:{text}" if height > width else f"{text}:1"
        limit = f"{max_aspect:g}"
        raise ImageError(
            "bad_aspect",
            f"the image is {width}x{height} pixels, an aspect ratio of {shape}; images must be "
            f"between 1:{limit} and {limit}:1 to be posted, so crop it",
        )
    if max_side is not None and max(width, height) > max_side:
        raise ImageError(
            "side_too_long",
            f"the image is {width}x{height} pixels and its longer side is over the limit of "
            f"{max_side} px; scale it down",
        )


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Width and height after the EXIF orientation is applied (read without decoding)."""
    width, height = image.size
    return (height, width) if exif_orientation(image) in (5, 6, 7, 8) else (width, height)


def _png_exif(data: bytes) -> bytes | None:
    """A PNG's eXIf chunk, found by walking the chunks (Pillow's ``getexif`` decodes the
    whole image to reach one that follows the pixel data)."""
    offset = 8
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if kind == b"eXIf":
            return data[offset + 8 : offset + 8 + length]
        if kind == b"IEND":
            return None
        offset += 12 + length
    return None


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1–8), from the header: never decodes pixels."""
    try:
        if image.format == "PNG" and "exif" not in image.info:
            getvalue = getattr(getattr(image, "fp", None), "getvalue", None)
            raw = _png_exif(getvalue()) if getvalue is not None else None
            if raw is None:
                return 1
            exif = Image.Exif()
            exif.load(raw if raw.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + raw)
            value = exif.get(0x0112, 1)
        else:
            value = image.getexif().get(0x0112, 1)
    except Exception:  # a malformed EXIF block must not sink the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def decode_rgb(
    data: bytes,
    max_pixels: int,
    *,
    draft_to: tuple[int, int] | None = None,
    min_size: tuple[int, int] | None = None,
) -> Image.Image:
    """Decode to an upright RGB image (EXIF applied, alpha flattened on white).

    ``min_size`` (upright width, height): the caller scales the result down to about that
    size, so the decode is reduced early (JPEG DCT scaling, then whole box factors, see
    ``kit.pixels``) and stays at least twice ``min_size`` where the image is that large.
    ``draft_to`` only applies the JPEG DCT scaling. The full-size pixels are held from the
    process's pixel budget while they exist; a reduced result is a fresh, small image."""
    image = open_image(data, max_pixels)
    orientation = exif_orientation(image)
    want = min_size or draft_to
    if want is not None and orientation in (5, 6, 7, 8):
        want = (want[1], want[0])  # in the stored orientation
    try:
        if want is not None and image.format == "JPEG":
            image.draft("RGB", want)
        with pixels.budget().hold(image.width * image.height):
            image.load()
            factor = pixels.reduction(image.size, want if min_size is not None else None)
            out = pixels.reduce_to_rgb(image, factor, (255, 255, 255))
            if out is not image:
                image.close()
            del image
    except Image.DecompressionBombError as exc:
        raise ImageError("too_many_pixels", str(exc)) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError("broken", "the image is truncated or corrupt") from exc
    if orientation in TRANSPOSE:
        out = out.transpose(TRANSPOSE[orientation])
    return out


def check_complete(image: Image.Image) -> None:
    """Check that the whole file is there without decoding it at full size: a PNG's chunks
    and their CRCs (nothing inflated), a JPEG's entropy-coded data at 1/8 scale; other
    formats are decoded under the pixel budget. Raises what Pillow raises; ``image`` is
    spent afterwards."""
    if image.format == "PNG":
        image.verify()
        return
    if image.format == "JPEG":
        image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
    with pixels.budget().hold(image.width * image.height):
        image.load()
        image.close()


#: JPEG stores each side in 16 bits, and libjpeg (Pillow's encoder) stops at 65,500 px.
JPEG_MAX_SIDE = 65_500


def encode_jpeg(image: Image.Image, *, max_bytes: int, quality: int = 90) -> bytes:
    """JPEG at ``quality``, stepping the quality down until it fits ``max_bytes``. An image
    JPEG cannot hold (a side over 65,500 px, or none) is refused before any encoding."""
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageError("broken", "the image has no pixels")
    if max(width, height) > JPEG_MAX_SIDE:
        raise ImageError(
            "side_too_long",
            f"the image is {width}x{height} pixels; a JPEG side can be at most {JPEG_MAX_SIDE} px",
        )
    for q in (quality, 85, 80, 72, 65, 55):
        out = io.BytesIO()
        try:
            image.save(out, "JPEG", quality=q, optimize=False)
        except (OSError, ValueError) as exc:
            raise ImageError("broken", f"the image cannot be encoded as JPEG: {exc}") from exc
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
