"""POST /slideshows/{id}/video through HTTP: 202, GET polled through progress to succeeded,
the MP4 behind the URL read back with PyAV (H.264, 1080 wide, the aspect's height, exact
frame count and duration, yuv420p, AAC when audio is given), the errors (409 while one runs,
404 for other workspaces, 422 for bad values and for audio without an audio stream), a
stale video after an edit, and the video posted as a TikTok video and an Instagram Reel to
the sandboxes."""

from __future__ import annotations

import io
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import av
import httpx
import pytest

from slideforge.render.video import VideoSpec, encode_video
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.posts.test_publish import wait_post
from tests.render.test_video import solid, tone
from tests.sandboxes import InstagramEnv, TikTokEnv
from tests.slideshows.support import make_pack, manual

HEIGHTS = {"9:16": 1920, "4:5": 1350, "1:1": 1080}


def generated(api: ApiClient, web: Web, *, slides: int = 2, aspect: str = "9:16") -> str:
    pack_id, _ = make_pack(api, web, count=slides)
    body = manual(
        pack_id,
        aspect_ratio=aspect,
        slide_config={
            "total_slides": slides,
            "slide_texts": {str(i): f"Tip number {i}" for i in range(slides)},
        },
    )
    return str(ok(api.post("/slideshows/generate", json=body))["id"])


