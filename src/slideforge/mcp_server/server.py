"""The MCP server: tools over our own HTTP API (``rest.py``), the error catalogue and the
platform rules as resources, and a prompt chaining the tools. Every tool is a REST call (or a
few) made in-process with the caller's key: no rule lives here."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Awaitable
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    CallToolResult,
    ContentBlock,
    ImageContent,
    InputRequiredResult,
    TextContent,
    ToolAnnotations,
)
from PIL import Image
from pydantic import Field, ValidationError
from starlette.types import ASGIApp

from slideforge import __version__, error_catalogue
from slideforge.kit.envelope import describe_validation_errors
from slideforge.kit.errors import ApiError
from slideforge.mcp_server.plans import check_plan, sign_plan
from slideforge.mcp_server.rest import Rest, RestError
from slideforge.publishing.platforms import registry
from slideforge.runtime import Runtime

INSTRUCTIONS = """\
slideforge makes image slideshows and posts them to TikTok, Instagram and Pinterest.
Discover first: list_accounts (capabilities, posting policy, next free slots), list_packs,
list_templates. Make: generate_slideshow, then render_slideshow and look at the slides and
their checks before posting. Post: validate_post (dry run), then schedule_post with an
external_id (confirm: false gives the plan and a plan_token; confirm: true with it commits).
Poll get_post until each account is posted or failed; retry_post only retries failed
accounts (never those whose outcome is unknown). Every error carries an error_code:
explain_error tells what it means and what to change."""

PREVIEW_WIDTH = 360

Json = dict[str, Any]


# The arguments of validate_post and schedule_post (module level: the SDK reads them).
Caption = Annotated[str, Field(description="the caption (hashtags included)")]
Accounts = Annotated[list[str] | None, Field(description="account ids (1-10), from list_accounts")]
Selection = Annotated[
    Json | None,
    Field(description="let the server choose the account: {platform, tag, strict …}"),
]
SlideshowId = Annotated[str | None, Field(description="post this rendered slideshow's slides")]
MediaArg = Annotated[
    Json | None,
    Field(description='{"type": "slideshow", "urls": [...]} or {"type": "video", "url"}'),
]
When = Annotated[str | None, Field(description="ISO 8601 time; omitted: the next free slot / now")]


def _annotations(
    title: str,
    *,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = False,
) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


def read_only(title: str) -> ToolAnnotations:
    return _annotations(title, read_only=True, idempotent=True)


def _text(value: Any) -> TextContent:
    return TextContent(type="text", text=json.dumps(value, ensure_ascii=False, indent=1))


def ok(data: Any, *extra: ContentBlock) -> CallToolResult:
    structured = data if isinstance(data, dict) else {"result": data}
    return CallToolResult(content=[_text(data), *extra], structured_content=structured)


def refusal(error: RestError) -> CallToolResult:
    """A REST refusal as an MCP tool error: our error_code, the HTTP status, the message."""
    body = error.as_dict()
    return CallToolResult(content=[_text(body)], structured_content=body, is_error=True)


def preview_jpeg(data: bytes, width: int = PREVIEW_WIDTH) -> str:
    """A small JPEG (``width`` px wide) of a rendered slide, base64."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        if rgb.width > width:
            rgb = rgb.resize((width, max(1, round(rgb.height * width / rgb.width))))
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=70)
    return base64.b64encode(out.getvalue()).decode()


def platform_rules() -> Json:
    """Every platform's capabilities, default posting policy and pacing ceiling."""
    out: Json = {}
    for name in registry.names():
        rules = registry.rules(name)
        out[name] = {
            "title": rules.title,
            "capabilities": rules.capabilities,
            "default_policy": rules.default_policy,
            "max_posts_per_day": rules.policy_ceiling,
            "options_field": rules.option_field,
            "takes_drafts": rules.takes_drafts,
            "account_settings": list(rules.account_settings),
        }
    return out


