"""Queue transport on Redis Streams with a consumer group (the scaled deployment).

Layout of one queue ``q`` (all keys share the hash tag ``{q}``, so one queue lives in one
Redis Cluster slot and every script touches declared keys of a single slot)::

    <prefix>q:{q}:seq        INCR counter: job ids
    <prefix>q:{q}:jobs       hash   job id -> {"k": key, "p": payload}   (every pending job)
    <prefix>q:{q}:attempts   hash   job id -> claims so far
    <prefix>q:{q}:tokens     hash   job id -> lease token of the current claim
    <prefix>q:{q}:key:<key>  list   job ids of one key, in enqueue order (head = current job)
    <prefix>q:{q}:stream     stream entries {"j": job id}; consumer group "workers"
    <prefix>q:{q}:delayed    zset   job id -> due time (ms), jobs waiting for a retry
    <prefix>q:{q}:dead       list   dead letters (JSON), newest first

Order per key: only the *head* of a key's list is ever in the stream. ``enqueue`` appends the
job to its key list and adds a stream entry only when the list was empty (the key was idle).
``ack`` / ``dead`` pop the head and add the next job of the key to the stream. So at most one
job per key is claimable or leased at any time, with any number of consumers and processes,
and keys never wait for each other (no head-of-line blocking between keys).

Retry: the job's stream entry is acked and deleted and the job id goes to the ``delayed``
zset; it stays the head of its key list, so the key stays blocked. When due, ``claim`` moves
it back into the stream.

Lease: a claimed entry sits in the group's pending list; an entry idle longer than the lease
is taken over with XAUTOCLAIM by the next ``claim`` (attempts + 1, new lease token). ack /
retry / dead check the token, so a consumer that lost its lease changes nothing.

Every state change is one Lua script (atomic). Waiting in ``claim`` is a blocking XREAD on
the stream after its newest entry (woken by any XADD), bounded by the next retry's due time
and by ``poll_interval`` (to notice expired leases).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.queue.base import DeadJob, Job

GROUP = "workers"
DEAD_KEEP = 10_000  # dead letters kept per queue

_ENQUEUE = """
-- KEYS: seq, jobs, stream, keylist_1 .. keylist_n   ARGV: job_json_1 .. job_json_n
for i = 1, #ARGV do
  local id = redis.call('INCR', KEYS[1])
  redis.call('HSET', KEYS[2], id, ARGV[i])
  if redis.call('RPUSH', KEYS[3 + i], id) == 1 then
    redis.call('XADD', KEYS[3], '*', 'j', id)
  end
end
return #ARGV
"""

_CLAIM = """
-- KEYS: stream, jobs, attempts, tokens, delayed   ARGV: group, consumer, lease_ms, token
local stream, jobs, attempts, tokens, delayed = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, consumer = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- retried jobs that are due go back into the stream
for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', delayed, id)
  redis.call('XADD', stream, '*', 'j', id)
end

local function take(entry)
  if type(entry) ~= 'table' or type(entry[2]) ~= 'table' then return nil end
  local entry_id, id = entry[1], entry[2][2]
  local data = redis.call('HGET', jobs, id)
  if not data then  -- stale entry (should not happen): drop it
    redis.call('XACK', stream, group, entry_id)
    redis.call('XDEL', stream, entry_id)
    return nil
  end
  local n = redis.call('HINCRBY', attempts, id, 1)
  redis.call('HSET', tokens, id, ARGV[4])
  return {'job', id, entry_id, data, n}
end

-- 1. entries whose lease ran out (their consumer died or is too slow)
local cursor = '0-0'
repeat
  local r = redis.call('XAUTOCLAIM', stream, group, consumer, ARGV[3], cursor, 'COUNT', 1)
  cursor = r[1]
  for _, e in ipairs(r[2]) do
    local job = take(e)
    if job then return job end
  end
until cursor == '0-0'

-- 2. new entries
for _ = 1, 10 do
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '>')
  if not r then break end
  local job = take(r[1][2][1])
  if job then return job end
end