def wait_video(api: ApiClient, slideshow_id: str, timeout: float = 120) -> list[dict[str, Any]]:
    """GET until the video ended; every video state seen on the way."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        video = ok(api.get(f"/slideshows/{slideshow_id}"))["video"]
        seen.append(video)
        if video["status"] in ("succeeded", "failed"):
            return seen
        assert time.monotonic() < deadline, video
        time.sleep(0.1)


def start(api: ApiClient, slideshow_id: str, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(api.post(f"/slideshows/{slideshow_id}/video", json=body), 202)
    return data


def probe(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    with av.open(io.BytesIO(response.content)) as container:
        video = container.streams.video[0]
        info: dict[str, Any] = {
            "codec": video.codec_context.name,
            "width": video.width,
            "height": video.height,
            "pix_fmt": video.codec_context.pix_fmt,
            "frames": video.frames,
            "decoded": sum(1 for _ in container.decode(video)),
            "duration": float(video.duration * video.time_base)
            if video.duration is not None and video.time_base is not None
            else None,
            "audio": None,
        }
    with av.open(io.BytesIO(response.content)) as container:
        if container.streams.audio:
            audio = container.streams.audio[0]
            samples = sum(f.samples for f in container.decode(audio))
            info["audio"] = (audio.codec_context.name, samples / audio.sample_rate)
    return info


def upload(api: ApiClient, data: bytes, content_type: str = "video/mp4") -> str:
    created = ok(api.post("/files", json={"contentType": content_type}), 201)
    put = httpx.put(
        created["uploadUrl"], content=data, headers={"Content-Type": content_type}, timeout=60
    )
    assert put.status_code == 200, put.text
    return str(created["id"])


def test_video_is_made_with_progress_and_read_back(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=2)
    answer = start(api, slideshow_id, seconds_per_slide=2, fps=24)
    assert answer["video"]["status"] in ("queued", "rendering", "succeeded")
    assert answer["video"]["settings"] == {
        "seconds_per_slide": 2,
        "transition": "crossfade",
        "motion": "none",
        "fps": 24,
        "audio_file_id": None,
    }
    seen = wait_video(api, slideshow_id)
    video = seen[-1]
    assert video["status"] == "succeeded", video
    assert video["progress"] == 1.0 and video["error"] is None and video["stale"] is False
    progresses = [v["progress"] for v in seen]
    assert progresses == sorted(progresses)  # never goes back
    assert video["duration"] == 4.0 and (video["width"], video["height"]) == (1080, 1920)
    # 4 s is too short for a post: the answer says so, and what to change
    assert video["postable"] is False and "15–60 s" in video["note"]
    assert "more slides or seconds_per_slide" in video["note"]
    info = probe(video["url"])
    assert info == {
        "codec": "h264",
        "width": 1080,
        "height": 1920,
        "pix_fmt": "yuv420p",
        "frames": 2 * 2 * 24,
        "decoded": 96,
        "duration": pytest.approx(4.0, abs=1e-6),
        "audio": None,
    }
    # The slides were rendered first (the slideshow was a draft), and the MP4 is a file.
    slideshow = ok(api.get(f"/slideshows/{slideshow_id}"))
    assert slideshow["status"] == "rendered"
    files = ok(api.get("/files", params={"context": "slideshow-video"}))["files"]
    assert [f["id"] for f in files] == [video["file_id"]]
    assert files[0]["contentType"] == "video/mp4" and files[0]["durationSeconds"] == 4.0


@pytest.mark.parametrize("aspect", ["4:5", "1:1"])
def test_height_follows_the_aspect_ratio(api: ApiClient, web: Web, aspect: str) -> None:
    slideshow_id = generated(api, web, slides=1, aspect=aspect)
    start(api, slideshow_id, seconds_per_slide=1, transition="none", fps=24)
    video = wait_video(api, slideshow_id)[-1]
    assert video["status"] == "succeeded", video
    info = probe(video["url"])
    assert (info["width"], info["height"], info["frames"]) == (1080, HEIGHTS[aspect], 24)


def test_audio_track_from_an_uploaded_video(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=2)
    audio_id = upload(api, tone(1.5, with_video=True))
    start(api, slideshow_id, seconds_per_slide=1, transition="slide", audio_file_id=audio_id)
    video = wait_video(api, slideshow_id)[-1]
    assert video["status"] == "succeeded", video
    assert video["settings"]["audio_file_id"] == audio_id
    info = probe(video["url"])
    assert info["frames"] == 60 and info["audio"][0] == "aac"
    assert info["audio"][1] == pytest.approx(2.0, abs=0.05)


def wav(seconds: float, rate: int = 22_050) -> bytes:
    import wave

    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    samples = (8000 * np.sin(2 * np.pi * 330 * t)).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return out.getvalue()


def test_audio_uploads_are_checked_and_become_the_soundtrack(api: ApiClient, web: Web) -> None:
    wav_id = upload(api, wav(1.0), "audio/wav")
    m4a_id = upload(api, tone(2.0), "audio/x-m4a")
    files = ok(api.get("/files", params={"type": "audio"}))["files"]
    durations = {f["id"]: (f["contentType"], f["durationSeconds"]) for f in files}
    assert durations[wav_id] == ("audio/wav", pytest.approx(1.0, abs=0.01))
    assert durations[m4a_id][0] == "audio/x-m4a"
    assert durations[m4a_id][1] == pytest.approx(2.0, abs=0.05)
    # The bytes must be what was declared, and hold sound.
    created = ok(api.post("/files", json={"contentType": "audio/mpeg"}), 201)
    put = httpx.put(created["uploadUrl"], content=wav(0.5), headers={"Content-Type": "audio/mpeg"})
    assert put.status_code == 415 and put.json()["error_code"] == "content_mismatch"
    created = ok(api.post("/files", json={"contentType": "audio/wav"}), 201)
    broken = b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(64)
    put = httpx.put(created["uploadUrl"], content=broken, headers={"Content-Type": "audio/wav"})
    assert put.status_code == 422 and put.json()["error_code"] == "invalid_audio_file"

    slideshow_id = generated(api, web, slides=1)
    start(api, slideshow_id, seconds_per_slide=3, transition="none", audio_file_id=wav_id)
    video = wait_video(api, slideshow_id)[-1]
    assert video["status"] == "succeeded", video
    info = probe(video["url"])
    assert info["audio"][0] == "aac" and info["audio"][1] == pytest.approx(3.0, abs=0.05)


def test_audio_errors(api: ApiClient, make_api: Callable[..., ApiClient], web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    with tempfile.TemporaryDirectory() as tmp:
        silent_path = f"{tmp}/silent.mp4"
        encode_video([solid((10, 10, 10))], VideoSpec(1), silent_path)
        with open(silent_path, "rb") as fh:
            silent = upload(api, fh.read())
    body = err(
        api.post(f"/slideshows/{slideshow_id}/video", json={"audio_file_id": silent}),
        422,
        "audio_stream_missing",
    )
    assert "no audio stream" in body["message"]
    other = make_api()
    foreign = upload(other, tone(1.0, with_video=True))
    err(
        api.post(f"/slideshows/{slideshow_id}/video", json={"audio_file_id": foreign}),
        404,
        "audio_file_not_found",
    )
    err(
        api.post(f"/slideshows/{slideshow_id}/video", json={"audio_file_id": str(uuid.uuid4())}),
        404,
        "audio_file_not_found",
    )
    # Nothing was started by the refusals.
    assert ok(api.get(f"/slideshows/{slideshow_id}"))["video"]["status"] == "none"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seconds_per_slide": 0}, "seconds_per_slide"),
        ({"seconds_per_slide": 11}, "seconds_per_slide"),
        ({"seconds_per_slide": 2.5}, "seconds_per_slide"),
        ({"fps": 25}, "fps"),
        ({"fps": "30"}, "fps"),
        ({"transition": "wipe"}, "transition"),
        ({"motion": "zoom"}, "motion"),
    ],
    ids=["sps-0", "sps-11", "sps-float", "fps-25", "fps-string", "transition", "motion"],
)
def test_bad_values_are_422(api: ApiClient, web: Web, body: dict[str, Any], field: str) -> None:
    slideshow_id = generated(api, web, slides=1)
    answer = err(api.post(f"/slideshows/{slideshow_id}/video", json=body), 422, "invalid_payload")
    assert field in answer["message"]


def test_other_workspace_and_unknown_slideshow_are_404(
    api: ApiClient, make_api: Callable[..., ApiClient], web: Web
) -> None:
    slideshow_id = generated(api, web, slides=1)
    other = make_api()
    err(other.post(f"/slideshows/{slideshow_id}/video", json={}), 404)
    err(other.get(f"/slideshows/{slideshow_id}"), 404)
    err(api.post(f"/slideshows/{uuid.uuid4()}/video", json={}), 404)


def test_409_while_rendering_then_stale_after_an_edit(
    api: ApiClient, web: Web, runtime: Runtime
) -> None:
    slideshow_id = generated(api, web, slides=3)
    start(api, slideshow_id, seconds_per_slide=3, motion="ken_burns")
    body = err(api.post(f"/slideshows/{slideshow_id}/video", json={}), 409, "video_in_progress")
    assert "wait" in body["message"]
    first = wait_video(api, slideshow_id)[-1]
    assert first["status"] == "succeeded", first
    # An edit makes the video stale; a new POST replaces it (the old MP4 is deleted).
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"title": "Renamed"}))
    assert ok(api.get(f"/slideshows/{slideshow_id}"))["video"]["stale"] is True
    start(api, slideshow_id, seconds_per_slide=1, transition="none")
    second = wait_video(api, slideshow_id)[-1]
    assert second["status"] == "succeeded" and second["stale"] is False
    assert second["url"] != first["url"] and second["duration"] == 3.0
    assert httpx.get(first["url"]).status_code == 404


def test_deleting_the_slideshow_deletes_the_video(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    start(api, slideshow_id, seconds_per_slide=1)
    video = wait_video(api, slideshow_id)[-1]
    ok(api.delete(f"/slideshows/{slideshow_id}"))
    assert httpx.get(video["url"]).status_code == 404
    assert ok(api.get("/files", params={"context": "slideshow-video"}))["files"] == []


def test_video_posts_as_a_tiktok_video_and_a_reel(
    api: ApiClient, web: Web, tiktok: TikTokEnv, instagram: InstagramEnv
) -> None:
    slideshow_id = generated(api, web, slides=2)
    # posts take videos of 15-60 s
    audio_id = upload(api, tone(3.0), "audio/mp4")
    start(api, slideshow_id, seconds_per_slide=8, fps=24, audio_file_id=audio_id)
    video = wait_video(api, slideshow_id)[-1]
    assert video["status"] == "succeeded", video
    assert video["postable"] is True and video["note"] is None
    tiktok_account = tiktok.connect(api)
    instagram_account = instagram.connect(api)

    def post(account: str, **extra: Any) -> dict[str, Any]:
        created = ok(
            api.post(
                "/posts",
                json={
                    "caption": f"Two tips #video {uuid.uuid4().hex[:6]}",
                    "media": {"type": "video", "url": video["url"]},
                    "accounts": [{"id": account}],
                    **extra,
                },
            ),
            201,
        )
        done: dict[str, Any] = wait_post(api, created["id"], timeout=90)
        return done

    tiktok_post = post(tiktok_account, tiktok={"privacy_level": "PUBLIC_TO_EVERYONE"})
    assert tiktok_post["status"] == "posted", tiktok_post
    publish = tiktok.sandbox.publishes(open_id=tiktok.open_id(tiktok_account))[0]
    assert publish["media_type"] == "VIDEO"
    reel_post = post(instagram_account)
    assert reel_post["status"] == "posted", reel_post
    ig_user = instagram.ig_user_id(instagram_account)
    reels = instagram.sandbox.containers(ig_user_id=ig_user)
    assert [c["media_type"] for c in reels] == ["REELS"]


def test_a_render_error_becomes_the_videos_error(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    slides = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"]
    slides[0]["image_url"] = web.url("__status/404")
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": slides}))
    start(api, slideshow_id, seconds_per_slide=1)
    video = wait_video(api, slideshow_id)[-1]
    assert video["status"] == "failed" and video["url"] is None
    assert video["error"]["code"] == "image_fetch_failed"
    assert "slide 0" in video["error"]["message"]
    # A failed video can be posted again at once (no 409).
    ok(api.post(f"/slideshows/{slideshow_id}/video", json={}), 202)
    assert wait_video(api, slideshow_id)[-1]["status"] == "failed"


def test_a_lost_start_is_found_again_by_recovery(
    api: ApiClient, web: Web, runtime: Runtime
) -> None:
    """The POST commits, the process dies before the workflow starts (here: the job is
    unbound, as in a process without workers): the next worker start re-enqueues it."""
    from slideforge import jobs, workers
    from slideforge.slideshows import workflows

    slideshow_id = generated(api, web, slides=1)
    jobs.make_video.unbind()
    try:
        start(api, slideshow_id, seconds_per_slide=1)
    finally:
        jobs.make_video.bind(workflows.enqueue)
    assert ok(api.get(f"/slideshows/{slideshow_id}"))["video"]["status"] == "queued"
    workers.recover(runtime)
    assert wait_video(api, slideshow_id)[-1]["status"] == "succeeded"
