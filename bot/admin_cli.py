"""``coso unit|channel|staff|citizen|outbox``: administration from the command line."""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path

from sqlmodel import col, select

from bot.cli_support import CliError, unit_or_fail, with_session
from bot.logsetup import register_channel_secrets
from bot.settings import Settings
from bot.timefmt import vn_time
from storage import repo
from storage.db import make_async_engine
from storage.models import Channel, StaffUser, Unit

# ---------------------------------------------------------------- unit

async def unit_add(settings: Settings, args: argparse.Namespace) -> None:
    async def run(session) -> None:  # type: ignore[no-untyped-def]
        if await repo.unit_by_code(session, args.code):
            raise CliError(f"Đơn vị {args.code} đã có / unit {args.code} exists")
        parent = await unit_or_fail(session, args.parent) if args.parent else None
        session.add(Unit(code=args.code, name=args.name, kind=args.kind, parent_id=parent.id if parent else None))
        print(f"Đã thêm đơn vị {args.code} — {args.name} ({args.kind})")

    await with_session(settings, run)


async def unit_list(settings: Settings, args: argparse.Namespace) -> None:
    async def run(session) -> None:  # type: ignore[no-untyped-def]
        units = (await session.exec(select(Unit).order_by(col(Unit.id)))).all()
        by_id = {u.id: u for u in units}
        for u in units:
            parent = by_id.get(u.parent_id)
            print(f"{u.code}\t{u.kind}\t{u.name}\t{parent.code if parent else '-'}")

    await with_session(settings, run)


# ---------------------------------------------------------------- channel

CHANNEL_FIELDS = {
    "zalo": (["oa_id", "app_id", "oa_secret_key", "app_secret", "access_token", "refresh_token"], "oa_id"),
    "facebook": (["page_id", "app_secret", "page_token", "verify_token"], "page_id"),
    "telegram": (["bot_token", "secret_token"], None),
    "webchat": (["slug"], "slug"),
}


async def channel_add(settings: Settings, args: argparse.Namespace) -> None:
    fields, external_field = CHANNEL_FIELDS[args.platform]
    config = {f: getattr(args, f) for f in fields}
    missing = [f"--{f.replace('_', '-')}" for f, v in config.items() if not v]
    if missing:
        raise CliError("Thiếu / missing: " + ", ".join(missing))
    register_channel_secrets(config)
    if args.platform == "telegram":
        external_id = config["bot_token"].split(":", 1)[0]
        if not external_id.isdigit():
            raise CliError("Mã bot Telegram không hợp lệ / invalid bot token")
    else:
        external_id = config[external_field]  # type: ignore[index]
    if args.platform == "zalo":
        config["access_expires_at"] = 0  # unknown: refreshed on first use
    if args.platform == "webchat":
        config = {}
    if getattr(args, "human_agent", False):
        config["human_agent"] = True

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        unit = await unit_or_fail(session, args.unit)
        if await repo.channel_by_external(session, args.platform, external_id):
            raise CliError(f"Kênh {args.platform} {external_id} đã có / channel exists")
        channel = Channel(unit_id=unit.id, platform=args.platform, external_id=external_id,
                          name=args.name or f"{args.platform} {unit.name}", config=config)
        session.add(channel)
        await session.flush()
        print(f"Đã thêm kênh #{channel.id} {args.platform} {external_id} cho {unit.code}")
        if args.platform == "telegram":
            print(f"Webhook: {settings.public_url.rstrip('/')}/webhooks/telegram/{channel.id}")
        elif args.platform == "zalo":
            print(f"Webhook: {settings.public_url.rstrip('/')}/webhooks/zalo")
        elif args.platform == "facebook":
            print(f"Webhook: {settings.public_url.rstrip('/')}/webhooks/facebook")
        else:
            print(f"Trang trò chuyện: {settings.public_url.rstrip('/')}/chat/{external_id}")

    await with_session(settings, run)


async def channel_list(settings: Settings, args: argparse.Namespace) -> None:
    async def run(session) -> None:  # type: ignore[no-untyped-def]
        units = {u.id: u.code for u in (await session.exec(select(Unit))).all()}
        for c in (await session.exec(select(Channel).order_by(col(Channel.id)))).all():
            state = "cần cấp quyền lại" if c.needs_reauth else ("hoạt động" if c.active else "tắt")
            print(f"#{c.id}\t{c.platform}\t{c.external_id}\t{units.get(c.unit_id)}\t{state}")

    await with_session(settings, run)


async def channel_set_tokens(settings: Settings, args: argparse.Namespace) -> None:
    """Zalo: store a newly authorised token pair and clear "needs re-authorisation"."""
    register_channel_secrets({"access_token": args.access_token, "refresh_token": args.refresh_token})

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        channel = await session.get(Channel, args.id)
        if channel is None or channel.platform != "zalo":
            raise CliError(f"#{args.id} không phải kênh Zalo / not a Zalo channel")
        channel.config = {**channel.config, "access_token": args.access_token,
                          "refresh_token": args.refresh_token, "access_expires_at": 0}
        channel.needs_reauth, channel.status_note = False, None
        session.add(channel)
        print(f"Đã cập nhật mã truy cập cho OA {channel.external_id}; kênh hoạt động trở lại.")

    await with_session(settings, run)


