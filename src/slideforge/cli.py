"""The ``slideforge`` command: serve | mcp | worker | migrate | workspaces | keys | accounts |
credits | render | video | doctor | bench."""

from __future__ import annotations

import importlib.util
import logging
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from slideforge.config import Settings, StudioProvider

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from slideforge.models import Workspace
    from slideforge.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="slideforge: self-hosted slideshow marketing.")
workspaces_app = typer.Typer(no_args_is_help=True, help="Create and list workspaces.")
keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")
accounts_app = typer.Typer(no_args_is_help=True, help="Add and list social accounts.")
credits_app = typer.Typer(no_args_is_help=True, help="Grant credits.")
analytics_app = typer.Typer(no_args_is_help=True, help="What worked: charts of our posts.")
app.add_typer(workspaces_app, name="workspaces")
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")
app.add_typer(credits_app, name="credits")
app.add_typer(analytics_app, name="analytics")

console = Console()


def _runtime(settings: Settings | None = None) -> Runtime:
    from slideforge.runtime import build_runtime

    return build_runtime(settings or Settings())


def _migrate(settings: Settings) -> None:
    from slideforge.migrations import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _freeze_startup_objects() -> None:
    """Move what startup made (modules, the app, fonts: ~230k objects) out of the garbage
    collector's sight: a full collection walks them all, ~150 ms that a request would wait
    (the tail of `slideforge bench analytics`)."""
    import gc

    gc.collect()
    gc.freeze()


def _wait_for_interrupt(stop: Callable[[], object]) -> None:
    """Block until Ctrl-C, then ``stop`` (also when the wait ends otherwise)."""
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def _workspace(session: Session, name: str) -> Workspace:
    """The workspace named ``name``; the command fails when there is none."""
    from slideforge.auth import service

    try:
        return service.get_workspace(session, name)
    except ValueError as exc:
        _fail(str(exc))


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    _migrate(settings)
    console.print(f"database migrated: {settings.resolved_database_url.split('@')[-1]}")


