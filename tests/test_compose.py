"""docker-compose.yml stays valid, and each service runs a command the test suite runs (tests/test_processes.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_services_and_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "scheduler"} <= set(services)
    assert services["web"]["command"] == ["coso", "web"]
    assert services["worker"]["command"] == ["coso", "worker"]
    assert services["scheduler"]["command"] == ["coso", "scheduler"]
    redis_cmd = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_cmd  # acknowledged webhooks survive a Redis restart
    for name in ("web", "worker", "scheduler"):
        env = services[name]["environment"]
        assert env["COSO_DATABASE_URL"].startswith("postgresql://")
        assert env["COSO_REDIS_URL"].startswith("redis://")
    tested = (ROOT / "tests" / "test_processes.py").read_text()
    for command in ('"web"', '"worker"', '"scheduler"'):
        assert command in tested
