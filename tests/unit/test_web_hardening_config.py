"""Settings and start-up for issue 10: the API token rules, the shop binding's domain, the
opt-out flag read from the environment, and the limits `shipflow serve` gives uvicorn."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from shipflow import cli
from shipflow.config import Settings


def test_api_token_rules() -> None:
    assert "SHIPFLOW_API_TOKEN" in (Settings().api_access_problem() or "")
    assert "at least 32" in (Settings(api_token="x" * 31).api_access_problem() or "")
    assert Settings(api_token="x" * 32).api_access_problem() is None
    assert Settings(api_insecure=True).api_access_problem() is None
    assert Settings(api_token="short", api_insecure=True).api_access_problem() is not None


def test_the_opt_out_and_the_cap_come_from_the_environment() -> None:
    env = {"SHIPFLOW_API_INSECURE": "1", "SHIPFLOW_UNAUTHENTICATED_REJECTIONS_MAX": "50"}
    settings = Settings.from_env(env)
    assert settings.api_insecure is True and settings.unauthenticated_rejections_max == 50
    assert Settings.from_env({"SHIPFLOW_API_INSECURE": "0"}).api_insecure is False
    assert Settings.from_env({}).unauthenticated_rejections_max == 10_000


@pytest.mark.parametrize(("url", "domain", "expected"), [
    ("https://Snowdevil.myshopify.com", "", "snowdevil.myshopify.com"),
    ("snowdevil.myshopify.com", "", "snowdevil.myshopify.com"),
    ("http://127.0.0.1:8100/shopify", "shipflow-demo.myshopify.com", "shipflow-demo.myshopify.com"),
    ("", "", ""),
])
def test_expected_shop_domain(url: str, domain: str, expected: str) -> None:
    assert Settings(shopify_shop_url=url, shopify_shop_domain=domain).expected_shop_domain == expected


def test_serve_refuses_an_open_api_and_short_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHIPFLOW_API_TOKEN", "SHIPFLOW_API_INSECURE"):
        monkeypatch.delenv(name, raising=False)
    required = {"SHIPFLOW_SHOPIFY_SHOP_URL": "http://127.0.0.1:9/shopify",
                "SHIPFLOW_SHOPIFY_ACCESS_TOKEN": "shpat_x", "SHIPFLOW_SHOPIFY_WEBHOOK_SECRET": "s",
                "SHIPFLOW_SHIPSTATION_API_KEY": "k", "SHIPFLOW_SHIPSTATION_API_SECRET": "s",
                "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN": "t", "SHIPFLOW_KLAVIYO_API_KEY": "pk_x",
                "SHIPFLOW_DATABASE_URL": "sqlite:///:memory:"}
    for name, value in required.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.app, ["serve", "--port", "9"])
    assert result.exit_code == 2 and "SHIPFLOW_API_INSECURE=1" in result.output
    monkeypatch.setenv("SHIPFLOW_API_TOKEN", "too-short")
    result = CliRunner().invoke(cli.app, ["serve", "--port", "9"])
    assert result.exit_code == 2 and "at least 32" in result.output


def test_serve_gives_uvicorn_webhook_sized_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class FakeService:
        app = object()

        @classmethod
        def start(cls, *_a: Any, **_kw: Any) -> "FakeService":
            return cls()

        def stop(self) -> None:
            seen["stopped"] = True

    monkeypatch.setattr("shipflow.service.Service", FakeService)
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(cli.sys, "setswitchinterval", lambda _s: None)
    result = CliRunner().invoke(cli.app, ["serve", "--port", "9"])
    assert result.exit_code == 0, result.output
    assert seen["timeout_keep_alive"] == 75 and seen["h11_max_incomplete_event_size"] == 65536
    assert seen["limit_concurrency"] == 512 and seen["access_log"] is False
    assert seen["stopped"]
