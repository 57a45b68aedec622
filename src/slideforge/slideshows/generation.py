"""``POST /slideshows/generate``: the rules of contract §5.1 (slide_config, packs, texts),
templates as a starting point, and AI texts.

Order of work: every check and every read first (one transaction), then that transaction
ends, then the AI call (slow, outside any transaction), then the insert (a second, short
transaction)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.kit.errors import ApiError
from slideforge.kit.pagination import oldest_first
from slideforge.models import PackImage, Product, Template
from slideforge.products.service import check_reference
from slideforge.runtime import Runtime
from slideforge.slideshows import ai
from slideforge.slideshows import slides as sl
from slideforge.slideshows.schemas import GenerateBody, SlideConfigIn, SlideshowOut, TextElementIn
from slideforge.slideshows.service import (
    check_image_url,
    check_pack,
    create_slideshow,
    slideshow_out,
)
from slideforge.templates import service as templates
from slideforge.templates.schemas import TemplateConfig

MAX_SLIDES = 10


def invalid_config(path: str, rule: str) -> ApiError:
    return ApiError(
        "invalid_slide_config",
        f"{path}: {rule}",
        422,
        data={"errors": [{"field": path, "message": rule}]},
    )


@dataclass
class SlidePlan:
    """What one slide will be, before images are picked and texts written."""

    slide_type: str = "image_pack"
    pack_id: str | None = None
    pinned_url: str | None = None
    custom: dict[str, Any] | None = None
    # Text elements (inputs) and whether their content is final (body) or a placeholder.
    elements: list[TextElementIn | dict[str, Any]] | None = None
    text: str | None = None
    text_fixed: bool = False
    from_template: bool = False


@dataclass
class Layout:
    total: int
    plans: list[SlidePlan] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# slide_config


def _index(key: str, total: int, path: str) -> int:
    if not (key.isascii() and key.isdigit()):
        raise invalid_config(
            f'{path}["{key[:20]}"]', "keys are 0-based slide indexes written as strings: 0, 1, …"
        )
    index = int(key)
    if index >= total:
        raise invalid_config(
            f'{path}["{key}"]',
            f"slide {index} is out of range: there are {total} slides (indexes 0–{total - 1})",
        )
    return index


def _indexed(mapping: dict[str, Any] | None, total: int, path: str) -> dict[int, Any]:
    return {_index(k, total, path): v for k, v in (mapping or {}).items()}


def _template_layout(config: TemplateConfig, total: int) -> list[SlidePlan]:
    """The template's slides (cut or padded to ``total``)."""
    plans: list[SlidePlan] = []
    assignments = config.structure.packAssignments or {}
    for i in range(total):
        plan = SlidePlan()
        if i < len(config.structure.slides):
            slide = config.structure.slides[i]
            plan.from_template = True
            plan.slide_type = "custom_image" if slide.type == "custom" else "image_pack"
            if slide.pinnedImageUrl:
                if plan.slide_type == "custom_image":
                    plan.custom = {"image_url": slide.pinnedImageUrl}
                else:
                    plan.pinned_url = slide.pinnedImageUrl
            plan.elements = [
                {
                    "id": e.id,
                    "content": e.content,
                    "x": e.x,
                    "y": e.y,
                    "font_size": e.fontSize,
                    "width": e.width,
                    "height": e.height,
                    "style_preset": e.stylePreset,
                    "font_family": e.fontFamily,
                    "text_color": e.textColor,
                    "background_color": e.backgroundColor,
                    "border_radius": e.borderRadius,
                }
                for e in slide.textElements
            ]
        if str(i) in assignments:
            plan.pack_id = assignments[str(i)]
        plans.append(plan)
    return plans


