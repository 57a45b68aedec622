"""The rules of the Ayrshare-compatible API: Ayrshare's body and ``tikTokOptions`` → a
slideforge post (through ``posts.service.create_post``, source ``ayrshare``), the account a
``Profile-Key`` names, and a post's targets → Ayrshare's post and history items."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from slideforge.accounts.service import connect_hint
from slideforge.auth.service import Caller
from slideforge.compat.ayrshare.errors import CODES, Refusal
from slideforge.compat.ayrshare.schemas import (
    AyrsharePostBody,
    BulkDeleteItem,
    BulkDeleteResult,
    DeleteBody,
    DeleteResult,
    ErrorItem,
    HistoryItem,
    PostIdOut,
    PostResult,
    RetryResult,
    TikTokOptions,
    Warning_,
)
from slideforge.kit.clock import isoformat
from slideforge.kit.envelope import describe_validation_errors
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import oldest_first
from slideforge.models import Account, Post, PostTarget
from slideforge.models.post import PostStatus, TargetStatus
from slideforge.posts import service as posts
from slideforge.posts.schemas import PostInput
from slideforge.runtime import Runtime

PRIVACY = {
    "public": "PUBLIC_TO_EVERYONE",
    "private": "SELF_ONLY",
    "followers": "FOLLOWER_OF_CREATOR",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
}
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".m4v", ".avi", ".mpeg", ".mpg", ".mkv", ".3gp")
# Line breaks (and the spaces around them) become one space: TikTok drops line breaks.
LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|[\n\r\v\f\x85\u2028\u2029])+[ \t]*")


# -- POST /post ----------------------------------------------------------------------------


def strip_line_breaks(text: str) -> str:
    return LINE_BREAKS.sub(" ", text).strip()


def media_of(urls: list[str], is_video: bool | None) -> dict[str, Any]:
    """Our media object: one video, or a slideshow of images (never both)."""
    if is_video:
        if len(urls) != 1:
            raise Refusal(
                "media",
                f"isVideo: true takes exactly one video URL; mediaUrls has {len(urls)}. TikTok "
                "publishes one video or up to 35 images, never both.",
            )
        return {"type": "video", "url": urls[0]}
    videos = [u for u in urls if urlsplit(u).path.lower().endswith(VIDEO_EXTENSIONS)]
    if videos and len(videos) < len(urls):
        raise Refusal(
            "media",
            f"mediaUrls mixes {len(videos)} video(s) and {len(urls) - len(videos)} image(s): "
            "TikTok publishes one video or up to 35 images, not a combination.",
        )
    if len(videos) > 1:
        raise Refusal(
            "media", f"mediaUrls has {len(videos)} videos: TikTok publishes one video per post."
        )
    if videos:
        return {"type": "video", "url": videos[0]}
    return {"type": "slideshow", "urls": urls}


def tiktok_settings(
    options: TikTokOptions, media: dict[str, Any]
) -> tuple[dict[str, Any], list[Warning_]]:
    """tikTokOptions -> our TikTok settings, and warnings for options TikTok ignores here."""
    warnings: list[Warning_] = []
    is_video = media["type"] == "video"
    given = options.model_dump(exclude_none=True)

    def ignored(names: list[str], why: str) -> None:
        present = [n for n in names if n in given]
        if present:
            warnings.append(Warning_(code="OPTION_IGNORED", message=f"{', '.join(present)}: {why}"))

    if options.thumbNail is not None:
        raise Refusal(
            "option",
            "tikTokOptions.thumbNail: TikTok's Content Posting API has no field for a cover "
            "image, so slideforge cannot set one. Send thumbNailOffset (milliseconds into the "
            "video) to choose a frame instead.",
        )
    if options.draft and is_video:
        raise Refusal(
            "option",
            "tikTokOptions.draft: slideforge delivers drafts to the TikTok inbox for image "
            "posts only; it does not upload videos to the inbox. Send the video with draft: "
            "false to publish it, or post images as a draft.",
        )
    if options.isBrandedContent and options.visibility == "private":
        raise Refusal(
            "option",
            "tikTokOptions: TikTok does not allow branded content (isBrandedContent) with "
            "visibility private.",
        )
    if options.imageCoverIndex is not None and not is_video:
        count = len(media["urls"])
        if options.imageCoverIndex >= count:
            raise Refusal(
                "option",
                f"tikTokOptions.imageCoverIndex {options.imageCoverIndex} is out of range: the "
                f"post has {count} image(s) (0–{count - 1}).",
            )
    settings: dict[str, Any] = {"post_mode": "MEDIA_UPLOAD" if options.draft else "DIRECT_POST"}
    if options.draft:
        ignored(
            [
                "visibility",
                "disableComments",
                "autoAddMusic",
                "isBrandedContent",
                "isBrandOrganic",
            ],
            "a draft goes to the creator's TikTok inbox; these are chosen in the TikTok app "
            "when the creator publishes it",
        )
    else:
        if options.visibility is not None:
            settings["privacy_level"] = PRIVACY[options.visibility]
        if options.disableComments is not None:
            settings["disable_comment"] = options.disableComments
        if options.isBrandedContent is not None:
            settings["is_branded_content"] = options.isBrandedContent
        if options.isBrandOrganic is not None:
            settings["is_your_brand"] = options.isBrandOrganic
        if options.isBrandedContent or options.isBrandOrganic:
            settings["is_commercial"] = True
    if is_video:
        video = {
            "disable_duet": options.disableDuet,
            "disable_stitch": options.disableStitch,
            "is_aigc": options.isAIGenerated,
            "video_cover_timestamp_ms": options.thumbNailOffset,
        }
        settings.update({ours: value for ours, value in video.items() if value is not None})
        ignored(
            ["autoAddMusic", "imageCoverIndex", "title"],
            "these apply to image posts only (a video's title is the post text)",
        )
    else:
        if options.autoAddMusic is not None and not options.draft:
            settings["auto_add_music"] = options.autoAddMusic
        if options.imageCoverIndex is not None:
            settings["photo_cover_index"] = options.imageCoverIndex
        if options.title is not None:
            settings["title"] = options.title
        ignored(
            ["disableDuet", "disableStitch", "isAIGenerated", "thumbNailOffset"],
            "TikTok's photo posts have no such setting; they apply to videos only",
        )
    return settings, warnings


def _tiktok_accounts(session: Session, caller: Caller) -> list[Account]:
    return list(
        session.scalars(
            sa.select(Account)
            .where(Account.workspace_id == caller.workspace_id, Account.platform == "tiktok")
            .order_by(*oldest_first(Account))
        )
    )


def _named(rows: list[Account], profile_key: str) -> Account:
    """The one account of ``rows`` a Profile-Key names (id or @username)."""
    key = profile_key.strip()
    wanted = parse_id(key)
    name = key.removeprefix("@").lower()
    matches = [
        a
        for a in rows
        if (wanted is not None and a.id == wanted)
        or (wanted is None and (a.username or "").lower() == name)
    ]
    if not matches:
        raise Refusal(
            "account",
            f"Profile-Key {key!r} names no TikTok account of this workspace: send an "
            "account id (GET /api/partner/v1/accounts) or its @username.",
        )
    if len(matches) > 1:
        raise Refusal(
            "account",
            f"Profile-Key {key!r} matches {len(matches)} TikTok accounts: send the id of "
            "one (" + ", ".join(str(a.id) for a in matches) + ").",
        )
    return matches[0]


def profile_account(session: Session, caller: Caller, profile_key: str) -> Account:
    """The TikTok account a Profile-Key names, whatever its status (reads)."""
    return _named(_tiktok_accounts(session, caller), profile_key)


def choose_account(session: Session, caller: Caller, profile_key: str | None) -> Account:
    """The Profile-Key's account (id or @username), else the only active TikTok account."""
    rows = _tiktok_accounts(session, caller)
    if profile_key is not None and profile_key.strip():
        account = _named(rows, profile_key)
        if account.status == "unconnected":
            raise Refusal(
                "account",
                f"@{account.username} cannot post: it was added without connecting it, so it "
                f"has no TikTok tokens; {connect_hint(account)}.",
            )
        if account.status != "active":
            raise Refusal(
                "account",
                f"@{account.username} cannot post: the account is {account.status} (reconnect it).",
            )
        return account
    active = [a for a in rows if a.status == "active"]
    if not active:
        raise Refusal(
            "account",
            "This workspace has no active TikTok account: connect one "
            "(POST /api/partner/v1/accounts/connect).",
        )
    if len(active) > 1:
        listed = ", ".join(f"@{a.username} ({a.id})" for a in active[:10])
        raise Refusal(
            "account",
            f"This workspace has {len(active)} active TikTok accounts: {listed}. Name one "
            "with the Profile-Key header (SDK: setProfileKey('<account id or @username>')).",
        )
    return active[0]