async def channel_set_webhook(settings: Settings, args: argparse.Namespace) -> None:
    """Telegram: register our webhook URL and secret with the Bot API; others: print where to enter it."""
    from connectors.telegram import TelegramConnector

    async def run(session) -> Channel:  # type: ignore[no-untyped-def]
        channel = await session.get(Channel, args.id)
        if channel is None:
            raise CliError(f"Không có kênh #{args.id} / unknown channel")
        return channel

    channel = await with_session(settings, run)
    base = settings.public_url.rstrip("/")
    if channel.platform != "telegram":  # type: ignore[union-attr]
        path = {"zalo": "/webhooks/zalo", "facebook": "/webhooks/facebook"}.get(channel.platform, "")  # type: ignore[union-attr]
        print(f"Nhập địa chỉ webhook {base}{path} trong trang quản trị của nền tảng.")
        return
    url = f"{base}/webhooks/telegram/{channel.id}"  # type: ignore[union-attr]
    connector = TelegramConnector(settings)
    try:
        await connector.set_webhook(channel, url)  # type: ignore[arg-type]
    except Exception as exc:  # SendError from the connector: say it plainly
        raise CliError(f"Không đăng ký được webhook Telegram / setWebhook failed: {exc}") from None
    finally:
        await connector.close()
    print(f"Đã đăng ký webhook Telegram: {url}")


# ---------------------------------------------------------------- staff

async def staff_add(settings: Settings, args: argparse.Namespace) -> None:
    from bot.seed import hash_password

    if args.role != "admin" and not args.unit:
        raise CliError("Cán bộ cần thuộc một đơn vị: --unit CODE / staff need --unit")
    password = args.password or secrets.token_urlsafe(12)

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        if (await session.exec(select(StaffUser).where(StaffUser.username == args.username))).first():
            raise CliError(f"Tên đăng nhập {args.username} đã có / username exists")
        unit = await unit_or_fail(session, args.unit) if args.unit else None
        session.add(StaffUser(username=args.username, full_name=args.full_name or args.username,
                              password_hash=hash_password(password), role=args.role,
                              unit_id=unit.id if unit else None))
    await with_session(settings, run)
    print(f"Đã tạo tài khoản {args.username} ({args.role})"
          + ("" if args.password else f", mật khẩu: {password} (chỉ hiện một lần)"))


async def staff_list(settings: Settings, args: argparse.Namespace) -> None:
    async def run(session) -> None:  # type: ignore[no-untyped-def]
        units = {u.id: u.code for u in (await session.exec(select(Unit))).all()}
        for u in (await session.exec(select(StaffUser).order_by(col(StaffUser.id)))).all():
            print(f"{u.username}\t{u.role}\t{units.get(u.unit_id, '-')}\t{'hoạt động' if u.active else 'khóa'}")

    await with_session(settings, run)


# ---------------------------------------------------------------- citizens' personal data