def build_layout(
    body: GenerateBody, config: TemplateConfig | None, slide_count: int, manual: bool
) -> Layout:
    """Every slide's type, image source and text source, from the template (if any) with the
    body's slide_config on top. Only the body's entries are checked strictly; template
    entries beyond the slide count are dropped."""
    cfg = body.slide_config or SlideConfigIn()
    path = "slide_config"
    template_total = len(config.structure.slides) if config and config.structure.slides else None
    if cfg.total_slides is not None:
        total = cfg.total_slides
    elif cfg.slide_types:
        total = len(cfg.slide_types)
    elif template_total and "slide_count" not in body.model_fields_set:
        total = template_total
    else:
        total = slide_count
    if not 1 <= total <= MAX_SLIDES:
        raise invalid_config(f"{path}.total_slides", f"must be 1–{MAX_SLIDES}")
    if cfg.slide_types is not None and len(cfg.slide_types) != total:
        raise invalid_config(
            f"{path}.slide_types",
            f"has {len(cfg.slide_types)} entries but there are {total} slides "
            "(give one type per slide)",
        )
    plans = _template_layout(config, total) if config else [SlidePlan() for _ in range(total)]
    if not manual:
        for plan in plans:  # in AI mode the template's texts are placeholders
            plan.text_fixed = False
    else:
        for plan in plans:
            plan.text_fixed = plan.elements is not None

    custom = _indexed(cfg.custom_images, total, f"{path}.custom_images")
    pinned = _indexed(cfg.pinned_images, total, f"{path}.pinned_images")
    texts = _indexed(cfg.slide_texts, total, f"{path}.slide_texts")
    elements = _indexed(cfg.slide_text_elements, total, f"{path}.slide_text_elements")
    assignments = _indexed(cfg.pack_assignments, total, f"{path}.pack_assignments")

    if cfg.slide_types is not None:
        for i, slide_type in enumerate(cfg.slide_types):
            if plans[i].slide_type != slide_type:
                plans[i].slide_type = slide_type
                plans[i].custom = plans[i].pinned_url = None
    else:  # no types given: a slide with a custom image is a custom_image slide
        for i in custom:
            if not plans[i].from_template:
                plans[i].slide_type = "custom_image"

    for i, item in custom.items():
        if plans[i].slide_type != "custom_image":
            raise invalid_config(
                f'{path}.custom_images["{i}"]',
                f"slide {i} is an image_pack slide: set slide_types[{i}] to custom_image "
                "to use a custom image",
            )
        plans[i].custom = item.model_dump(exclude_none=True)
    for i, url in pinned.items():
        if plans[i].slide_type != "image_pack":
            raise invalid_config(
                f'{path}.pinned_images["{i}"]',
                f"slide {i} is a custom_image slide: pin images on image_pack slides, give "
                "custom images in custom_images",
            )
        plans[i].pinned_url = url
    for i, pack_id in assignments.items():
        if plans[i].slide_type == "image_pack":  # applies to image_pack slides only
            plans[i].pack_id = pack_id
    for i, text in texts.items():
        plans[i].text, plans[i].text_fixed = text, True
    for i, items in elements.items():
        plans[i].elements, plans[i].text, plans[i].text_fixed = list(items), None, True

    for i, plan in enumerate(plans):
        if plan.slide_type == "custom_image" and not plan.custom:
            where = (
                f"template slide {i} is custom and has no pinnedImageUrl"
                if plan.from_template
                else f"slide {i} is a custom_image slide"
            )
            raise invalid_config(
                f"{path}.custom_images",
                f'{where}: give custom_images["{i}"] with an image_url',
            )
    return Layout(total=total, plans=plans)


# ---------------------------------------------------------------------------------------------
# images


@dataclass
class PackPool:
    """Random images of one pack without replacement while the pack allows."""

    urls: list[str]
    rng: random.Random
    used: set[str] = field(default_factory=set)
    bag: list[str] = field(default_factory=list)

    def take(self) -> str:
        if not self.bag:
            fresh = [u for u in self.urls if u not in self.used]
            if not fresh:  # every image used once: start over
                self.used.clear()
                fresh = list(self.urls)
            self.rng.shuffle(fresh)
            self.bag = fresh
        url = self.bag.pop()
        self.used.add(url)
        return url


def _pack_urls(session: Session, pack_id: uuid.UUID) -> list[str]:
    rows = session.execute(
        sa.select(PackImage.url, PackImage.meta_status)
        .where(PackImage.pack_id == pack_id)
        .order_by(*oldest_first(PackImage))
    ).all()
    usable = [url for url, status in rows if status != "failed"]
    return usable or [url for url, _ in rows]