-- nothing: tell the caller what to wait for
local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
local last_id = '0-0'
if last[1] then last_id = last[1][1] end
local due = -1
local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
if first[2] then due = math.max(0, tonumber(first[2]) - now) end
return {'wait', last_id, due}
"""

_FINISH = """
-- ack or dead.  KEYS: stream, jobs, attempts, tokens, keylist, dead
-- ARGV: group, job id, entry id, token, dead record ('' = ack), dead kept
local stream, id = KEYS[1], ARGV[2]
if redis.call('HGET', KEYS[4], id) ~= ARGV[4] then return 0 end
redis.call('XACK', stream, ARGV[1], ARGV[3])
redis.call('XDEL', stream, ARGV[3])
redis.call('HDEL', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
if redis.call('LINDEX', KEYS[5], 0) == id then
  redis.call('LPOP', KEYS[5])
  local nxt = redis.call('LINDEX', KEYS[5], 0)
  if nxt then redis.call('XADD', stream, '*', 'j', nxt) end
else
  redis.call('LREM', KEYS[5], 1, id)
end
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[6], ARGV[5])
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[6]) - 1)
end
return 1
"""

_RETRY = """
-- KEYS: stream, tokens, delayed   ARGV: group, job id, entry id, token, delay_ms
local id = ARGV[2]
if redis.call('HGET', KEYS[2], id) ~= ARGV[4] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('HDEL', KEYS[2], id)
local delay = tonumber(ARGV[5])
if delay <= 0 then
  redis.call('XADD', KEYS[1], '*', 'j', id)
