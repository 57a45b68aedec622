"""Render-ready derivatives: an image decoded and cover-fitted once, read by every render.

A derivative of an image for a canvas size (1080x1920, 1080x1350, 1080x1080) is exactly what
the renderer's ``load_cover`` makes of the original for that size, stored as raw RGB (binary
PPM: a 15-byte header and the pixels). Rendering a slide from it is byte-identical to
rendering from the original, and its "decode" is a copy: a 12-megapixel JPEG takes ~40 ms to
decode and fit on this machine's cores, a 1080x1920 PPM ~2 ms, a q92 4:4:4 JPEG of the same
pixels ~12 ms (``slideforge bench render`` measures all three). The price is space: 6.2 MB
for 9:16, 4.4 MB for 4:5, 3.5 MB for 1:1.

Where they live and how renders find them:

- an uploaded file (or any :class:`File`): beside the original, ``<storage_key>.c1080x1920.ppm``;
- a pack image whose URL is not our own media: ``derivatives/pack-images/<id>.c1080x1920.ppm``
  (a pack image that is our own media uses its file's);
- which sizes exist is recorded on the row (``derivatives``: ``{"base", "sizes"}``), so a
  render looks them up in the query it already makes, scoped to the caller's workspace (and
  public packs), with no storage round trip per size.

When: uploads after the PUT committed, pack images in their metadata workflow, both for the
canvases of ``SLIDEFORGE_RENDER_DERIVATIVE_ASPECTS``; any other image (and any other canvas)
after its first render, in this process's background thread, from the bytes that render
fetched. Images with transparency get none (their cover depends on the slide's background
colour); neither do grids nor overlays use them (they read the original).
Deleting the row deletes its derivatives (:func:`keys_of` in every purge path).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from slideforge.config import Settings
from slideforge.kit.storage import StorageError
from slideforge.models import File, Pack, PackImage
from slideforge.render import CANVAS_SIZES, RenderInputError
from slideforge.render.images import load_cover, open_image
from slideforge.runtime import Runtime

log = logging.getLogger(__name__)

CONTENT_TYPE = "image/x-portable-pixmap"
PACK_IMAGE_PREFIX = "derivatives/pack-images"

Size = tuple[int, int]


def label(size: Size) -> str:
    return f"{size[0]}x{size[1]}"


def derivative_key(base: str, size: Size) -> str:
    return f"{base}.c{label(size)}.ppm"


def pack_image_base(image_id: uuid.UUID) -> str:
    return f"{PACK_IMAGE_PREFIX}/{image_id}"


def keys_of(derivatives: dict[str, Any] | None) -> list[str]:
    """Storage keys of the derivatives a row records (to delete with the row)."""
    if not derivatives or not derivatives.get("base"):
        return []
    base = str(derivatives["base"])
    return [f"{base}.c{s}.ppm" for s in derivatives.get("sizes") or []]


def purge(runtime: Runtime, keys: Iterable[str]) -> None:
    """Delete stored derivatives whose rows are gone; failures are logged, never raised."""
    for key in keys:
        try:
            runtime.storage.delete(key)
        except Exception as exc:  # StorageError, OSError, S3 client errors
            log.warning("could not delete %s: %s", key, exc)


def ingest_sizes(settings: Settings) -> list[Size]:
    """The canvas sizes derivatives are made for when an image arrives."""
    if not settings.render_derivatives:
        return []
    names = [a.strip() for a in settings.render_derivative_aspects.split(",") if a.strip()]
    return [CANVAS_SIZES[a] for a in names if a in CANVAS_SIZES]


def encode_ppm(image: Image.Image) -> bytes:
    """Binary PPM (P6) of an RGB image: Pillow reads it back with a plain copy."""
    assert image.mode == "RGB"
    return b"P6\n%d %d\n255\n" % image.size + image.tobytes()


def _transparent(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def cover_ppm(data: bytes, size: Size, max_pixels: int) -> bytes | None:
    """The renderer's cover result of ``data`` at ``size``, as PPM; None for images with
    transparency. Raises RenderInputError for images the renderer cannot read."""
    if _transparent(open_image(data, "original", max_pixels)):
        return None
    return encode_ppm(load_cover(data, "original", size, max_pixels))


def make(runtime: Runtime, base: str, data: bytes, sizes: Iterable[Size]) -> list[str]:
    """Store the derivatives of ``data`` for ``sizes`` under ``base``; the labels stored.
    Failures are logged, never raised (a render then reads the original)."""
    stored: list[str] = []
    for size in sizes:
        try:
            ppm = cover_ppm(data, size, runtime.settings.max_image_pixels)
            if ppm is None:
                return stored
            runtime.storage.put(derivative_key(base, size), ppm, CONTENT_TYPE)
        except (RenderInputError, StorageError, OSError) as exc:
            log.warning("no %s derivative of %s: %s", label(size), base, exc)
            continue
        stored.append(label(size))
    return stored


def record(row: File | PackImage, base: str, labels: Iterable[str]) -> None:
    """Add ``labels`` to the derivatives the row records (in the caller's transaction)."""
    current = row.derivatives or {}
    sizes = set(current.get("sizes") or []) if current.get("base") == base else set()
    row.derivatives = {"base": base, "sizes": sorted(sizes | set(labels))}


def _store_and_record(
    runtime: Runtime,
    model: type[File] | type[PackImage],
    row_id: uuid.UUID,
    base: str,
    data: bytes,
    sizes: list[Size],
) -> list[str]:
    """Make the derivatives (no transaction open), then record them in a short one; if the
    row was deleted meanwhile, delete them again."""
    labels = make(runtime, base, data, sizes)
    if not labels:
        return []
    with runtime.db.session() as session:
        row = cast(File | PackImage | None, session.get(model, row_id))
        if row is not None:
            record(row, base, labels)
            return labels
    purge(runtime, [f"{base}.c{name}.ppm" for name in labels])
    return []


def for_file(runtime: Runtime, file_id: uuid.UUID, storage_key: str, data: bytes) -> list[str]:
    """An uploaded image's derivatives for the ingest canvases (after the upload committed)."""
    sizes = ingest_sizes(runtime.settings)
    if not sizes:
        return []
    return _store_and_record(runtime, File, file_id, storage_key, data, sizes)


def for_pack_image(
    runtime: Runtime, image_id: uuid.UUID, media_key: str | None, data: bytes
) -> list[str]:
    """A pack image's derivatives for the ingest canvases: on its file when the URL is our
    own media (sizes the file already has are not made again), else on the pack image."""
    sizes = ingest_sizes(runtime.settings)
    if not sizes:
        return []
    if media_key is None:
        return _store_and_record(
            runtime, PackImage, image_id, pack_image_base(image_id), data, sizes
        )
    with runtime.db.session() as session:
        image = session.get(PackImage, image_id)
        file = (
            session.scalar(
                sa.select(File).where(
                    File.workspace_id == image.workspace_id, File.storage_key == media_key
                )
            )
            if image is not None
            else None
        )
        if file is None:
            return []
        have = set((file.derivatives or {}).get("sizes") or [])
        file_id = file.id
    missing = [s for s in sizes if label(s) not in have]
    return _store_and_record(runtime, File, file_id, media_key, data, missing) if missing else []


# -- what a render may read ------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """The row whose derivatives a URL has (or may get)."""

    kind: str  # "file" | "pack_image"
    id: uuid.UUID
    base: str
    sizes: frozenset[str] = field(default_factory=frozenset)

    def key(self, size: Size) -> str | None:
        return derivative_key(self.base, size) if label(size) in self.sizes else None


def _sizes(derivatives: dict[str, Any] | None, base: str) -> frozenset[str]:
    if not derivatives or derivatives.get("base") != base:
        return frozenset()
    return frozenset(str(s) for s in derivatives.get("sizes") or [])


def find(
    session: Session, workspace_id: uuid.UUID, urls: dict[str, str | None]
) -> dict[str, Owner]:
    """The owners of these URLs (``url -> our media key or None``): the caller's files by
    storage key, else pack images by URL among the workspace's packs and the public ones
    (the one with the most derivatives wins). URLs with no such row are left out."""
    found: dict[str, Owner] = {}
    by_key = {key: url for url, key in urls.items() if key is not None}
    if by_key:
        rows = session.execute(
            sa.select(File.id, File.storage_key, File.derivatives).where(
                File.workspace_id == workspace_id,
                File.status == "ready",
                File.storage_key.in_(list(by_key)),
            )
        )
        for file_id, key, derivatives in rows:
            found[by_key[key]] = Owner("file", file_id, key, _sizes(derivatives, key))
    external = [url for url, key in urls.items() if key is None]
    if external:
        rows = session.execute(
            sa.select(PackImage.id, PackImage.url, PackImage.derivatives)
            .join(Pack, Pack.id == PackImage.pack_id)
            .where(
                PackImage.url.in_(external),
                sa.or_(Pack.workspace_id == workspace_id, Pack.is_public.is_(True)),
            )
            .order_by(PackImage.created_at, PackImage.id)
        )
        for image_id, url, derivatives in rows:
            base = pack_image_base(image_id)
            owner = Owner("pack_image", image_id, base, _sizes(derivatives, base))
            if url not in found or len(owner.sizes) > len(found[url].sizes):
                found[url] = owner
    return found


# -- made after a render, off the request ------------------------------------------------------

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: set[Future[object]] = set()


def later(fn: Callable[[], object]) -> None:
    """Run ``fn`` in this process's derivative thread (one: it competes with requests)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="derivatives")
        future = _executor.submit(fn)
        _pending.add(future)
    future.add_done_callback(_done)


def _done(future: Future[object]) -> None:
    with _lock:
        _pending.discard(future)
    exc = future.exception()
    if exc is not None:
        log.warning("making a derivative failed: %r", exc)


def make_later(runtime: Runtime, owner: Owner, data: bytes, size: Size) -> None:
    """After a render read the original: make its derivative for ``size`` in the background."""
    model: type[File] | type[PackImage] = File if owner.kind == "file" else PackImage
    later(lambda: _store_and_record(runtime, model, owner.id, owner.base, data, [size]))


def drain(timeout: float | None = 30.0) -> None:
    """Wait for the derivatives being made (shutdown; tests)."""
    with _lock:
        pending = list(_pending)
    for future in pending:
        future.result(timeout=timeout)


def stop() -> None:
    """Finish what was started and end the thread (the server's shutdown)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)
