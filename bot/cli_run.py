"""`tipbot run`: everything configured, in one process on one event loop.

- the web app (uvicorn): Slack's /slack/events and OAuth pages, Stripe webhooks, /healthz;
- every configured platform's long-running client (`Platform.start`): Slack Socket
  Mode when SLACK_APP_TOKEN is set, the Discord gateway when DISCORD_TOKEN is set;
- the payday scheduler (unless `scheduler = false`); any number of processes may run
  it, the database decides who runs each payday.

SIGINT or SIGTERM stops all of it cleanly: uvicorn finishes the requests in flight,
platforms disconnect, the scheduler is cancelled between steps, the pool is closed.
A platform or the web server failing to start stops the process with exit code 1; a
database it cannot reach at start, with exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from bot.cli_options import add_database_option, open_runtime
from bot.config import Settings
from bot.runtime import Runtime
from bot.scheduler import run_scheduler

if TYPE_CHECKING:
    import uvicorn

    from bot.config import Settings

log = logging.getLogger(__name__)

# Threads for asyncio.to_thread work outside the Slack commands (payday, stores, health);
# the Slack adapter runs its commands on a few threads of its own.
WORKER_THREADS = 8

def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="serve the web app, connect the configured platforms, run the payday scheduler",
        description="Start what the configuration enables: Slack (HTTP or Socket Mode), Discord, "
                    "Stripe webhooks and the payday scheduler. Stop with Ctrl-C or SIGTERM.")
    parser.add_argument("--host", default=None, help="listen address (default: $TIPBOT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="listen port (default: $TIPBOT_PORT or 8000)")
    parser.add_argument("--no-scheduler", action="store_true", help="do not run the payday scheduler here")
    add_database_option(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.no_scheduler:
        overrides["scheduler"] = False
    runtime = open_runtime(args, **overrides)
    # A database it cannot reach stops it before it serves: one line and exit 2 (bot/cli.py),
    # as every other command, instead of a web app whose scheduler fails every few seconds.
    runtime.ledger.ping()
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(serve(runtime))


def _loop_factory():
    """uvloop when installed (the `web` extra brings it): a faster loop for HTTP and Slack calls.
    Imported here because it is optional."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _web_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's Server without its own signal handling: `serve()` owns SIGINT/SIGTERM."""
    import uvicorn  # the `web` extra: `tipbot run` needs it, the core does not

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """uvicorn's own limits from the settings, and the header deadline it lacks (bot.edge)."""
    limits: dict[str, Any] = {"timeout_keep_alive": settings.http_keep_alive_seconds,
                              "limit_concurrency": settings.http_max_connections,
                              "h11_max_incomplete_event_size": settings.http_max_header_bytes}
    try:
        import httptools  # noqa: F401 - the `web` extra brings it; without it uvicorn uses h11
    except ImportError:
        log.warning("httptools is not installed: no deadline for request headers (pip install 'tipbot[web]')")
        return limits
    from bot.edge import header_timeout_protocol

    limits["http"] = header_timeout_protocol(settings.http_header_timeout_seconds, settings.http_max_header_bytes)
    return limits


