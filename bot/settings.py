"""Settings from the environment (``COSO_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COSO_", extra="ignore")

    database_url: str = "sqlite:///coso.db"
    redis_url: str | None = None  # unset: embedded transport (SQL table); set: Redis Streams
    redis_prefix: str = "coso:"
    redis_pool_size: int = 64
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    admin_password: str | None = None
    seed_demo: bool = True  # create the demo commune on first start of an empty database

    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    facebook_graph_base: str = "https://graph.facebook.com"
    facebook_graph_version: str = "v21.0"
    telegram_api_base: str = "https://api.telegram.org"

    max_body_bytes: int = 1024 * 1024
    faq_index_cache: int = Field(default=64, ge=1, description="FAQ indexes kept per process (one per unit asked)")
    workers: int = Field(default=8, description="jobs handled at a time per queue in a worker process")
    send_timeout: float = 10.0
    # Send replies straight from the inbound job (no outbox hop) when nothing older of the citizen waits.
    inline_send: bool = True
    send_max_attempts: int = 6
    retry_base_delay: float = 1.0
    retry_max_delay: float = 300.0
    lease_seconds: float = 30.0
    # Zalo: refresh the access token this many seconds before it expires.
    zalo_refresh_ahead: float = 3600.0

    # Rate limits per channel account (PLATFORMS.md figures as defaults).
    zalo_rate_per_minute: int = 4000
    facebook_rate_per_second: int = 300
    telegram_rate_per_second: int = 30
    telegram_rate_per_chat_per_second: float = 1.0

    # Citizens' message content is blanked after this many days (0: keep).
    retention_days: int = 365

    # GET /metrics (Prometheus) is off unless set; the scraper sends "Authorization: Bearer <token>".
    metrics_token: str | None = None

    log_level: str = "INFO"
    log_json: bool = False
