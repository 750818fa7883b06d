import pytest

from shipflow.config import Settings
from shipflow.engine.privacy import PrivacyDesk
from shipflow.store.codec import order_from_json, order_to_json
from tests.unit.domain.factories import an_order


def test_order_snapshot_round_trips_exactly() -> None:
    order = an_order()
    assert order_from_json(order_to_json(order)) == order


def test_settings_come_from_shipflow_variables_and_hide_secrets() -> None:
    s = Settings.from_env({"SHIPFLOW_DATABASE_URL": "postgresql://x/y",
                           "SHIPFLOW_KLAVIYO_API_KEY": "pk_secret", "SHIPFLOW_WORKER_CONCURRENCY": "4"})
    assert s.database_url == "postgresql://x/y" and s.worker_concurrency == 4
    assert s.shipstation_base_url == "https://ssapi.shipstation.com"
    assert "pk_secret" not in repr(s)
    assert "SHIPFLOW_KLAVIYO_API_KEY" not in s.missing_credentials()
    assert "SHIPFLOW_SHOPIFY_ACCESS_TOKEN" in s.missing_credentials()


def test_retention_settings_from_the_environment() -> None:
    assert Settings().webhook_retention_days == 30
    settings = Settings.from_env({"SHIPFLOW_WEBHOOK_RETENTION_DAYS": "7",
                                  "SHIPFLOW_RETENTION_SWEEP_INTERVAL": "60"})
    assert settings.webhook_retention_days == 7 and settings.retention_sweep_interval == 60.0
    with pytest.raises(ValueError, match="SHIPFLOW_WEBHOOK_RETENTION_DAYS"):
        PrivacyDesk(None, None, clock=lambda: None, retention_days=0)  # type: ignore[arg-type]


def test_database_pool_size_sets_every_pool_a_process_opens(tmp_path) -> None:
    from shipflow.store.db import Database

    settings = Settings.from_env({"SHIPFLOW_DATABASE_POOL_SIZE": "3"})
    assert settings.database_pool_size == 3
    db = Database.connect(f"sqlite:///{tmp_path / 'x.db'}", pool_size=settings.database_pool_size)
    assert db.engine.pool.size() == 3
    db.engine.dispose()
