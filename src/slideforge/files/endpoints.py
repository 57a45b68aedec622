"""HTTP of files: POST/GET /files, the upload receiver and the media server."""

from __future__ import annotations

import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.files import service
from slideforge.files.schemas import FileCreate, FileItem, FileList, FileUpload
from slideforge.kit.envelope import Envelope, error_response, respond
from slideforge.kit.errors import ApiError
from slideforge.kit.pagination import Page, page_params
from slideforge.kit.storage import StorageError, content_type_for
from slideforge.runtime import Runtime

router = APIRouter(tags=["files"])
upload_router = APIRouter(include_in_schema=False)
media_router = APIRouter(include_in_schema=False)

PageDep = Annotated[Page, Depends(page_params(50))]


@router.post("/files", status_code=201, response_model=Envelope[FileUpload])
def create_file(
    body: FileCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Reserve a file and get a signed, expiring, single-use ``uploadUrl`` to PUT the bytes
    to (no API key on the PUT); ``url`` serves the bytes once the PUT succeeded."""
    upload = service.create_upload(session, runtime, caller, body)
    return respond(upload, "Upload URL created", 201)


@router.get("/files", response_model=Envelope[FileList])
def list_files(
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    type: Annotated[str | None, Query(pattern="^(image|video|audio)$")] = None,
    context: Annotated[str | None, Query(max_length=500)] = None,
) -> JSONResponse:
    """Uploaded files, newest first. ``context`` omitted: partner uploads only; a comma list
    filters; ``all`` returns every context."""
    result = service.list_files(
        session,
        runtime,
        caller,
        limit=page.limit,
        offset=page.offset,
        media_type=type,
        context=context,
    )
    return respond(result)


@upload_router.put("/uploads/{token}")
async def receive_upload(token: str, request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime

    def claim() -> service.Claim:
        with runtime.db.session() as session:
            return service.claim_upload(session, runtime, token, runtime.clock.now())

    claimed = await run_in_threadpool(claim)
    limit = claimed.byte_limit(runtime)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(
                    "file_too_large", f"The upload is larger than the {limit}-byte limit.", 413
                )
            spool.write(chunk)

        def complete() -> FileItem:
            with runtime.db.session() as session:
                return service.complete_upload(
                    session, runtime, claimed, request.headers.get("content-type"), spool, size
                )

        item = await run_in_threadpool(complete)
    except BaseException:

        def release() -> None:
            with runtime.db.session() as session:
                service.release_upload(session, claimed)

        await run_in_threadpool(release)
        raise
    finally:
        spool.close()
    return respond(item, "File uploaded")


@media_router.api_route("/media/{key:path}", methods=["GET", "HEAD"])
def serve_media(key: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    media_type = content_type_for(key)
    try:
        path = runtime.storage.local_path(key)
        if path is not None:
            return FileResponse(path, media_type=media_type, headers=headers)
        size = runtime.storage.size(key)
        if size is None:
            raise StorageError(key)
        headers["Content-Length"] = str(size)
        if request.method == "HEAD":
            return Response(media_type=media_type, headers=headers)
        return StreamingResponse(
            runtime.storage.iter_bytes(key), media_type=media_type, headers=headers
        )
    except StorageError:
        return error_response("not_found", "No media at this URL.", 404)