@dataclass(frozen=True)
class Created:
    """A post ``POST /post`` created; its answer is read once its send was awaited."""

    post_id: uuid.UUID
    account_id: uuid.UUID
    caption: str
    sends_now: bool  # not scheduled: its TikTok call is due at once
    warnings: list[Warning_]


def create_post(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    body: AyrsharePostBody,
    profile_key: str | None,
) -> Created:
    """Ayrshare's post as a slideforge post on one TikTok account (the posts service's rules
    and checks apply), committed, with its publish workflow started."""
    platforms = [p.strip().lower() for p in body.platforms]
    others = sorted({p for p in platforms if p != "tiktok"})
    if others:
        raise Refusal(
            "platform",
            "slideforge's Ayrshare-compatible API posts to TikTok only; "
            f"{', '.join(map(repr, others))} is not offered here (send platforms: "
            '["tiktok"]; other platforms: POST /api/partner/v1/posts).',
            platforms=others,
        )
    text = strip_line_breaks(body.post)
    media = media_of(body.mediaUrls, body.isVideo)
    settings, warnings = tiktok_settings(body.tikTokOptions or TikTokOptions(), media)
    account = choose_account(session, caller, profile_key)
    try:
        post_input = PostInput.model_validate(
            {
                "caption": text,
                "media": media,
                "accounts": [{"id": str(account.id)}],
                "scheduled_at": body.scheduleDate,
                "tiktok": settings,
            }
        )
    except ValidationError as exc:
        raise Refusal("invalid_parameters", describe_validation_errors(exc.errors())[0]) from exc
    created = posts.create_post(session, runtime, caller, post_input, source="ayrshare")
    session.commit()  # starts its workflows; no transaction stays open while the send is awaited
    return Created(
        post_id=created.id,
        account_id=account.id,
        caption=post_input.caption,
        sends_now=created.status != "scheduled",
        warnings=warnings,
    )


