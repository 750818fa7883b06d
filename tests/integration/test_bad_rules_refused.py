"""A bad rules file never starts the service: every error is reported, with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shipflow.cli import app
from shipflow.config import Settings
from shipflow.service import ConfigurationError, Service

BAD = """version: 1
rules:
  - name: typo
    when: order.totl_price > 10.0
    then: {confirmation: signature}
  - name: bad-enum
    when: "true"
    then: {confirmation: fingerprint}
"""


def settings(tmp_path: Path, rules: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", rules=str(rules),
        shopify_shop_url="http://127.0.0.1:9/shopify", shopify_access_token="shpat_x",
        shopify_webhook_secret="s", shipstation_base_url="http://127.0.0.1:9/shipstation",
        shipstation_api_key="k", shipstation_api_secret="s", klaviyo_api_key="pk_x",
        shipstation_webhook_token="tok",
        klaviyo_base_url="http://127.0.0.1:9/klaviyo")


def test_service_refuses_a_bad_rules_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(BAD)
    with pytest.raises(ConfigurationError) as caught:
        Service.start(settings(tmp_path, rules))
    message = str(caught.value)
    assert "2 errors" in message
    assert f"{rules}:4:" in message and "totl_price" in message
    assert f"{rules}:8:" in message and "fingerprint" in message
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_serve_exits_with_the_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(BAD)
    s = settings(tmp_path, rules)
    for name, value in {"DATABASE_URL": s.database_url, "RULES": str(rules),
                        "SHOPIFY_SHOP_URL": s.shopify_shop_url,
                        "SHOPIFY_ACCESS_TOKEN": "shpat_x", "SHOPIFY_WEBHOOK_SECRET": "s",
                        "SHIPSTATION_API_KEY": "k", "SHIPSTATION_API_SECRET": "s",
                        "KLAVIYO_API_KEY": "pk_x", "SHIPSTATION_WEBHOOK_TOKEN": "tok"}.items():
        monkeypatch.setenv(f"SHIPFLOW_{name}", value)
    result = CliRunner().invoke(app, ["serve", "--port", "9"])
    assert result.exit_code == 2
    assert "totl_price" in result.output


def test_api_label_mode_without_a_v2_key_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\npolicy:\n  labels: {mode: api}\nrules: []\n")
    with pytest.raises(ConfigurationError) as caught:
        Service.start(settings(tmp_path, rules))
    assert "SHIPFLOW_SHIPSTATION_V2_API_KEY" in str(caught.value)
