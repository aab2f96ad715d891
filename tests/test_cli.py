"""The `coso` command line: units, channels, staff, webhook registration, clear errors."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import sqlalchemy

from storage.db import make_sync_engine
from tests.simulators import start
from tests.simulators.telegram import TelegramSim

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456789:AAEsimulatedTokenForTests_abcdefghij"


async def coso(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", *args, cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env={**os.environ, **env})
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_units_channels_staff_and_errors(db_url):
    tg = TelegramSim(BOT_TOKEN)
    server = await start(tg.app)
    env = {"COSO_DATABASE_URL": db_url, "COSO_TELEGRAM_API_BASE": server.url,
           "COSO_PUBLIC_URL": "https://hub.example.vn"}
    try:
        assert (await coso(env, "unit", "add", "TINH", "Tỉnh Một", "--kind", "province"))[0] == 0
        code, out, _ = await coso(env, "unit", "add", "XA1", "UBND xã Một", "--parent", "TINH")
        assert code == 0 and "XA1" in out
        code, _, err = await coso(env, "unit", "add", "XA2", "Xã Hai", "--parent", "NOPE")
        assert code == 2 and "NOPE" in err
        code, _, err = await coso(env, "unit", "add", "XA1", "trùng")
        assert code == 2 and "đã có" in err
        code, out, _ = await coso(env, "unit", "list")
        assert "XA1\tcommune\tUBND xã Một\tTINH" in out

        code, out, err = await coso(env, "channel", "add", "telegram", "--unit", "XA1", "--bot-token", BOT_TOKEN,
                                    "--secret-token", "tg-secret-1")
        assert code == 0, err
        assert "https://hub.example.vn/webhooks/telegram/1" in out
        assert BOT_TOKEN not in out + err
        code, _, err = await coso(env, "channel", "add", "facebook", "--unit", "XA1", "--page-id", "1")
        assert code == 2 and "--app-secret" in err
        code, out, err = await coso(env, "channel", "add", "facebook", "--unit", "XA1", "--page-id", "55", "--app-secret",
                                    "fb-secret-1", "--page-token", "EAAG-page-1", "--verify-token", "vt-1",
                                    "--human-agent")
        assert code == 0, err
        engine = make_sync_engine(db_url)
        try:
            with engine.connect() as conn:
                config = conn.execute(sqlalchemy.text("SELECT config FROM channel WHERE external_id = '55'")).scalar_one()
        finally:
            engine.dispose()
        config = json.loads(config) if isinstance(config, str) else config
        assert config["human_agent"] is True and config["page_token"] == "EAAG-page-1"
        code, out, _ = await coso(env, "channel", "list")
        assert "#1\ttelegram\t123456789\tXA1\thoạt động" in out
        assert "#2\tfacebook\t55\tXA1" in out

        code, out, err = await coso(env, "channel", "set-webhook", "1")
        assert code == 0, err
        calls = [c for c in tg.calls if c.path.lower().endswith("/setwebhook")]
        assert len(calls) == 1
        params = calls[0].json or calls[0].form or {}
        assert params.get("url") == "https://hub.example.vn/webhooks/telegram/1"
        assert params.get("secret_token") == "tg-secret-1"

        code, out, err = await coso(env, "channel", "add", "zalo", "--unit", "XA1", "--oa-id", "777",
                                    "--app-id", "1", "--oa-secret-key", "k", "--app-secret", "s",
                                    "--access-token", "old-access-1", "--refresh-token", "old-refresh-1")
        assert code == 0, err
        code, out, err = await coso(env, "channel", "set-tokens", "3", "--access-token", "new-access-1",
                                    "--refresh-token", "new-refresh-1")
        assert code == 0 and "777" in out and "new-access-1" not in out + err
        code, _, err = await coso(env, "channel", "set-tokens", "1", "--access-token", "a", "--refresh-token", "b")
        assert code == 2 and "Zalo" in err

        code, out, err = await coso(env, "staff", "add", "canbo1", "--unit", "XA1")
        assert code == 0 and "mật khẩu" in out
        code, _, err = await coso(env, "staff", "add", "canbo2")
        assert code == 2 and "--unit" in err
        code, out, _ = await coso(env, "staff", "list")
        assert "canbo1\tstaff\tXA1" in out
    finally:
        await server.close()


async def test_bad_database_url_is_a_clear_error(tmp_path):
    code, _, err = await coso({"COSO_DATABASE_URL": "mysql://x@y/z"}, "unit", "list")
    assert code != 0 and "sqlite" in err.lower()
    assert "Traceback" not in err