def resolve_images(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    layout: Layout,
    pack_id: str | None,
) -> list[dict[str, Any]]:
    """Per slide: slide_type, pack_id, image_url (and custom image id/name). Checks every
    pack (404 pack_not_found, 422 pack_empty) and every given URL."""
    packs: dict[str, uuid.UUID] = {}
    pools: dict[uuid.UUID, PackPool] = {}
    rng = random.Random()
    chosen: list[dict[str, Any]] = []
    for i, plan in enumerate(layout.plans):
        if plan.slide_type == "custom_image":
            assert plan.custom is not None
            url = check_image_url(
                runtime,
                plan.custom["image_url"],
                f'slide_config.custom_images["{i}"].image_url',
                "invalid_slide_config",
            )
            chosen.append(
                {
                    "slide_type": "custom_image",
                    "pack_id": None,
                    "image_url": url,
                    "image_id": plan.custom.get("image_id"),
                    "image_name": plan.custom.get("image_name"),
                }
            )
            continue
        source = plan.pack_id or pack_id
        if not source:
            raise ApiError(
                "pack_required",
                f"slide {i} is an image_pack slide but has no pack: send pack_id, or "
                f'slide_config.pack_assignments["{i}"], or make it a custom_image slide',
                422,
            )
        key = source.strip().lower()
        if key not in packs:
            where = f'slide_config.pack_assignments["{i}"]' if plan.pack_id else "pack_id"
            pack = check_pack(session, caller, source, where)
            packs[key] = pack.id
            pools[pack.id] = PackPool(_pack_urls(session, pack.id), rng)
        pool = pools[packs[key]]
        if plan.pinned_url:
            url = check_image_url(
                runtime,
                plan.pinned_url,
                f'slide_config.pinned_images["{i}"]',
                "invalid_slide_config",
            )
            pool.used.add(url)
        elif not pool.urls:
            raise ApiError(
                "pack_empty",
                f"pack {packs[key]} (slide {i}) has no images: add images to it, pin images "
                "with slide_config.pinned_images, or use custom_image slides",
                422,
            )
        else:
            url = ""  # picked below, after every pinned image is known
        chosen.append({"slide_type": "image_pack", "pack_id": str(packs[key]), "image_url": url})
    for item in chosen:
        if item["slide_type"] == "image_pack" and not item["image_url"]:
            item["image_url"] = pools[uuid.UUID(item["pack_id"])].take()
    return chosen


# ---------------------------------------------------------------------------------------------
# the call


@dataclass
class Inputs:
    """The body with the template's values filled in where the body did not send one."""

    prompt: str | None
    product_id: str | None
    pack_id: str | None
    slide_count: int
    slideshow_type: str
    aspect_ratio: str
    language: str
    advanced: dict[str, Any]
    manual: bool


def _inputs(body: GenerateBody, template: Template | None, config: TemplateConfig | None) -> Inputs:
    sent = body.model_fields_set
    content = config.content if config else None
    visuals = config.visuals if config else None
    text = visuals.textSettings if visuals else None

    def pick(name: str, template_value: Any) -> Any:
        value = getattr(body, name)
        if name in sent and value is not None:
            return value
        return template_value if template_value is not None else value

    advanced = dict(sl.DEFAULT_ADVANCED)
    if text is not None:
        for ours, theirs in (
            ("font_size", text.fontSize),
            ("text_preset", text.preset),
            ("text_width", text.width),
            ("font_family", text.fontFamily),
        ):
            if theirs is not None:
                advanced[ours] = theirs
    if body.advanced_settings is not None:
        advanced.update(body.advanced_settings.model_dump(exclude_none=True))
    manual = body.skip_ai if "skip_ai" in sent else bool(content and content.mode == "manual")
    return Inputs(
        prompt=pick("prompt", content.prompt if content else None) or None,
        product_id=pick("product_id", content.productId if content else None),
        pack_id=pick("pack_id", visuals.packId if visuals else None),
        slide_count=body.slide_count,
        slideshow_type=pick("slideshow_type", content.slideshowType if content else None),
        aspect_ratio=pick("aspect_ratio", visuals.aspectRatio if visuals else None),
        language=pick("language", content.language if content else None),
        advanced=advanced,
        manual=manual,
    )


def _product_brief(session: Session, product_id: uuid.UUID | None) -> dict[str, str | None] | None:
    if product_id is None:
        return None
    row = session.get(Product, product_id)
    if row is None:
        return None
    return {"name": row.name, "description": row.description, "url": row.url}


