"""Correctly signed but strangely shaped bodies never get a 500 and never stop the worker.

Bodies are generated from the platforms' own field names with random shapes and types (fixed seed).
"""

from __future__ import annotations

import json
import random

from sqlmodel import select

from storage.models import Message
from tests.harness import running_hub, wait_until
from tests.simulators.signing import facebook_webhook, telegram_webhook, zalo_signature

APP_ID, OA_ID, OA_SECRET = "1234567890", "579745863508352884", "oa-secret-key-xyz"
PAGE_ID, FB_SECRET = "112233445566", "fb-app-secret-123"
BOT_TOKEN, TG_SECRET = "123456789:AAEsimulatedTokenForTests_abcdefghij", "tg-secret-token-1"

FIELDS = ["app_id", "event_name", "sender", "recipient", "message", "msg_id", "text", "attachments", "payload",
          "url", "coordinates", "latitude", "longitude", "timestamp", "follower", "oa_id", "info", "entry",
          "messaging", "standby", "changes", "id", "mid", "quick_reply", "postback", "is_echo", "update_id",
          "chat", "from", "callback_query", "data", "location", "photo", "value", "field", "type"]
EVENTS = ["user_send_text", "user_send_image", "user_send_location", "follow", "unfollow", "user_submit_info",
          "oa_send_text", "user_received_message", "user_seen_message", "nonsense"]


def shape(rng: random.Random, depth: int = 0):
    choice = rng.random()
    if depth > 3 or choice < 0.3:
        return rng.choice([None, True, 0, -1, 1.5, "", "x" * rng.randint(1, 40), "Xin chào", [], {}, 10**20])
    if choice < 0.5:
        return [shape(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(FIELDS): shape(rng, depth + 1) for _ in range(rng.randint(1, 5))}


def zalo_body(rng: random.Random) -> dict:
    body = {k: shape(rng, 1) for k in rng.sample(FIELDS, 4)}
    body.update(app_id=APP_ID, event_name=rng.choice(EVENTS), timestamp=str(rng.randint(0, 2 * 10**12)))
    if rng.random() < 0.8:
        body["recipient"] = {"id": OA_ID} if rng.random() < 0.7 else shape(rng, 1)
    return body


async def test_random_signed_bodies_never_500(tmp_path):
    rng = random.Random(20261122)
    async with running_hub(f"sqlite:///{tmp_path / 'hub.db'}") as h:
        await h.add_unit("XA1", "UBND xã Một")
        await h.add_channel("zalo", "XA1", "zalo", OA_ID, {"oa_id": OA_ID, "app_id": APP_ID,
                                                           "oa_secret_key": OA_SECRET, "app_secret": "s",
                                                           "access_token": "a", "refresh_token": "r"})
        await h.add_channel("fb", "XA1", "facebook", PAGE_ID, {"page_id": PAGE_ID, "app_secret": FB_SECRET,
                                                               "page_token": "t", "verify_token": "v"})
        tg = await h.add_channel("tg", "XA1", "telegram", "123456789", {"bot_token": BOT_TOKEN,
                                                                       "secret_token": TG_SECRET})
        statuses: list[int] = []
        for _ in range(120):
            body = zalo_body(rng)
            raw = json.dumps(body).encode()
            mac = zalo_signature(APP_ID, raw, body["timestamp"], OA_SECRET)
            resp = await h.client.post("/webhooks/zalo", data=raw, headers={"X-ZEvent-Signature": f"mac={mac}"})
            statuses.append(resp.status)

            fb = {"object": rng.choice(["page", "user", 5]),
                  "entry": [{"id": PAGE_ID, **{k: shape(rng, 2) for k in rng.sample(FIELDS, 3)}}
                            for _ in range(rng.randint(0, 2))]}
            raw, headers = facebook_webhook(FB_SECRET, fb)
            statuses.append((await h.client.post("/webhooks/facebook", data=raw, headers=headers)).status)

            update = {"update_id": rng.choice([rng.randint(1, 10**6), "x", None]),
                      **{k: shape(rng, 1) for k in rng.sample(["message", "callback_query", "edited_message",
                                                                "my_chat_member", "chat", "from"], 2)}}
            raw, headers = telegram_webhook(TG_SECRET, update)
            statuses.append((await h.client.post(f"/webhooks/telegram/{tg.id}", data=raw,
                                                 headers=headers)).status)

            web = {k: shape(rng, 1) for k in rng.sample(["session", "text", "payload", "client_id"], 3)}
            statuses.append((await h.client.post("/api/webchat/nope/messages", json=web)).status)
        assert all(s < 500 for s in statuses), sorted(set(statuses))
        assert 200 in statuses and any(400 <= s < 500 for s in statuses)

        # Whatever was accepted is worked off without crashing the worker.
        await wait_until(lambda: _drained(h), timeout=30, what="queue drained")
        async with h.hub.sessions() as s:
            assert (await s.exec(select(Message).where(Message.direction == "in"))).first() is not None
        assert await h.hub.queue.dead_jobs("inbound") == []


async def _drained(h) -> bool:
    return await h.hub.queue.pending_count("inbound") == 0
