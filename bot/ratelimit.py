"""Per-key rate limiting shared by all workers (GCRA, "virtual scheduling").

``wait = await limiter.acquire(key, limit, period)`` reserves the caller's slot and returns
how long to wait before using it (0 = now)::

    await asyncio.sleep(await limiter.acquire(f"zalo:{oa_id}", 4000, 60))
    await send(...)

Each key keeps a theoretical arrival time (TAT). Slots are spaced ``period / limit`` apart,
and up to ``burst`` slots may be taken at once when the key has been idle. The default
``burst=1`` (even spacing) guarantees that no window of length ``period`` ever holds more
than ``limit`` slots, which is what platform limits ("30 per second") mean; a larger burst
lets short bursts through at the cost of up to ``limit + burst - 1`` slots in some window.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.settings import Settings


class RateLimiter(Protocol):
    async def acquire(self, key: str, limit: int, period: float, *, burst: int = 1) -> float:
        """Reserve the next slot of ``key`` (at most ``limit`` per ``period`` seconds);
        return the seconds to wait before using it."""
        ...


def _interval(limit: int, period: float, burst: int) -> tuple[float, float]:
    if limit <= 0 or period <= 0:
        raise ValueError("limit and period must be positive")
    interval = period / limit
    return interval, interval * (max(1, min(burst, limit)) - 1)  # (emission interval, tolerance)


class MemoryRateLimiter:
    """In-process limiter (embedded deployment: one process)."""

    def __init__(self, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock
        self._tat: dict[str, float] = {}

    async def acquire(self, key: str, limit: int, period: float, *, burst: int = 1) -> float:
        interval, tolerance = _interval(limit, period, burst)
        now = self._clock()
        if len(self._tat) > 10_000:  # forget idle keys
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        tat = max(self._tat.get(key, now), now)
        start = tat - tolerance  # the earliest moment this slot may be used
        self._tat[key] = tat + interval
        return max(0.0, start - now)


_GCRA = """
-- KEYS[1]: tat key   ARGV: interval_us, tolerance_us
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < now then tat = now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
return wait
"""


class RedisRateLimiter:
    """Limiter shared by every process through Redis: one Lua script, Redis' clock."""

    def __init__(self, redis: Redis, *, prefix: str = "coso:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_GCRA)

    async def acquire(self, key: str, limit: int, period: float, *, burst: int = 1) -> float:
        interval, tolerance = _interval(limit, period, burst)
        wait_us = await self._script(keys=[f"{self.prefix}rl:{key}"],
                                     args=[int(interval * 1_000_000), int(tolerance * 1_000_000)])
        return int(wait_us) / 1_000_000


def make_rate_limiter(settings: Settings, redis: Redis | None) -> RateLimiter:
    if redis is not None:
        return RedisRateLimiter(redis, prefix=settings.redis_prefix)
    return MemoryRateLimiter()