def _slots(plan: SlidePlan) -> int:
    """How many texts the AI writes for this slide (0: the slide keeps its texts)."""
    if plan.text_fixed:
        return 0
    if plan.elements is not None:
        return len(plan.elements)
    return 1


def _texts_for(
    plan: SlidePlan, index: int, defaults: sl.TextDefaults, generated: list[str] | None
) -> list[dict[str, Any]]:
    is_title = index == 0
    items = plan.elements
    if items:
        contents = [
            e.content if isinstance(e, TextElementIn) else str(e.get("content") or "")
            for e in items
        ]
        if generated is not None:
            contents = generated
        elif plan.text is not None and contents:
            contents = [plan.text, *contents[1:]]
        return [
            sl.element(c, defaults, is_title=is_title, given=e)
            for c, e in zip(contents, items, strict=True)
        ]
    if generated is not None:
        return [sl.element(c, defaults, is_title=is_title) for c in generated]
    if plan.text is not None:
        return [sl.element(plan.text, defaults, is_title=is_title)]
    return []


def generate(
    session: Session, runtime: Runtime, caller: Caller, body: GenerateBody
) -> SlideshowOut:
    template: Template | None = None
    config: TemplateConfig | None = None
    if body.template_id:
        template, config = templates.template_for_use(session, caller, body.template_id)
    inputs = _inputs(body, template, config)
    if not inputs.manual:
        ai.require_configured(runtime.settings, ai.GENERATE)
        if not inputs.prompt and not inputs.product_id:
            raise ApiError(
                "prompt_required",
                "AI mode needs a prompt (or a product_id to write about); send prompt, or "
                "skip_ai: true with slide_config.slide_texts.",
                422,
            )
    layout = build_layout(body, config, inputs.slide_count, inputs.manual)
    product_id = check_reference(session, caller, inputs.product_id) if inputs.product_id else None
    pack = check_pack(session, caller, inputs.pack_id, "pack_id") if inputs.pack_id else None
    images = resolve_images(session, runtime, caller, layout, inputs.pack_id)
    product = _product_brief(session, product_id) if not inputs.manual else None
    session.commit()  # nothing held while the AI writes

    generated: dict[int, list[str]] = {}
    title = body.title or None
    if not inputs.manual:
        slots = {i: n for i, p in enumerate(layout.plans) if (n := _slots(p)) > 0}
        brief = ai.Brief(inputs.prompt, inputs.language, inputs.slideshow_type, product)
        if slots:
            texts = ai.generate_texts(
                runtime.settings, brief, slide_count=layout.total, slots=slots
            )
            generated, title = texts.slides, title or texts.title
    if not title:
        title = (inputs.prompt or "").split("\n", 1)[0][:200] or (
            template.name if template else "Untitled slideshow"
        )

    settings: dict[str, Any] = {
        "image_pack_id": str(pack.id) if pack else None,
        "aspect_ratio": inputs.aspect_ratio,
        "advanced_settings": inputs.advanced,
        "pack_assignments": {  # the canonical ids of the packs found
            str(i): images[i]["pack_id"]
            for i, plan in enumerate(layout.plans)
            if plan.pack_id and images[i]["slide_type"] == "image_pack"
        }
        or None,
    }
    defaults = sl.TextDefaults.from_settings(settings)
    slides = [
        sl.new_slide(
            text_elements=_texts_for(plan, i, defaults, generated.get(i)),
            **images[i],
        )
        for i, plan in enumerate(layout.plans)
    ]
    # The first transaction ended: the product or template may have been deleted since.
    if product_id is not None:
        product_id = check_reference(session, caller, str(product_id))
    if template is not None and not session.scalar(
        sa.select(Template.id).where(Template.id == template.id)
    ):
        template = None
    row = create_slideshow(
        session,
        runtime,
        caller,
        title=title,
        slides=slides,
        settings=settings,
        slideshow_type=inputs.slideshow_type,
        language=inputs.language,
        product_id=product_id,
        template_id=template.id if template else None,
        original_prompt=inputs.prompt,
    )
    if template is not None:
        templates.mark_used(session, template.id, runtime.clock.now())
    return slideshow_out(row)