def _first_start(settings: Settings) -> None:
    """On the very first start: a default workspace and one key, shown once."""
    import sqlalchemy as sa

    from slideforge.auth import service
    from slideforge.models import Workspace

    runtime = _runtime(settings)
    with runtime.db.session() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(Workspace)):
            return
        workspace = service.create_workspace(session, "default")
        _, plaintext = service.create_key(session, workspace, name="first key")
    console.print("[bold green]Created workspace 'default' and its first API key.[/bold green]")
    console.print("This key is shown once; store it now:\n")
    console.print(f"    [bold]{plaintext}[/bold]\n")
    runtime.db.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        bool, typer.Option(help="Run the DBOS queue workers in this process.")
    ] = True,
    sandbox: Annotated[
        bool,
        typer.Option(
            help="Also run the platform sandboxes (TikTok, Instagram, Pinterest, the AI "
            "studio's provider) in this "
            "process and use them instead of the real platforms."
        ),
    ] = False,
) -> None:
    """Migrate, start the API and (by default) the in-process workers."""
    import os

    import uvicorn

    from slideforge import workers as dbos_workers
    from slideforge.app import create_app

    if "SLIDEFORGE_PUBLIC_BASE_URL" not in os.environ:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["SLIDEFORGE_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    settings = Settings()
    sandboxes = None
    if sandbox:
        from platform_sandbox.run import start_sandboxes

        sandboxes = start_sandboxes(
            public_base_url=settings.public_base_url,
            media_base_url=settings.resolved_media_base_url,
            oauth_redirect_base_url=settings.resolved_oauth_redirect_base_url,
        )
        overrides = dict(sandboxes.settings)
        overrides["ssrf_allow"] = [*settings.ssrf_allow, *overrides["ssrf_allow"]]
        # The AI studio stand-in, unless the operator configured real providers.
        overrides["studio_providers"] = settings.studio_providers or [
            StudioProvider.model_validate(p) for p in overrides["studio_providers"]
        ]
        settings = settings.model_copy(update=overrides)
        for name, server in sandboxes.servers.items():
            console.print(f"sandbox {name:<11} {server.base_url}  (admin: /__sandbox/state)")
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _migrate(settings)
    _first_start(settings)
    runtime = _runtime(settings)
    dbos_workers.start(runtime, listen=workers and settings.in_process_workers)
    api = create_app(runtime)
    base = settings.public_base_url
    console.print(f"slideforge API  {base}/api/partner/v1")
    console.print(f"API docs        {base}/docs")
    console.print(f"OpenAPI         {base}/openapi.json")
    console.print(f"Dashboard       {base}/app (sign in with an API key)")
    _freeze_startup_objects()
    try:
        uvicorn.run(api, host=host, port=port, log_level="info", access_log=False)
    finally:
        dbos_workers.stop()
        if sandboxes is not None:
            sandboxes.stop()


@app.command()
def mcp(
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Serve MCP over stdin/stdout (local agent hosts).")
    ] = False,
    workers: Annotated[
        bool, typer.Option(help="Run the DBOS queue workers in this process.")
    ] = True,
) -> None:
    """The MCP server for agent hosts (Claude, Cursor …). Over HTTP it is /mcp of
    `slideforge serve`; --stdio serves it here with the key in SLIDEFORGE_API_KEY."""
    import os

    if not stdio:
        base = Settings().public_base_url
        console.print(f"MCP over Streamable HTTP: {base}/mcp (started by `slideforge serve`)")
        console.print("For a local host: slideforge mcp --stdio, with SLIDEFORGE_API_KEY set")
        return
    import anyio

    from slideforge import workers as dbos_workers
    from slideforge.app import create_app
    from slideforge.auth.service import authenticate
    from slideforge.kit.errors import ApiError
    from slideforge.mcp_server.server import build_server

    errors = Console(stderr=True)  # stdout carries the protocol: nothing else is printed there
    key = os.environ.get("SLIDEFORGE_API_KEY", "").strip()
    if not key:
        errors.print("error: set SLIDEFORGE_API_KEY to an API key (slideforge keys create)")
        raise typer.Exit(1)
    settings = Settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per in-process call
    runtime = _runtime(settings)
    with runtime.db.session() as session:
        try:
            authenticate(session, f"Bearer {key}", runtime.clock.now())
        except ApiError as exc:
            errors.print(f"error: SLIDEFORGE_API_KEY: {exc.message}")
            raise typer.Exit(1) from exc
        session.commit()
    dbos_workers.start(runtime, listen=workers and settings.in_process_workers)
    server = build_server(create_app(runtime), runtime, authorization=f"Bearer {key}")
    try:
        anyio.run(server.run_stdio_async)
    finally:
        dbos_workers.stop()


@app.command()
def worker() -> None:
    """Run only the DBOS queues (scaled mode; start as many as needed)."""
    from slideforge import workers as dbos_workers

    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    runtime = _runtime(settings)
    dbos_workers.start(runtime, listen=True)
    _freeze_startup_objects()
    console.print("slideforge worker running; Ctrl-C to stop")
    _wait_for_interrupt(dbos_workers.stop)