def awaiting_send(session: Session, post_id: uuid.UUID) -> bool:
    """Whether a target of the post has yet to make its TikTok call: it has not stopped, not
    sent, and does not wait for the account's daily cap."""
    return any(
        t.status in ("pending", "publishing")
        and t.publish_id is None
        and not (t.progress or {}).get("waiting_for_cap_until")
        for t in targets_of(session, post_id)
    )


def post_result(runtime: Runtime, created: Created) -> PostResult:
    """``POST /post``'s answer, read fresh after the send was awaited. Ayrshare answers
    ``id: "pending"`` for TikTok at first (``"failed"`` if TikTok refused it already), with
    ``idShare``, TikTok's publish_id, once the call was made."""
    with runtime.db.session() as session:
        post = session.get(Post, created.post_id)
        assert post is not None
        view = history_item(session, post)
    scheduled = view.status == "pending"
    return PostResult(
        status="error" if view.errors else "scheduled" if scheduled else "success",
        errors=view.errors,
        postIds=[
            pid.model_copy(
                update={
                    "id": "failed" if pid.status == "error" else "pending",
                    "status": pid.status
                    if pid.status == "error"
                    else "scheduled"
                    if scheduled
                    else "success",
                    "postUrl": None,
                }
            )
            for pid in view.postIds
        ],
        id=view.id,
        refId=str(created.account_id),
        post=created.caption,
        scheduleDate=view.scheduleDate,
        warnings=created.warnings + view.warnings,
    )


# -- GET /post/{id}, GET /history/{id} -----------------------------------------------------


