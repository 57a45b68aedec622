"""Video uploads in the Pinterest sandbox: ``POST /v5/media`` registers an upload with a
signed S3 policy, the stand-in bucket ``/pinterest-media-upload/`` receives the file, and
``GET /v5/media/{id}`` reports ``registered`` → ``processing`` → ``succeeded`` | ``failed``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime

from platform_sandbox.common import Reply, VideoStreamChecks, iso, parse_multipart, probe_mp4
from platform_sandbox.pinterest.access import PinterestAccess
from platform_sandbox.pinterest.config import UPLOAD_PATH
from platform_sandbox.pinterest.errors import PinterestError, S3Error, invalid
from platform_sandbox.pinterest.records import AccessToken, ApiCall, MediaUpload
from slideforge.kit.video import sniff_video


class PinterestMedia(PinterestAccess):
    """The media endpoints and the upload bucket."""

    def _create_media(self, ctx: ApiCall, token: AccessToken) -> Reply:
        body = self._json_object(ctx)
        media_type = body.get("media_type")
        if media_type != "video":
            raise invalid(
                f"Invalid request: {media_type!r} is not one of ['video'] (field: media_type)"
            )
        now = self._now()
        media_id = self._next(5_216_397_987_686_698_000)
        expires = now + self._options.upload_url_ttl_seconds
        day = datetime.fromtimestamp(now, UTC)
        key = f"uploads/{token.user_id[-6:]}/{media_id}/{secrets.token_hex(6)}"
        credential = (
            f"ASIASANDBOX{secrets.token_hex(4).upper()}/{day:%Y%m%d}/us-east-1/s3/aws4_request"
        )
        policy_doc = {
            "expiration": iso(expires),
            "conditions": [
                {"bucket": "pinterest-media-upload"},
                {"key": key},
                {"x-amz-credential": credential},
                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                ["content-length-range", 0, self._options.video_max_bytes],
            ],
        }
        policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
        signature = hmac.new(self._upload_secret, policy.encode(), hashlib.sha256).hexdigest()
        params = {
            "x-amz-date": f"{day:%Y%m%dT%H%M%SZ}",
            "x-amz-signature": signature,
            "x-amz-security-token": base64.b64encode(secrets.token_bytes(48)).decode(),
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "key": key,
            "policy": policy,
            "x-amz-credential": credential,
            "Content-Type": "multipart/form-data",
        }
        upload = MediaUpload(
            id=media_id,
            user_id=token.user_id,
            app_id=token.app_id,
            created_at=now,
            upload_parameters=params,
            expires_at=expires,
        )
        self._media[media_id] = upload
        rule = self._take_rule("http_error", "media_create", token.user_id, after_commit=True)
        if rule is not None:
            raise self._rule_error(rule)
        return Reply(
            201,
            {
                "media_id": media_id,
                "media_type": "video",
                "upload_url": ctx.base_url + UPLOAD_PATH,
                "upload_parameters": params,
            },
        )

    def _get_media(self, token: AccessToken, media_id: str) -> Reply:
        upload = self._media.get(media_id)
        if upload is None or upload.user_id != token.user_id:
            raise PinterestError(404, 404, "Media upload not found")
        return Reply(
            200,
            {
                "media_id": upload.id,
                "media_type": "video",
                "status": self._media_status(upload, self._now()),
            },
        )

    def _upload(self, ctx: ApiCall) -> Reply:
        content_type = ctx.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise S3Error(
                412,
                "PreconditionFailed",
                "Bucket POST must be of the enclosure-type multipart/form-data",
            )
        parts = parse_multipart(ctx.body, content_type)
        if parts is None:
            raise S3Error(
                400,
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.",
            )
        fields: dict[str, str] = {}
        file_data: bytes | None = None
        for name, filename, data in parts:
            if name == "file" or filename is not None:
                file_data = data
                break  # S3 ignores every field after the file
            fields[name] = data.decode("utf-8", "replace")
        with self._lock:
            rule = self._take_rule("http_error", "upload", None)
            if rule is not None:
                status = rule.http_status or 500
                raise S3Error(
                    status, "SlowDown" if status == 503 else "InternalError", rule.message or ""
                )
            if "key" not in fields:
                raise S3Error(
                    400, "InvalidArgument", "Bucket POST must contain a field named 'key'."
                )
            upload = next(
                (u for u in self._media.values() if u.upload_parameters["key"] == fields["key"]),
                None,
            )
            if upload is None:
                raise S3Error(
                    403,
                    "AccessDenied",
                    'Invalid according to Policy: Policy Condition failed: ["eq", "$key"]',
                )
            ctx.user_id = upload.user_id
            expected = upload.upload_parameters
            if (
                fields.get("x-amz-signature") != expected["x-amz-signature"]
                or fields.get("policy") != expected["policy"]
            ):
                raise S3Error(
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.",
                )
            for name, value in expected.items():
                if fields.get(name) != value:
                    raise S3Error(
                        403,
                        "AccessDenied",
                        f'Invalid according to Policy: Policy Condition failed: ["eq", "${name}", "{value[:20]}"]',
                    )
            if self._now() > upload.expires_at:
                raise S3Error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
            if file_data is None:
                raise S3Error(
                    400, "InvalidArgument", "POST requires exactly one file upload per request."
                )
            if len(file_data) > self._options.video_max_bytes:
                raise S3Error(
                    400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                )
            upload.uploaded_at = self._now()
            upload.bytes = len(file_data)
            upload.format = sniff_video(file_data[:64])
            upload.fail = upload.format not in ("mp4", "mov")
            if upload.fail:
                upload.fail_reason = "not an MP4, MOV or M4V container"
            else:
                upload.fail_reason = pin_video_problem(file_data, self._options.video_stream_checks)
                upload.fail = upload.fail_reason is not None
            if self._take_rule("media_failed", "upload", upload.user_id) is not None:
                upload.fail = True
            etag = hashlib.md5(file_data, usedforsecurity=False).hexdigest()
            return Reply(
                204,
                headers={
                    "etag": f'"{etag}"',
                    "location": f"https://pinterest-media-upload.s3.amazonaws.com/{fields['key']}",
                },
            )


#: What a video pin may be (docs/platforms.md, "Pinterest").
PIN_VIDEO_CODECS = ("h264", "hevc")
PIN_VIDEO_SECONDS = (4.0, 900.0)
PIN_VIDEO_ASPECT = (0.5, 1.91)


def pin_video_problem(data: bytes, checks: VideoStreamChecks) -> str | None:
    """Why Pinterest would fail this video's processing, in words; None when it fits."""
    if checks == "off":
        return None
    info = probe_mp4(data)
    if info is None:
        return "no video stream could be read" if checks == "strict" else None
    if info.video_codec not in PIN_VIDEO_CODECS:
        return f"the video codec is {info.video_codec}, not H.264 or H.265"
    low, high = PIN_VIDEO_SECONDS
    if info.duration_seconds is None or not low <= info.duration_seconds <= high:
        return f"the video is {info.duration_seconds} s long, not {low:g} s to 15 minutes"
    if info.width and info.height:
        aspect = info.width / info.height
        if not PIN_VIDEO_ASPECT[0] <= aspect <= PIN_VIDEO_ASPECT[1]:
            return f"the video is {info.width}x{info.height}, outside 1:2 to 1.91:1"
    return None