async def _citizen_id(session, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from storage.privacy import find_identity

    identity = await find_identity(session, args.channel, args.user)
    if identity is None:
        raise CliError(f"Không tìm thấy người dùng {args.user} trên kênh #{args.channel} / citizen not found")
    return identity.citizen_id


async def citizen_export(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import export_citizen

    async def run(session) -> dict:  # type: ignore[no-untyped-def]
        return await export_citizen(session, await _citizen_id(session, args))

    data = json.dumps(await with_session(settings, run), ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(data, encoding="utf-8")
    else:
        print(data)


async def citizen_delete(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import delete_citizen

    if not args.yes:
        raise CliError("Xóa dữ liệu là không thể hoàn tác: thêm --yes để xác nhận / add --yes to confirm")

    async def run(session) -> int:  # type: ignore[no-untyped-def]
        return await delete_citizen(session, await _citizen_id(session, args))

    count = await with_session(settings, run)
    print(f"Đã xóa dữ liệu cá nhân của người dùng {args.user} ({count} tin nhắn đã được xóa nội dung).")


async def citizen_purge(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import purge_old_messages

    async def run(session) -> int:  # type: ignore[no-untyped-def]
        return await purge_old_messages(session, args.older_than_days)

    count = await with_session(settings, run)
    print(f"Đã xóa nội dung {count} tin nhắn cũ hơn {args.older_than_days} ngày.")


# ---------------------------------------------------------------- outbox

async def outbox_failed(settings: Settings, args: argparse.Namespace) -> None:
    from bot.queue import make_queue

    async def run(session) -> None:  # type: ignore[no-untyped-def]
        rows = await repo.failed_outbound(session, args.limit)
        if not rows:
            print("Không có tin nhắn gửi lỗi / no failed messages")
        for m in rows:
            state = "ngoài thời hạn tương tác" if m.status == "window_expired" else "gửi lỗi"
            when = vn_time(m.created_at)
            print(f"#{m.id}\t{when}\tkênh {m.channel_id}\t{state}\t{m.attempts} lần\t{m.error or ''}\t"
                  f"{(m.text or '')[:60]!r}")

    await with_session(settings, run)
    if args.queue:  # jobs the queue gave up on (handler bugs), beside the messages above
        engine = make_async_engine(settings.database_url)
        queue = make_queue(settings, engine)
        await queue.start()
        try:
            for name in ("inbound", "outbox"):
                for dead in await queue.dead_jobs(name, args.limit):
                    print(f"[{name}] {dead.key}\t{dead.reason}\t{json.dumps(dead.payload, ensure_ascii=False)[:120]}")
        finally:
            await queue.close()
            await engine.dispose()

async def outbox_retry(settings: Settings, args: argparse.Namespace) -> None:
    """Send failed messages again (after a channel was re-authorised, say)."""
    from bot.outbox import NotRetryable, reset_failed
    from bot.pipeline import OUTBOX
    from bot.queue import make_queue

    async def run(session) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
        try:
            return [await reset_failed(session, message_id) for message_id in args.ids]
        except NotRetryable as exc:
            raise CliError(str(exc)) from None

    jobs = await with_session(settings, run)
    engine = make_async_engine(settings.database_url)
    queue = make_queue(settings, engine)
    await queue.start()
    try:
        await queue.enqueue_many(OUTBOX, jobs)
    finally:
        await queue.close()
        await engine.dispose()
    print(f"Đã xếp {len(jobs)} tin nhắn để gửi lại / queued for sending again.")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    unit = sub.add_parser("unit", help="đơn vị").add_subparsers(dest="action", required=True)
    ua = unit.add_parser("add")
    ua.add_argument("code")
    ua.add_argument("name")
    ua.add_argument("--parent")
    ua.add_argument("--kind", choices=["province", "commune", "village"], default="commune")
    ua.set_defaults(func=unit_add)
    unit.add_parser("list").set_defaults(func=unit_list)

    channel = sub.add_parser("channel", help="kênh").add_subparsers(dest="action", required=True)
    ca = channel.add_parser("add").add_subparsers(dest="platform", required=True)
    for platform, (fields, _) in CHANNEL_FIELDS.items():
        cp = ca.add_parser(platform)
        cp.add_argument("--unit", required=True)
        cp.add_argument("--name")
        for f in fields:
            cp.add_argument("--" + f.replace("_", "-"), dest=f)
        if platform == "facebook":
            cp.add_argument("--human-agent", dest="human_agent", action="store_true",
                            help="the app passed review for HUMAN_AGENT: staff answers may go out up to 7 days")
        cp.set_defaults(func=channel_add)
    channel.add_parser("list").set_defaults(func=channel_list)
    ct = channel.add_parser("set-tokens", help="Zalo: cặp mã truy cập mới sau khi cấp quyền lại")
    ct.add_argument("id", type=int)
    ct.add_argument("--access-token", required=True)
    ct.add_argument("--refresh-token", required=True)
    ct.set_defaults(func=channel_set_tokens)
    cw = channel.add_parser("set-webhook", help="đăng ký webhook (Telegram: gọi setWebhook)")
    cw.add_argument("id", type=int)
    cw.set_defaults(func=channel_set_webhook)

    staff = sub.add_parser("staff", help="tài khoản cán bộ").add_subparsers(dest="action", required=True)
    sa = staff.add_parser("add")
    sa.add_argument("username")
    sa.add_argument("--unit")
    sa.add_argument("--role", choices=["admin", "province_officer", "officer", "staff"], default="staff")
    sa.add_argument("--full-name", dest="full_name")
    sa.add_argument("--password")
    sa.set_defaults(func=staff_add)
    staff.add_parser("list").set_defaults(func=staff_list)

    citizen = sub.add_parser("citizen", help="dữ liệu cá nhân của người dân").add_subparsers(
        dest="action", required=True)
    for name, fn in (("export", citizen_export), ("delete", citizen_delete)):
        cp = citizen.add_parser(name)
        cp.add_argument("--channel", type=int, required=True, help="số kênh (coso channel list)")
        cp.add_argument("--user", required=True, help="mã người dùng trên nền tảng")
        if name == "export":
            cp.add_argument("--output", "-o")
        else:
            cp.add_argument("--yes", action="store_true")
        cp.set_defaults(func=fn)
    cp = citizen.add_parser("purge", help="xóa nội dung tin nhắn cũ")
    cp.add_argument("--older-than-days", type=int, required=True)
    cp.set_defaults(func=citizen_purge)

    outbox = sub.add_parser("outbox", help="tin gửi đi").add_subparsers(dest="action", required=True)
    of = outbox.add_parser("failed", help="tin gửi lỗi (dead letter) và ngoài thời hạn tương tác")
    of.add_argument("--limit", type=int, default=100)
    of.add_argument("--queue", action="store_true", help="cũng liệt kê việc hỏng trong hàng đợi")
    of.set_defaults(func=outbox_failed)
    orr = outbox.add_parser("retry", help="gửi lại tin gửi lỗi")
    orr.add_argument("ids", type=int, nargs="+")
    orr.set_defaults(func=outbox_retry)