async def serve(runtime: Runtime, *, stop: asyncio.Event | None = None,
                started: Callable[[int], None] | None = None) -> int:
    """Run until `stop` is set (or SIGINT/SIGTERM); returns the process exit code.

    `started(port)` is called once the web server listens (tests use port 0).
    """
    try:  # the `web` extra: the core installs without it (console, payday, ledger tools)
        import uvicorn

        from bot.web import build_app
    except ModuleNotFoundError as error:
        log.error("tipbot run needs the web server: pip install 'tipbot[web]' (%s is missing)", error.name)
        return 1

    try:
        app = build_app(runtime)
    except RuntimeError as error:  # a route provider's settings are incomplete (sign-in without a session secret)
        log.error("tipbot run can't start: %s", error)
        return 1
    settings = runtime.settings
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="tipbot"))
    signals = _install_signal_handlers(loop, stop)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="off",
                            log_level="info" if log.isEnabledFor(logging.INFO) else "warning",
                            access_log=log.isEnabledFor(logging.DEBUG), server_header=False,
                            **uvicorn_limits(settings))
    server = _web_server(config)
    tasks: dict[str, asyncio.Task] = {"web": asyncio.create_task(server.serve(), name="web")}
    started_platforms = []
    exit_code = 0
    try:
        while not server.started:
            if tasks["web"].done():
                raise RuntimeError(f"the web server could not start on {settings.host}:{settings.port}")
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        for name, platform in runtime.platforms.items():
            if platform.configured(runtime):
                tasks[f"platform:{name}"] = asyncio.create_task(platform.start(runtime), name=name)
                started_platforms.append(platform)
        payday = run_scheduler(runtime, stop) if settings.scheduler else None
        if payday is not None:
            tasks["scheduler"] = asyncio.create_task(payday, name="scheduler")
        names = ", ".join(p.name for p in started_platforms) or "none (see README: Slack, Discord)"
        print(f"Tipbot: web app on http://{settings.host}:{port}; platforms: {names}; payday scheduler "
              f"{'on' if payday is not None else 'off'}. Stop with Ctrl-C.", file=sys.stderr, flush=True)
        if started is not None:
            started(port)
        exit_code = await _watch(tasks, stop)
    except (Exception, SystemExit) as error:  # uvicorn exits when it cannot bind
        log.error("tipbot run failed: %s", error)
        exit_code = 1
    finally:
        exit_code = max(exit_code, await _shutdown(server, tasks, started_platforms))
        for sig in signals:
            loop.remove_signal_handler(sig)
        await asyncio.to_thread(runtime.ledger.dispose)
    return exit_code


async def _watch(tasks: dict[str, asyncio.Task], stop: asyncio.Event) -> int:
    """Wait for a stop request, or for a task to fail (a platform's start() may return when connected)."""
    waiting = asyncio.create_task(stop.wait())
    try:
        pending = set(tasks.values())
        while True:
            done, pending = await asyncio.wait(pending | {waiting}, return_when=asyncio.FIRST_COMPLETED)
            if waiting in done:
                return 0
            pending.discard(waiting)
            for task in done:
                name = task.get_name()
                if task.cancelled():
                    continue
                error = task.exception()
                if error is not None:
                    log.error("%s failed: %s", name, error, exc_info=error)
                    return 1
                if name == "web" or (name == "scheduler" and not stop.is_set()):
                    log.error("%s stopped unexpectedly", name)
                    return 1
    finally:
        waiting.cancel()


async def _shutdown(server: uvicorn.Server, tasks: dict[str, asyncio.Task], platforms: list) -> int:
    """Web first (finish the requests in flight), then the scheduler (it may be announcing a
    payday through the platforms), then platforms (they finish their replies)."""
    code = 0
    server.should_exit = True
    web = tasks["web"]
    try:
        await asyncio.wait_for(asyncio.shield(web), timeout=15)
    except asyncio.TimeoutError:
        log.warning("web requests still running after 15 s; forcing")
        server.force_exit = True
    except (Exception, SystemExit):  # noqa: BLE001 - reported when the web task failed
        pass
    payday = tasks.get("scheduler")
    if payday is not None and not payday.done():  # it saw `stop`; let it finish announcing a payday
        await asyncio.wait({payday}, timeout=10)
    for platform in platforms:
        try:
            await asyncio.wait_for(platform.stop(), timeout=20)
        except Exception as error:  # noqa: BLE001 - keep stopping the rest
            log.warning("stopping %s failed: %s", platform.name, error)
            code = 1
    for name, task in tasks.items():
        if name != "web" and not task.done():
            task.cancel()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks.values(), return_exceptions=True), timeout=15)
    except asyncio.TimeoutError:
        log.warning("shutdown timed out; forcing")
        server.force_exit = True
        web.cancel()
    return code


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list[int]:
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    return installed
