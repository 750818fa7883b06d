"""`policy.shipstation.source`: push by default, store_import when asked, anything else an error."""

from __future__ import annotations

from shipflow.domain.policy import ShipStationSource

from .helpers import one_error, rules


def test_push_is_the_default_and_store_import_is_read() -> None:
    assert rules("version: 1\nrules: []\n").policies.shipstation.source is ShipStationSource.PUSH
    chosen = rules("""
        version: 1
        policy:
          shipstation: {source: store_import}
        rules: []
        """).policies.shipstation
    assert chosen.source is ShipStationSource.STORE_IMPORT and chosen.store_import


def test_an_unknown_source_or_key_is_a_line_numbered_error() -> None:
    error = one_error("""
        version: 1
        policy:
          shipstation:
            source: connector
        rules: []
        """)
    assert error.line == 5 and "policy.shipstation.source" in error.message
    error = one_error("""
        version: 1
        policy:
          shipstation: {sorce: push}
        rules: []
        """)
    assert "sorce" in error.message