class SlideforgeMCP(MCPServer[Any]):
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Arguments that do not fit a tool's schema are refused as the API refuses a body
        (422 ``invalid_payload``, the same field messages), not in the SDK's words."""
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            message, details = describe_validation_errors(exc.__cause__.errors())
            error = RestError("invalid_payload", 422, f"{name}: {message}", {"errors": details})
            return refusal(error)


def build_server(app: ASGIApp, runtime: Runtime, *, authorization: str | None = None) -> MCPServer:
    """The MCP server over ``app`` (the FastAPI app). ``authorization`` is the header every
    call sends (stdio); without it each call forwards its HTTP request's own header."""
    rest = Rest(app)
    server = SlideforgeMCP(
        "slideforge", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )

    def caller_auth(ctx: Context) -> str | None:
        if authorization is not None:
            return authorization
        headers = ctx.headers
        return headers.get("authorization") if headers is not None else None

    async def call(
        ctx: Context, method: str, path: str, body: Any = None, **params: Any
    ) -> CallToolResult:
        try:
            _, data = await rest.call(caller_auth(ctx), method, path, body=body, params=params)
        except RestError as error:
            return refusal(error)
        return ok(data)

    async def guarded(work: Awaitable[CallToolResult]) -> CallToolResult:
        """``work`` with a REST refusal or a refusal of this layer (ApiError) as tool error."""
        try:
            return await work
        except RestError as error:
            return refusal(error)
        except ApiError as error:
            return refusal(RestError(error.error_code, error.status, error.message, error.data))

    # -- discovery -----------------------------------------------------------------------

    @server.tool(annotations=read_only("List accounts"))
    async def list_accounts(
        ctx: Context,
        platform: Annotated[
            str | None, Field(description="tiktok, instagram or pinterest (comma list)")
        ] = None,
        status: Annotated[
            str | None, Field(description="comma list of statuses, or all (default: active)")
        ] = None,
        tag: str | None = None,
    ) -> CallToolResult:
        """The workspace's social accounts: capabilities, posting policy, next free slots and
        status. Call this first."""
        return await call(ctx, "GET", "/accounts", platform=platform, status=status, tag=tag)

    @server.tool(annotations=read_only("List image packs"))
    async def list_packs(ctx: Context, search: str | None = None) -> CallToolResult:
        """The image packs (backgrounds for slides) of the workspace and the public ones."""
        return await call(ctx, "GET", "/packs", search=search)

    @server.tool(annotations=read_only("List templates"))
    async def list_templates(ctx: Context) -> CallToolResult:
        """The slideshow templates (saved slide layouts) a slideshow can start from."""
        return await call(ctx, "GET", "/templates")

    @server.tool(annotations=read_only("Subscription and credits"))
    async def get_subscription(ctx: Context) -> CallToolResult:
        """The workspace's plan and credits (AI generation and TikTok copies cost credits)."""
        return await call(ctx, "GET", "/subscription")

    # -- making --------------------------------------------------------------------------

    @server.tool(annotations=_annotations("Generate a slideshow", open_world=True))
    async def generate_slideshow(
        ctx: Context,
        prompt: Annotated[
            str | None, Field(description="what the slideshow is about (AI mode)")
        ] = None,
        pack_id: Annotated[str | None, Field(description="image pack for backgrounds")] = None,
        skip_ai: Annotated[
            bool, Field(description="true: take the texts from slide_config (manual mode)")
        ] = False,
        slide_config: Annotated[
            Json | None,
            Field(description='manual mode: {"total_slides": n, "slide_texts": [...]}'),
        ] = None,
        slide_count: int | None = None,
        aspect_ratio: Annotated[str | None, Field(description="9:16, 4:5 or 1:1")] = None,
        slideshow_type: Annotated[str | None, Field(description="educational or personal")] = None,
        language: str | None = None,
        title: str | None = None,
        template_id: str | None = None,
        product_id: str | None = None,
        advanced_settings: Json | None = None,
    ) -> CallToolResult:
        """Create a draft slideshow, its texts written by the AI model or given (skip_ai)."""
        body = {
            "prompt": prompt,
            "pack_id": pack_id,
            "skip_ai": skip_ai,
            "slide_config": slide_config,
            "slide_count": slide_count,
            "aspect_ratio": aspect_ratio,
            "slideshow_type": slideshow_type,
            "language": language,
            "title": title,
            "template_id": template_id,
            "product_id": product_id,
            "advanced_settings": advanced_settings,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return await call(ctx, "POST", "/slideshows/generate", body)

    @server.tool(annotations=_annotations("Update a slideshow", destructive=True, idempotent=True))
    async def update_slideshow(
        ctx: Context,
        slideshow_id: str,
        changes: Annotated[
            Json,
            Field(
                description="the fields to change, as PATCH /slideshows/{id} takes them: "
                "title, slides, aspect_ratio, revision …"
            ),
        ],
    ) -> CallToolResult:
        """Change a slideshow (changing slides sets it back to draft: render it again)."""
        return await call(ctx, "PATCH", f"/slideshows/{slideshow_id}", changes)

    @server.tool(annotations=_annotations("Render a slideshow", idempotent=True, open_world=True))
    async def render_slideshow(
        ctx: Context,
        slideshow_id: str,
        previews: Annotated[bool, Field(description="return the slides as images")] = True,
    ) -> CallToolResult:
        """Render every slide to a JPEG; returns small previews of the slides as images and
        each slide's readability and safe-zone checks, to look at before posting."""

        async def work() -> CallToolResult:
            auth = caller_auth(ctx)
            _, shown = await rest.call(auth, "POST", f"/slideshows/{slideshow_id}/render")
            slides = shown.get("slides") or []
            report = {
                "id": shown.get("id"),
                "status": shown.get("status"),
                "rendered_image_urls": shown.get("rendered_image_urls"),
                "slides": [
                    {
                        "index": slide.get("index"),
                        "rendered_image_url": slide.get("rendered_image_url"),
                        "checks": slide.get("checks"),
                        "warnings": slide.get("warnings"),
                        "text_fits": slide.get("text_fits"),
                    }
                    for slide in slides
                ],
            }
            images: list[ContentBlock] = []
            if previews:
                for slide in slides:
                    url = slide.get("rendered_image_url")
                    data = await rest.media(auth, url) if url else None
                    if data is not None:
                        images.append(
                            ImageContent(
                                type="image", data=preview_jpeg(data), mime_type="image/jpeg"
                            )
                        )
            return ok(report, *images)

        return await guarded(work())

    @server.tool(annotations=_annotations("Make a slideshow's video", open_world=True))
    async def slideshow_to_video(
        ctx: Context,
        slideshow_id: str,
        seconds_per_slide: Annotated[int, Field(ge=1, le=10)] = 3,
        transition: Annotated[str, Field(description="none | crossfade | slide")] = "crossfade",
        motion: Annotated[str, Field(description="none | ken_burns")] = "none",
        fps: Annotated[int, Field(description="24 or 30")] = 30,
        audio_file_id: Annotated[
            str | None, Field(description="a file (POST /files) whose sound is the soundtrack")
        ] = None,
        wait_seconds: Annotated[
            int, Field(ge=0, le=120, description="wait up to this long for the video to end")
        ] = 0,
    ) -> CallToolResult:
        """Turn a slideshow into a 1080-wide H.264 MP4 (rendering its slides first if
        needed) and answer its video state: status queued | rendering | succeeded | failed,
        progress 0-1, url, duration. The url posts as media {type: "video"} (TikTok, Reels,
        Pinterest video pins; posts take 15-60 s)."""

        async def work() -> CallToolResult:
            auth = caller_auth(ctx)
            body = {
                "seconds_per_slide": seconds_per_slide,
                "transition": transition,
                "motion": motion,
                "fps": fps,
                "audio_file_id": audio_file_id,
            }
            path = f"/slideshows/{slideshow_id}"
            _, shown = await rest.call(auth, "POST", f"{path}/video", body=body)
            video = shown.get("video") or {}
            deadline = anyio.current_time() + wait_seconds
            while video.get("status") in ("queued", "rendering") and (
                anyio.current_time() < deadline
            ):
                await anyio.sleep(min(1.0, max(0.0, deadline - anyio.current_time())))
                _, shown = await rest.call(auth, "GET", path)
                video = shown.get("video") or {}
            return ok({"id": shown.get("id"), "video": video})

        return await guarded(work())

    @server.tool(annotations=_annotations("Copy a TikTok slideshow", open_world=True))
    async def copy_tiktok_slideshow(
        ctx: Context,
        url: Annotated[str, Field(description="a TikTok photo post URL")],
        pack_id: Annotated[
            str | None,
            Field(description="import with this pack's images as backgrounds (else: preview)"),
        ] = None,
        preview_id: Annotated[str | None, Field(description="the preview to import")] = None,
    ) -> CallToolResult:
        """Read a TikTok photo post's slides and texts (preview); with pack_id, import it as
        a draft slideshow (costs credits)."""
        if pack_id is None:
            return await call(ctx, "POST", "/slideshows/copy-tiktok/preview", {"url": url})
        body = {"url": url, "pack_id": pack_id, "preview_id": preview_id}
        body = {k: v for k, v in body.items() if v is not None}
        return await call(ctx, "POST", "/slideshows/copy-tiktok/import", body)

    # -- posting -------------------------------------------------------------------------

    async def post_body(
        ctx: Context,
        caption: str,
        accounts: list[str] | None,
        account_selection: Json | None,
        slideshow_id: str | None,
        media: Json | None,
        scheduled_at: str | None,
        external_id: str | None,
        tiktok: Json | None,
        pinterest: Json | None,
        music_url: str | None,
    ) -> Json:
        """The body of POST /posts; a slideshow is posted as its rendered images."""
        if slideshow_id is not None and media is None:
            _, shown = await rest.call(caller_auth(ctx), "GET", f"/slideshows/{slideshow_id}")
            urls = shown.get("rendered_image_urls") or []
            if not urls or len(urls) != shown.get("slide_count"):
                raise ApiError(
                    "slideshow_not_rendered",
                    f"Slideshow {slideshow_id} is not rendered: call render_slideshow first.",
                    422,
                )
            media = {"type": "slideshow", "urls": urls}
        body = {
            "caption": caption,
            "media": media,
            "accounts": [{"id": a} for a in accounts] if accounts is not None else None,
            "account_selection": account_selection,
            "scheduled_at": scheduled_at,
            "external_id": external_id,
            "tiktok": tiktok,
            "pinterest": pinterest,
            "music_url": music_url,
        }
        return {k: v for k, v in body.items() if v is not None}

    @server.tool(annotations=read_only("Validate a post (dry run)"))
    async def validate_post(
        ctx: Context,
        caption: Caption,
        accounts: Accounts = None,
        account_selection: Selection = None,
        slideshow_id: SlideshowId = None,
        media: MediaArg = None,
        scheduled_at: When = None,
        external_id: str | None = None,
        tiktok: Json | None = None,
        pinterest: Json | None = None,
        music_url: str | None = None,
    ) -> CallToolResult:
        """Check a post against every platform rule, media variant and pacing slot without
        storing anything: the plan (accounts, times, warnings) or the refusal."""

        async def work() -> CallToolResult:
            body = await post_body(
                ctx, caption, accounts, account_selection, slideshow_id, media,
                scheduled_at, external_id, tiktok, pinterest, music_url,
            )  # fmt: skip
            _, plan = await rest.call(caller_auth(ctx), "POST", "/posts/validate", body=body)
            return ok(plan)

        return await guarded(work())

    @server.tool(annotations=_annotations("Schedule a post", idempotent=True, open_world=True))
    async def schedule_post(
        ctx: Context,
        caption: Caption,
        external_id: Annotated[
            str,
            Field(description="your id for this post: a retried call with it never posts twice"),
        ],
        accounts: Accounts = None,
        account_selection: Selection = None,
        slideshow_id: SlideshowId = None,
        media: MediaArg = None,
        scheduled_at: When = None,
        tiktok: Json | None = None,
        pinterest: Json | None = None,
        music_url: str | None = None,
        confirm: Annotated[
            bool,
            Field(description="false: return the plan and a plan_token; true: commit it"),
        ] = False,
        plan_token: Annotated[
            str | None, Field(description="from the confirm: false call (10 minutes)")
        ] = None,
    ) -> CallToolResult:
        """Plan (confirm: false) then schedule (confirm: true with the plan_token) a post
        for one or more accounts; the same external_id always answers the same post."""

        async def work() -> CallToolResult:
            body = await post_body(
                ctx, caption, accounts, account_selection, slideshow_id, media,
                scheduled_at, external_id, tiktok, pinterest, music_url,
            )  # fmt: skip
            auth = caller_auth(ctx)
            now = runtime.clock.now()
            if not confirm:
                _, plan = await rest.call(auth, "POST", "/posts/validate", body=body)
                token, expires_at = sign_plan(runtime.secrets, body, now)
                return ok(
                    {
                        "plan": plan,
                        "plan_token": token,
                        "plan_expires_at": expires_at.isoformat(),
                        "next": "call schedule_post again with the same arguments, "
                        "confirm: true and this plan_token",
                    }
                )
            check_plan(runtime.secrets, body, plan_token, now)
            _, created = await rest.call(auth, "POST", "/posts", body=body)
            return ok(created)

        return await guarded(work())

    @server.tool(annotations=read_only("Get a post"))
    async def get_post(ctx: Context, post_id: str) -> CallToolResult:
        """A post and each account's state (scheduled, posted with its URL, failed with why)."""
        return await call(ctx, "GET", f"/posts/{post_id}")

    @server.tool(annotations=read_only("List posts"))
    async def list_posts(
        ctx: Context,
        status: str | None = None,
        limit: int = 50,
        since: Annotated[str | None, Field(description="created at or after (ISO 8601)")] = None,
        until: str | None = None,
    ) -> CallToolResult:
        """The workspace's posts, newest first."""
        return await call(
            ctx, "GET", "/posts", status=status, limit=limit, since=since, until=until
        )

    @server.tool(annotations=_annotations("Retry a failed post", open_world=True))
    async def retry_post(
        ctx: Context,
        post_id: str,
        account_ids: Annotated[
            list[str] | None, Field(description="only these accounts (default: every failed)")
        ] = None,
    ) -> CallToolResult:
        """Retry the failed accounts of a post. Accounts whose outcome is unknown (the
        post may be live) are never retried: wait for reconciliation."""
        body: Json = {"post_ids": [post_id], "include_unknown": False}
        if account_ids is not None:
            body["account_ids"] = account_ids
        return await call(ctx, "POST", "/posts/retry", body)

    @server.tool(annotations=_annotations("Delete a post", destructive=True, idempotent=True))
    async def delete_post(ctx: Context, post_id: str) -> CallToolResult:
        """Delete a post that is not published yet (draft, scheduled, retry or failed)."""
        return await call(ctx, "POST", "/posts/delete", {"post_ids": [post_id]})

    # -- learning ------------------------------------------------------------------------

    @server.tool(annotations=read_only("Analytics"))
    async def get_analytics(
        ctx: Context,
        range: Annotated[
            str | None, Field(description="14d, 30d, 90d, 1y or all (default 30d)")
        ] = None,
        platforms: str | None = None,
        limit: Annotated[int, Field(description="posts of the period (1-100)")] = 20,
    ) -> CallToolResult:
        """KPIs with deltas and series, and the period's posts with their latest counters."""

        async def work() -> CallToolResult:
            auth = caller_auth(ctx)
            query = {"range": range, "platforms": platforms}
            _, kpis = await rest.call(auth, "GET", "/analytics/summary", params=query)
            _, posts = await rest.call(
                auth, "GET", "/analytics/summary/posts", params={**query, "limit": limit}
            )
            return ok({"summary": kpis, "posts": posts})

        return await guarded(work())

    @server.tool(annotations=read_only("Experiment results"))
    async def get_experiment_results(
        ctx: Context,
        group_by: Annotated[str | None, Field(description="e.g. hook, template, account")] = None,
        metric: str | None = None,
        age: str | None = None,
        experiment_id: str | None = None,
    ) -> CallToolResult:
        """Our posts grouped and ranked by a metric at an age, with 95 % intervals."""
        return await call(
            ctx,
            "GET",
            "/analytics/experiments",
            group_by=group_by,
            metric=metric,
            age=age,
            experiment_id=experiment_id,
        )

    @server.tool(annotations=_annotations("Trend brief", read_only=True, open_world=True))
    async def trend_brief(
        ctx: Context,
        keyword: str | None = None,
        platform: str | None = None,
        limit: Annotated[int, Field(description="sample videos (1-30)")] = 10,
        range: str | None = None,
    ) -> CallToolResult:
        """What is working on TikTok for a keyword: hashtags, sounds, creators, hooks."""
        return await call(
            ctx,
            "GET",
            "/trends/brief",
            keyword=keyword,
            platform=platform,
            limit=limit,
            range=range,
        )

    @server.tool(annotations=read_only("Explain an error code"))
    async def explain_error(
        code: Annotated[str, Field(description="an error_code from any answer")],
    ) -> CallToolResult:
        """What an error code means and what to change."""
        entry = error_catalogue.explain(code)
        if entry is None:
            return refusal(
                RestError(
                    "not_found",
                    404,
                    f"{code!r} is not a slideforge error code: see the resource "
                    "slideforge://errors for the list.",
                )
            )
        return ok(
            {
                "code": entry.code,
                "area": str(entry.area),
                "http_statuses": list(entry.statuses),
                "meaning": entry.meaning,
                "fix": entry.fix,
            }
        )

    # -- resources and the prompt --------------------------------------------------------

    @server.resource(
        "slideforge://errors",
        name="error-catalogue",
        description="Every error code: HTTP status, meaning, what to change",
        mime_type="text/markdown",
    )
    def errors_resource() -> str:
        return error_catalogue.render_markdown()

    @server.resource(
        "slideforge://platform-rules",
        name="platform-rules",
        description="Per platform: capabilities (media, caption limits), posting policy",
        mime_type="application/json",
    )
    def rules_resource() -> str:
        return json.dumps(platform_rules(), indent=1, default=str)

    @server.prompt(
        name="slideshow_from_pack",
        description="Make a slideshow from an image pack and schedule it",
    )
    def slideshow_from_pack(pack_id: str, topic: str, account_id: str) -> str:
        return (
            f"Make a slideshow about {topic!r} from image pack {pack_id} and schedule it on "
            f"account {account_id}.\n"
            "1. list_accounts: check the account is active and read its capabilities and next "
            "free slots.\n"
            f"2. generate_slideshow with pack_id={pack_id} and prompt={topic!r} (or skip_ai "
            "with your own slide_config texts).\n"
            "3. render_slideshow: look at every slide image and fix failing checks with "
            "update_slideshow (then render again).\n"
            "4. validate_post with slideshow_id and the caption; fix what it refuses.\n"
            "5. schedule_post with a new external_id and confirm: false; show the plan; then "
            "schedule_post with confirm: true and the plan_token.\n"
            "6. get_post until each account is posted or failed; on an error use "
            "explain_error; retry_post only failed accounts."
        )

    return server