@app.command("sandbox")
def sandbox_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="First port (TikTok API; then web, IG, Pinterest).")
    ] = 8100,
    server: Annotated[
        str, typer.Option(help="Public base URL of the slideforge server that will use them.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Run the platform sandboxes standalone and print the settings that point a slideforge
    server at them."""
    from platform_sandbox.run import start_sandboxes

    base = server.rstrip("/")
    running = start_sandboxes(
        public_base_url=base,
        media_base_url=f"{base}/media",
        oauth_redirect_base_url=base,
        host=host,
        port=port,
    )
    for name, running_server in running.servers.items():
        console.print(f"{name:<11} {running_server.base_url}  (admin: /__sandbox/state)")
    console.print("\nStart slideforge with:")
    for key, value in running.env().items():
        console.print(f"export {key}={shlex.quote(value)}", markup=False, highlight=False)
    _wait_for_interrupt(running.stop)


@workspaces_app.command("create")
def workspaces_create(name: str) -> None:
    """Create a workspace."""
    from slideforge.auth import service

    settings = Settings()
    _migrate(settings)
    runtime = _runtime(settings)
    with runtime.db.session() as session:
        try:
            workspace = service.create_workspace(session, name)
        except ValueError as exc:
            _fail(str(exc))
        console.print(f"workspace {workspace.name!r} created: {workspace.id}")


@workspaces_app.command("list")
def workspaces_list() -> None:
    import sqlalchemy as sa

    from slideforge.models import Workspace

    runtime = _runtime()
    table = Table("name", "id", "created")
    with runtime.db.session() as session:
        for ws in session.scalars(sa.select(Workspace).order_by(Workspace.created_at)):
            table.add_row(ws.name, str(ws.id), ws.created_at.isoformat())
    console.print(table)


@keys_app.command("create")
def keys_create(
    workspace: Annotated[str, typer.Option(help="Workspace name.")],
    personal: Annotated[
        str | None, typer.Option(help="Member name: makes a personal key for that member.")
    ] = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key; the key is printed once."""
    from slideforge.auth import service

    runtime = _runtime()
    with runtime.db.session() as session:
        ws = _workspace(session, workspace)
        member = service.get_or_create_member(session, ws, personal) if personal else None
        key, plaintext = service.create_key(session, ws, member=member, name=name)
        scope = f"personal key of {personal}" if personal else "workspace key"
        console.print(f"{scope} {key.public_id} created for {ws.name!r}; shown once:")
        console.print(plaintext, markup=False, highlight=False)


@keys_app.command("list")
def keys_list(workspace: Annotated[str, typer.Option(help="Workspace name.")]) -> None:
    from slideforge.auth import service

    runtime = _runtime()
    table = Table("public id", "scope", "name", "created", "last used", "revoked")
    with runtime.db.session() as session:
        for key in service.list_keys(session, _workspace(session, workspace)):
            table.add_row(
                key.public_id,
                key.scope,
                key.name,
                key.created_at.isoformat(timespec="seconds"),
                key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "",
                key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(public_id: str) -> None:
    """Revoke a key by its public id (the part before the dot)."""
    from slideforge.auth import service

    runtime = _runtime()
    with runtime.db.session() as session:
        try:
            key = service.revoke_key(session, public_id.split(".", 1)[0], runtime.clock.now())
        except ValueError as exc:
            _fail(str(exc))
        console.print(f"key {key.public_id} revoked")


@accounts_app.command("add")
def accounts_add(
    workspace: Annotated[str, typer.Option(help="Workspace name.")],
    platform: Annotated[str, typer.Option(help="tiktok | instagram | pinterest")],
    username: Annotated[str, typer.Option(help="The account's handle.")],
    display_name: Annotated[str, typer.Option()] = "",
    tag: Annotated[list[str] | None, typer.Option(help="Tag (repeatable).")] = None,
    user_group: Annotated[str | None, typer.Option()] = None,
    org_group: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add an account without OAuth (tests and demos): it stays ``unconnected`` (cannot
    post) until it is connected with POST /accounts/connect."""
    from slideforge.accounts import service as accounts

    runtime = _runtime()
    with runtime.db.session() as session:
        ws = _workspace(session, workspace)
        try:
            row = accounts.create_account(
                session,
                ws.id,
                platform=platform,
                username=username,
                display_name=display_name,
                tags=tag or [],
                user_group=user_group,
                org_group=org_group,
            )
        except ValueError as exc:
            _fail(str(exc))
        console.print(
            f"{platform} account @{username} added: {row.id}\n"
            f"status unconnected (no tokens: it cannot post and is never chosen "
            f"automatically); {accounts.connect_hint(row)}"
        )


@accounts_app.command("list")
def accounts_list(workspace: Annotated[str, typer.Option(help="Workspace name.")]) -> None:
    import sqlalchemy as sa

    from slideforge.models import Account

    runtime = _runtime()
    table = Table("id", "platform", "username", "status", "tags", "groups")
    with runtime.db.session() as session:
        ws = _workspace(session, workspace)
        for row in session.scalars(sa.select(Account).where(Account.workspace_id == ws.id)):
            groups = "/".join(g for g in (row.user_group, row.org_group) if g)
            table.add_row(
                str(row.id), row.platform, row.username, row.status, ",".join(row.tags), groups
            )
    console.print(table)


@credits_app.command("grant")
def credits_grant(
    amount: int,
    workspace: Annotated[str, typer.Option(help="Workspace name.")],
    reason: Annotated[str, typer.Option()] = "manual grant",
) -> None:
    """Add credits to a workspace for the current month."""
    from slideforge.billing import service as billing

    runtime = _runtime()
    with runtime.db.session() as session:
        ws = _workspace(session, workspace)
        try:
            billing.grant(session, ws.id, amount, reason, runtime.clock.now())
        except ValueError as exc:
            _fail(str(exc))
        console.print(f"granted {amount} credits to {ws.name!r}")


@analytics_app.command("chart")
def analytics_chart(
    workspace: Annotated[str, typer.Option(help="Workspace name.")],
    by: Annotated[
        str, typer.Option(help="hook | template | pack | account | slot | sound | variant")
    ] = "hook",
    metric: Annotated[
        str, typer.Option(help="views | likes | comments | shares | saves | engagement_rate")
    ] = "views",
    experiment: Annotated[str | None, typer.Option(help="Only this experiment's posts.")] = None,
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("out/analytics.png"),
) -> None:
    """Draw a metric over post age, one line per group, from the scheduled snapshots."""
    from slideforge.analytics.chart import draw_growth
    from slideforge.analytics.experiments import GROUPS, METRICS, growth_points
    from slideforge.kit.ids import parse_id

    if by not in GROUPS:
        _fail(f"--by {by!r}: use one of {', '.join(GROUPS)}")
    if metric not in METRICS:
        _fail(f"--metric {metric!r}: use one of {', '.join(METRICS)}")
    experiment_id = parse_id(experiment) if experiment else None
    if experiment and experiment_id is None:
        _fail(f"--experiment {experiment!r} is not an experiment id")
    runtime = _runtime()
    with runtime.db.session() as session:
        ws = _workspace(session, workspace)
        points = growth_points(
            session, ws.id, group_by=by, metric=metric, experiment_id=experiment_id
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"{metric} over post age, by {by}" + (" (one experiment)" if experiment else "")
    draw_growth(points, out, title, metric)
    groups = len({p.group for p in points})
    console.print(f"{len(points)} snapshots of {groups} {by} group(s) drawn to {out}")


@app.command()
def video(
    slideshow_id: Annotated[str, typer.Argument(help="The slideshow's id.")],
    seconds_per_slide: Annotated[int, typer.Option(help="1-10 seconds per slide.")] = 3,
    transition: Annotated[str, typer.Option(help="none | crossfade | slide")] = "crossfade",
    motion: Annotated[str, typer.Option(help="none | ken_burns")] = "none",
    fps: Annotated[int, typer.Option(help="24 or 30 frames a second.")] = 30,
    audio_file_id: Annotated[
        str | None, typer.Option(help="A file (POST /files) whose sound is the soundtrack.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the MP4 here.")] = None,
) -> None:
    """Make a slideshow's video here (rendering its slides first if needed), with a progress
    bar; the same as POST /slideshows/{id}/video, then GET until it ends."""
    from pydantic import ValidationError
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    from slideforge.kit.errors import ApiError
    from slideforge.slideshows import video as slideshow_video
    from slideforge.slideshows.schemas import VideoBody

    try:
        body = VideoBody.model_validate(
            {
                "seconds_per_slide": seconds_per_slide,
                "transition": transition,
                "motion": motion,
                "fps": fps,
                "audio_file_id": audio_file_id,
            }
        )
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    runtime = _runtime()
    try:
        with runtime.db.session() as session:
            video_id, attempt = slideshow_video.start_for_cli(session, runtime, slideshow_id, body)
    except ApiError as exc:
        _fail(f"{exc.error_code}: {exc.message}")
    columns = ("[progress.description]{task.description}", BarColumn(), TaskProgressColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("encoding", total=1.0)
        status = slideshow_video.make_video(
            runtime, video_id, attempt, lambda done: bar.update(task, completed=done)
        )
    with runtime.db.session() as session:
        row, file = slideshow_video.video_file(session, slideshow_id)
        if status != "succeeded" or file is None:
            _fail(f"the video {status}: {row.error_code}: {row.error_message}")
        data = runtime.storage.read(file.storage_key)
        console.print(
            f"video: {row.url} ({row.width}x{row.height}, {row.duration_seconds:g} s, "
            f"{len(data) / 1e6:.1f} MB)"
        )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        console.print(f"written to {out}")


@app.command()
def doctor() -> None:
    """Check the configuration for the real platforms (public URLs, media URL, credentials,
    the redirect URIs to register, databases, secrets, text libraries and fonts)."""
    from slideforge.publishing.doctor import run

    marks = {
        "ok": "[green]ok[/]",
        "info": "[cyan]→[/]",
        "warn": "[yellow]![/]",
        "fail": "[red]✗[/]",
    }
    checks = run(Settings())
    for check in checks:  # one line each, never cut: the redirect URIs are copied from here
        console.print(
            f"{marks[check.level]} [bold]{check.area}[/]: {check.message}",
            soft_wrap=True,
            highlight=False,
        )
    failed = sum(1 for check in checks if check.level == "fail")
    warned = sum(1 for check in checks if check.level == "warn")
    console.print(f"\n{failed} problem(s), {warned} warning(s)")
    raise typer.Exit(1 if failed else 0)


_BENCH_ALIASES = {"copy": "copy_tiktok"}


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Benchmark in benchmarks/: render, copy, scheduler…")],
) -> None:
    """Run a benchmark from the repository's benchmarks/ folder."""
    folder = Path.cwd() / "benchmarks"
    if not folder.is_dir():
        folder = Path(__file__).resolve().parents[2] / "benchmarks"
    files = {p.stem: p for p in folder.glob("*.py") if not p.stem.startswith("_")}
    # A file may not be named after a standard module (copy.py would shadow `copy` when run
    # directly), so some benchmarks answer to a shorter name.
    for short, stem in _BENCH_ALIASES.items():
        if stem in files:
            files[short] = files.pop(stem)
    if name == "all":  # `make bench`: each one in its own process (they start servers)
        failed = []
        for each in sorted(files):
            console.rule(f"slideforge bench {each}")
            done = subprocess.run([sys.executable, "-m", "slideforge.cli", "bench", each])
            if done.returncode != 0:
                failed.append(each)
        if failed:
            _fail(f"benchmarks that exited non-zero: {', '.join(failed)}")
        return
    if name not in files:
        _fail(
            f"no benchmark {name!r} in {folder}; available: all, "
            f"{', '.join(sorted(files)) or 'none'}"
        )
    spec = importlib.util.spec_from_file_location(f"benchmarks.{name}", files[name])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    raise typer.Exit(int(module.main(list(ctx.args)) or 0))


def _mount_optional() -> None:
    """Commands of features that may not be installed in every build."""
    if importlib.util.find_spec("slideforge.render.cli") is not None:
        from slideforge.render.cli import render_app

        app.add_typer(render_app, name="render")


def main() -> None:
    _mount_optional()
    app()


if __name__ == "__main__":
    main()