def targets_of(session: Session, post_id: uuid.UUID) -> list[PostTarget]:
    """The post's targets, in the order they were created."""
    query = sa.select(PostTarget).where(PostTarget.post_id == post_id)
    return list(session.scalars(query.order_by(*oldest_first(PostTarget))))


def find_post(session: Session, caller: Caller, post_id: str) -> Post:
    """The caller's post with this id, deleted ones included (Ayrshare's history shows them)."""
    parsed = parse_id(post_id)
    post = (
        session.scalar(
            sa.select(Post).where(Post.id == parsed, Post.workspace_id == caller.workspace_id)
        )
        if parsed is not None
        else None
    )
    if post is None:
        raise Refusal("not_found", f"No post with id {post_id.strip()!r} in this workspace.", 404)
    return post


def get_post(session: Session, caller: Caller, post_id: str) -> HistoryItem:
    return history_item(session, find_post(session, caller, post_id))


def _post_id_out(target: PostTarget, is_video: bool) -> PostIdOut:
    if target.status in ("failed", "outcome_unknown"):
        status, ident = "error", "failed"
    elif target.status == "canceled":
        status, ident = "deleted", "pending"
    elif target.publish_id is None and target.status != "posted":
        status, ident = "pending", "pending"
    else:
        status, ident = "success", target.platform_post_id or "pending"
    return PostIdOut(
        status=status,
        id=ident,
        idShare=target.publish_id,
        platform=target.platform,
        isVideo=is_video,
        postUrl=target.published_url if target.platform_post_id else None,
        tikTokStatus=target.platform_status,
    )


def _history_status(post: Post, targets: list[PostTarget]) -> str:
    if post.status in ("deleted", "canceled"):
        return "deleted"
    statuses = {t.status for t in targets if t.status != "canceled"}
    if statuses & {"failed", "outcome_unknown"}:
        return "error"
    if statuses and statuses <= {"posted"}:
        return "success"
    if statuses and statuses <= {"scheduled"}:
        return "pending"
    return "processing"


def history_item(session: Session, post: Post) -> HistoryItem:
    """Ayrshare's history item of one post (``GET /post/{id}``, ``GET /history/{id}``)."""
    targets = targets_of(session, post.id)
    is_video = post.media.get("type") == "video"
    errors = [
        ErrorItem(
            action="post",
            code=CODES["outcome_unknown" if t.status == "outcome_unknown" else "tiktok_failed"],
            message=(
                "The TikTok call's answer was lost: check the account before retrying."
                if t.status == "outcome_unknown"
                else t.error_message or "TikTok refused the post."
            ),
            platform=t.platform,
        )
        for t in targets
        if t.status in ("failed", "outcome_unknown")
    ]
    urls = post.media.get("urls") or ([post.media["url"]] if post.media.get("url") else [])
    return HistoryItem(
        id=str(post.id),
        status=_history_status(post, targets),
        post=post.caption,
        platforms=sorted({t.platform for t in targets}),
        postIds=[_post_id_out(t, is_video) for t in targets],
        errors=errors,
        mediaUrls=list(urls),
        created=isoformat(post.created_at),
        scheduleDate=isoformat(post.scheduled_at),
        type="scheduled" if post.scheduled_at is not None else "now",
        refId=str(targets[0].account_id) if targets else None,
        warnings=[Warning_(code=w["code"], message=w["message"]) for w in post.warnings or []],
    )


# -- DELETE /delete, DELETE /post ----------------------------------------------------------


