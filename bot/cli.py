"""The ``coso`` command line: processes, and the command groups of bot/admin_cli.py and bot/faq_cli.py.

Every command first creates or migrates the database (Alembic).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable

from sqlalchemy.exc import IntegrityError, OperationalError

from bot import admin_cli, faq_cli
from bot.cli_support import CliError
from bot.logsetup import setup_logging
from bot.settings import Settings
from storage.db import make_async_engine, migrate, session_factory, session_scope

log = logging.getLogger("coso")


# ---------------------------------------------------------------- processes

async def _run_processes(settings: Settings, *, web: bool, worker: bool, scheduler: bool) -> None:
    from aiohttp import web as aioweb

    from bot.hub import Hub
    from bot.scheduler import run_scheduler
    from bot.web import create_app
    from bot.worker import run_worker

    if web:
        await _first_start(settings)
    hub = await Hub.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = None
    tasks = []
    try:
        if web:
            runner = aioweb.AppRunner(create_app(hub), access_log=None)
            await runner.setup()
            await aioweb.TCPSite(runner, settings.host, settings.port).start()
            print(f"Cơ Sở Hub đang chạy tại http://{settings.host}:{settings.port} "
                  f"(trò chuyện thử: http://{settings.host}:{settings.port}/chat)", flush=True)
        if worker:
            tasks.append(asyncio.create_task(run_worker(hub, stop)))
        if scheduler:
            tasks.append(asyncio.create_task(run_scheduler(hub, stop)))
        log.info("ready: web=%s worker=%s scheduler=%s", web, worker, scheduler)
        await stop.wait()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        await hub.close()


async def _first_start(settings: Settings) -> None:
    from bot.seed import ensure_admin, seed_demo

    engine = make_async_engine(settings.database_url)
    try:
        try:
            async with session_scope(session_factory(engine)) as session:
                seeded = settings.seed_demo and await seed_demo(session)
                generated = await ensure_admin(session, settings.admin_password)
        except IntegrityError:  # another web process started at the same moment and did it
            return
        if seeded:
            print("Đã tạo đơn vị mẫu “UBND xã Demo” (mã XA-DEMO) với bộ câu hỏi thường gặp.", flush=True)
        if generated:
            print("Tài khoản cán bộ quản trị / staff login: admin / " + generated
                  + "  (chỉ hiện một lần — hãy lưu lại / shown once, keep it)", flush=True)
    finally:
        await engine.dispose()



# ---------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coso", description="Cơ Sở Hub")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_ in [("serve", "chạy tất cả trong một tiến trình (web, worker, scheduler)"),
                        ("web", "chỉ nhận webhook và phục vụ web"), ("worker", "chỉ xử lý hàng đợi"),
                        ("scheduler", "chỉ chạy lịch")]:
        sp = sub.add_parser(name, help=help_)
        sp.set_defaults(func=None, process=name)

    admin_cli.add_parsers(sub)
    faq_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        if getattr(args, "command", None) == "faq" and getattr(args, "action", None) == "eval":
            return int(args.func(settings, args) or 0)  # in-memory, no database
        try:
            migrate(settings.database_url)
        except ValueError as exc:
            raise CliError(f"COSO_DATABASE_URL không hợp lệ / invalid database URL: {exc}") from None
        except OperationalError as exc:
            raise CliError("Không kết nối được cơ sở dữ liệu / cannot reach the database: "
                           f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}") from None
        if getattr(args, "process", None):
            p = args.process
            asyncio.run(_run_processes(settings, web=p in ("serve", "web"), worker=p in ("serve", "worker"),
                                       scheduler=p in ("serve", "scheduler")))
            return 0
        result = args.func(settings, args)
        if isinstance(result, Awaitable):
            result = asyncio.run(result)  # type: ignore[arg-type]
        return int(result or 0)
    except CliError as exc:
        print(f"Lỗi / error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "CliError"]