else
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[3], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + delay, id)
end
return 1
"""


_EXTEND = """
-- KEYS: stream, tokens   ARGV: group, job id, entry id, token, consumer
-- The token is rewritten by every claim (a takeover included) and removed by ack / retry / dead.
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[4] then return 0 end
-- XCLAIM by the entry's own consumer with min-idle 0 resets its idle time (JUSTID: no delivery count)
local r = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[5], 0, ARGV[3], 'JUSTID')
if #r == 0 then return 0 end
return 1
"""


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms or 0), int(seq or 0)


class RedisQueue:
    """The ``Queue`` protocol on Redis Streams. One object may serve many consumer tasks."""

    def __init__(self, redis: Redis | str, *, prefix: str = "coso:", lease_seconds: float = 30.0,
                 poll_interval: float = 0.5) -> None:
        self._own_client = isinstance(redis, str)
        self.redis: Redis = Redis.from_url(redis) if isinstance(redis, str) else redis
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self._groups: set[str] = set()
        # One blocked reader per queue and process, and the newest entry id it has seen: a new
        # entry wakes one claimer of this process, not every idle one (no thundering herd).
        self._read_locks: dict[str, asyncio.Lock] = {}
        self._seen: dict[str, str] = {}
        self._enqueue = self.redis.register_script(_ENQUEUE)
        self._claim = self.redis.register_script(_CLAIM)
        self._finish = self.redis.register_script(_FINISH)
        self._retry = self.redis.register_script(_RETRY)
        self._extend = self.redis.register_script(_EXTEND)

    # -- keys ------------------------------------------------------------------------------
    def _k(self, queue: str, name: str) -> str:
        return f"{self.prefix}q:{{{queue}}}:{name}"

    def _keylist(self, queue: str, key: str) -> str:
        return self._k(queue, f"key:{key}")

    async def start(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        if self._own_client:
            await self.redis.aclose()

    async def _ensure_group(self, queue: str, *, force: bool = False) -> None:
        if queue in self._groups and not force:
            return
        try:
            await self.redis.xgroup_create(self._k(queue, "stream"), GROUP, id="0", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise
        self._groups.add(queue)

    # -- producing -------------------------------------------------------------------------
    async def enqueue(self, queue: str, key: str, payload: dict[str, Any]) -> None:
        await self.enqueue_many(queue, [(key, payload)])

    async def enqueue_many(self, queue: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        if not items:
            return
        keys = [self._k(queue, "seq"), self._k(queue, "jobs"), self._k(queue, "stream")]
        keys += [self._keylist(queue, key) for key, _ in items]
        args = [json.dumps({"k": key, "p": payload}, ensure_ascii=False) for key, payload in items]
        await self._enqueue(keys=keys, args=args)

    # -- consuming -------------------------------------------------------------------------
    async def claim(self, queue: str, consumer: str, timeout: float = 1.0) -> Job | None:
        await self._ensure_group(queue)
        deadline = time.monotonic() + max(timeout, 0.0)
        stream = self._k(queue, "stream")
        keys = [stream, self._k(queue, "jobs"), self._k(queue, "attempts"), self._k(queue, "tokens"),
                self._k(queue, "delayed")]
        while True:
            token = uuid.uuid4().hex
            args = [GROUP, consumer, int(self.lease_seconds * 1000), token]
            try:
                res = await self._claim(keys=keys, args=args)
            except ResponseError as e:
                if "NOGROUP" not in str(e):
                    raise
                await self._ensure_group(queue, force=True)  # the stream was deleted meanwhile
                continue
            kind = _s(res[0])
            if kind == "job":
                _, job_id, entry_id, data, attempts = res
                doc = json.loads(data)
                return Job(queue=queue, key=doc["k"], payload=doc["p"], id=_s(job_id), attempts=int(attempts),
                           meta={"token": token, "entry": _s(entry_id), "consumer": consumer})
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            wait = min(left, self.poll_interval)
            due_ms = int(res[2])
            if due_ms >= 0:
                wait = min(wait, due_ms / 1000)
            if wait > 0.001:
                await self._wait_for_entry(queue, stream, _s(res[1]), time.monotonic() + wait)
            else:
                await asyncio.sleep(0)

    async def _wait_for_entry(self, queue: str, stream: str, newest: str, until: float) -> None:
        """Block until an entry newer than any this process has seen arrives, or ``until``."""
        lock = self._read_locks.setdefault(queue, asyncio.Lock())
        async with lock:
            since = max(newest, self._seen.get(queue, "0-0"), key=_id_key)
            left = until - time.monotonic()
            if left <= 0.001:
                return
            found = await self.redis.xread({stream: since}, count=1, block=max(1, int(left * 1000)))
            if found:
                entry_id = _s(found[0][1][-1][0])
                self._seen[queue] = max(entry_id, self._seen.get(queue, "0-0"), key=_id_key)

    async def ack(self, job: Job) -> None:
        await self._finish_job(job, "")

    async def dead(self, job: Job, reason: str) -> None:
        record = json.dumps({"key": job.key, "payload": job.payload, "reason": reason, "failed_at": time.time()},
                            ensure_ascii=False)
        await self._finish_job(job, record)

    async def _finish_job(self, job: Job, dead_record: str) -> None:
        q = job.queue
        keys = [self._k(q, "stream"), self._k(q, "jobs"), self._k(q, "attempts"), self._k(q, "tokens"),
                self._keylist(q, job.key), self._k(q, "dead")]
        args = [GROUP, job.id, job.meta.get("entry", "0-0"), job.meta.get("token", ""), dead_record, DEAD_KEEP]
        await self._finish(keys=keys, args=args)

    async def extend(self, job: Job) -> bool:
        q = job.queue
        args = [GROUP, job.id, job.meta.get("entry", "0-0"), job.meta.get("token", ""), job.meta.get("consumer", "")]
        return bool(await self._extend(keys=[self._k(q, "stream"), self._k(q, "tokens")], args=args))

    async def retry(self, job: Job, delay: float) -> None:
        q = job.queue
        keys = [self._k(q, "stream"), self._k(q, "tokens"), self._k(q, "delayed")]
        args = [GROUP, job.id, job.meta.get("entry", "0-0"), job.meta.get("token", ""), int(max(delay, 0) * 1000)]
        await self._retry(keys=keys, args=args)

    # -- inspection ------------------------------------------------------------------------
    async def dead_jobs(self, queue: str, limit: int = 100) -> list[DeadJob]:
        """Dead letters of ``queue``, newest first."""
        raw = await self.redis.lrange(self._k(queue, "dead"), 0, max(limit, 1) - 1)
        out = []
        for item in raw:
            d = json.loads(item)
            out.append(DeadJob(queue=queue, key=d["key"], payload=d["payload"], reason=d["reason"],
                               failed_at=d["failed_at"]))
        return out

    async def dead_count(self, queue: str) -> int:
        return int(await self.redis.llen(self._k(queue, "dead")))

    async def pending_count(self, queue: str) -> int:
        return int(await self.redis.hlen(self._k(queue, "jobs")))


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
