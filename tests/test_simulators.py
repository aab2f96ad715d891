"""The simulators behave like the platforms where the connectors' tests rely on it."""

from __future__ import annotations

import json

import aiohttp

from tests.simulators import serve
from tests.simulators.graph import GraphSim
from tests.simulators.telegram import TelegramSim
from tests.simulators.zalo import ZaloSim


async def test_zalo_sim_tokens_and_validation():
    sim = ZaloSim()
    async with serve(sim.app) as url, aiohttp.ClientSession() as s:
        async def send(token, body):
            async with s.post(f"{url}/v3.0/oa/message/cs", json=body, headers={"access_token": token}) as r:
                assert r.status == 200  # errors too are HTTP 200
                return await r.json()

        ok = {"recipient": {"user_id": "u1"}, "message": {"text": "hi"}}
        assert (await send(sim.access_token, ok))["error"] == 0
        assert (await send("nope", ok))["error"] == -216
        assert (await send(sim.access_token, {"recipient": {"user_id": "u1"},
                                              "message": {"text": "x" * 2001}}))["error"] == -201
        form = {"refresh_token": sim.refresh_token, "app_id": sim.app_id, "grant_type": "refresh_token"}
        old_access = sim.access_token
        async with s.post(f"{url}/v4/oa/access_token", data=form, headers={"secret_key": sim.app_secret}) as r:
            pair = await r.json()
        assert pair["expires_in"] == "90000" and pair["access_token"] == sim.access_token
        assert (await send(old_access, ok))["error"] == -216
        async with s.post(f"{url}/v4/oa/access_token", data=form, headers={"secret_key": sim.app_secret}) as r:
            assert (await r.json())["error"] != 0  # single use
        sim.expire_access_token()
        assert (await send(sim.access_token, ok))["error"] == -220
        sim.followers = ["a", "b", "c"]
        sim.issue_tokens()
        q = json.dumps({"offset": 1, "count": 2, "is_follower": True})
        async with s.get(f"{url}/v3.0/oa/user/getlist", params={"data": q},
                         headers={"access_token": sim.access_token}) as r:
            data = (await r.json())["data"]
        assert data["total"] == 3 and data["users"] == [{"user_id": "b"}, {"user_id": "c"}]


async def test_graph_and_telegram_sims():
    g, t = GraphSim(), TelegramSim()
    async with serve(g.app) as gurl, serve(t.app) as turl, aiohttp.ClientSession() as s:
        body = {"recipient": {"id": "p"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
        async with s.post(f"{gurl}/v21.0/me/messages", json=body, params={"access_token": "bad"}) as r:
            assert r.status == 400 and (await r.json())["error"]["code"] == 190
        async with s.post(f"{gurl}/v21.0/me/messages", json=body, params={"access_token": g.page_token}) as r:
            assert r.status == 200 and (await r.json())["message_id"]
        async with s.post(f"{turl}/bot1:bad/getMe") as r:
            assert r.status == 401
        async with s.post(f"{turl}/bot{t.token}/sendMessage", json={"chat_id": 5, "text": "hi"}) as r:
            res = await r.json()
        assert res["ok"] and res["result"]["chat"]["id"] == 5