def delete(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    body: DeleteBody,
    profile_key: str | None,
) -> DeleteResult | BulkDeleteResult:
    """``DELETE /delete`` and ``DELETE /post``: one post (``id``), several (``bulk``: each
    deleted or refused on its own, in one answer) or every post still scheduled
    (``deleteAllScheduled``: of the Profile-Key's account, else of the workspace)."""
    if body.deleteAllScheduled:
        query = sa.select(Post.id).where(
            Post.workspace_id == caller.workspace_id, Post.status == PostStatus.SCHEDULED
        )
        if profile_key is not None and profile_key.strip():
            account = profile_account(session, caller, profile_key)
            query = query.where(
                Post.id.in_(
                    sa.select(PostTarget.post_id).where(PostTarget.account_id == account.id)
                )
            )
        ids = [str(i) for i in session.scalars(query.order_by(*oldest_first(Post)))]
        return _bulk_delete(session, runtime, caller, ids)
    if body.bulk is not None:
        return _bulk_delete(session, runtime, caller, body.bulk)
    if body.id is None:
        raise Refusal(
            "invalid_parameters",
            "Send id (one post), bulk (a list of post ids) or deleteAllScheduled: true.",
        )
    return delete_post(session, runtime, caller, body.id)


def _bulk_delete(
    session: Session, runtime: Runtime, caller: Caller, ids: list[str]
) -> BulkDeleteResult:
    items: list[BulkDeleteItem] = []
    for raw in dict.fromkeys(i.strip() for i in ids):
        try:  # each delete commits on its own (posts.delete_posts); a refusal changes nothing
            deleted = delete_post(session, runtime, caller, raw)
        except Refusal as exc:
            items.append(BulkDeleteItem(status="error", id=raw, code=exc.code, message=exc.message))
        else:
            items.append(BulkDeleteItem(status="success", id=deleted.id))
    failed = any(item.status == "error" for item in items)
    return BulkDeleteResult(status="error" if failed else "success", bulk=items)


def delete_post(session: Session, runtime: Runtime, caller: Caller, post_id: str) -> DeleteResult:
    """Delete a post not sent yet (or failed); a post TikTok has cannot be deleted through its
    API, and the refusal says where to delete it."""
    post = find_post(session, caller, post_id)
    if post.status == "deleted":
        raise Refusal("not_deletable", f"Post {post.id} was already deleted.")
    result = posts.delete_posts(session, runtime, caller, [str(post.id)])
    if result.blockedStatuses:
        targets = targets_of(session, post.id)
        if any(t.status == "publishing" for t in targets):
            message = (
                "This post is being sent to TikTok right now and can no longer be stopped; "
                "TikTok's Content Posting API cannot delete posts, so if it goes live, delete "
                "it in the TikTok app."
            )
        elif any(t.platform_status == "SEND_TO_USER_INBOX" for t in targets):
            message = (
                "This draft was delivered to the creator's TikTok inbox; TikTok's Content "
                "Posting API cannot delete it: delete the draft in the TikTok app."
            )
        else:
            message = (
                "This post was already sent to TikTok; TikTok's Content Posting API cannot "
                "delete published posts: delete it in the TikTok app."
            )
        raise Refusal("not_deletable", message)
    return DeleteResult(id=str(post.id))


# -- PUT /post/retry ---------------------------------------------------------------------


def retry_post(session: Session, runtime: Runtime, caller: Caller, post_id: str) -> RetryResult:
    """Ayrshare's retry: a post whose status is error is sent again at once (its failed
    targets); it reads ``pending`` meanwhile and its end comes as a ``scheduled`` webhook.
    Targets whose TikTok call's answer was lost are not sent again: TikTok may have the post."""
    post = find_post(session, caller, post_id)
    item = history_item(session, post)
    if item.status != "error":
        raise Refusal(
            "not_retryable",
            f"Post {post.id} has status {item.status}: only a post with status error can be "
            "retried.",
        )
    targets = targets_of(session, post.id)
    if not any(t.status == TargetStatus.FAILED for t in targets):
        raise Refusal(
            "not_retryable",
            f"Post {post.id} did not fail: the answer to its TikTok call was lost, so TikTok "
            "may have published it. Check the account; to send it again anyway, use POST "
            "/api/partner/v1/posts/retry with include_unknown: true.",
        )
    result = posts.retry_posts(session, runtime, caller, [str(post.id)], None, False)
    if not result.retried:
        why = (result.errors or {}).get(str(post.id), "it cannot be retried now")
        raise Refusal("not_retryable", f"Post {post.id} was not retried: {why}.")
    post = find_post(session, caller, str(post.id))
    view = history_item(session, post)
    return RetryResult(id=str(post.id), postIds=view.postIds)
