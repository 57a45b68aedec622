"""CPU of an idle server (``slideforge bench idle``).

Starts ``slideforge serve`` (embedded mode: the DBOS queues run in the process) on a fresh
database, waits until it is up and settled (DBOS polls its schedules every second for the
first minute after launch, so the default settle is 65 s), then reads the process's CPU time
(``/proc/<pid>/stat``: user + system, every thread) over ``--seconds`` with no request at all
and prints it as a percentage of one core. ``--sandbox`` also runs the platform sandboxes in
the process (``serve --sandbox``); ``--no-workers`` runs the API alone (scaled mode).
Target: under 2 % of a core for the embedded mode.

The machine may be shared: the figure is the process's own CPU time, so other load only
matters through cache and scheduler effects; the load average is printed beside it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline

console = Console()
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" of the command: state is field 3; utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_server(
    database: str, *, sandbox: bool, workers: bool
) -> tuple[subprocess.Popen[bytes], Path, str]:
    data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"slideforge-idle-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir(parents=True)
    if database == "postgres":
        database_url = _pipeline.postgres_url(f"slideforge_idle_{uuid.uuid4().hex[:8]}")
    else:
        database_url = f"sqlite:///{data_dir / 'slideforge.sqlite'}"
    port = _pipeline.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDEFORGE_")}
    env.update(
        {
            "SLIDEFORGE_DATA_DIR": str(data_dir),
            "SLIDEFORGE_DATABASE_URL": database_url,
            "SLIDEFORGE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SLIDEFORGE_LOG_LEVEL": "WARNING",
        }
    )
    args = ["serve", "--port", str(port)]
    if sandbox:
        args.append("--sandbox")
    if not workers:
        args.append("--no-workers")
    log = open(data_dir / "serve.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "slideforge.cli", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited; see {data_dir / 'serve.log'}")
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return proc, data_dir, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server did not start; see {data_dir / 'serve.log'}")


def measure(
    database: str, *, sandbox: bool, workers: bool, settle: float, seconds: float
) -> dict[str, float]:
    proc, _data_dir, _ = start_server(database, sandbox=sandbox, workers=workers)
    try:
        time.sleep(settle)
        load_before = os.getloadavg()[0]
        cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, wall1 = cpu_seconds(proc.pid), time.monotonic()
        load_after = os.getloadavg()[0]
        threads = len(os.listdir(f"/proc/{proc.pid}/task"))
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "percent": 100.0 * (cpu1 - cpu0) / (wall1 - wall0),
        "cpu_s": cpu1 - cpu0,
        "wall_s": wall1 - wall0,
        "threads": threads,
        "load": max(load_before, load_after),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench idle", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured idle time")
    parser.add_argument(
        "--settle", type=float, default=65.0, help="wait after start before measuring"
    )
    parser.add_argument("--databases", default="sqlite", help="sqlite and/or postgres")
    parser.add_argument(
        "--modes",
        default="embedded",
        help="embedded (workers in the process), sandbox (embedded + sandboxes), api (no workers)",
    )
    args = parser.parse_args(argv)
    table = Table("database", "mode", "CPU % of a core", "CPU s", "wall s", "threads", "load avg")
    worst = 0.0
    for database in args.databases.split(","):
        for mode in args.modes.split(","):
            console.print(
                f"[bold]{database}, {mode}[/bold]: settling {args.settle:.0f} s, "
                f"measuring {args.seconds:.0f} s"
            )
            r = measure(
                database,
                sandbox=mode == "sandbox",
                workers=mode != "api",
                settle=args.settle,
                seconds=args.seconds,
            )
            worst = max(worst, r["percent"])
            table.add_row(
                database,
                mode,
                f"{r['percent']:.2f}",
                f"{r['cpu_s']:.2f}",
                f"{r['wall_s']:.1f}",
                str(int(r["threads"])),
                f"{r['load']:.2f}",
            )
    console.print(table)
    console.print(f"target: under 2 % of a core ({'met' if worst < 2.0 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
