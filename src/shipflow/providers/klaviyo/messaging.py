"""Klaviyo as the engine's `CustomerMessaging` port: milestone events in bulk jobs."""

from __future__ import annotations

from typing import Sequence

from shipflow.domain.milestone import MilestoneEvent
from shipflow.providers.klaviyo.client import KlaviyoClient


class KlaviyoMessaging:
    def __init__(self, client: KlaviyoClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def send_events(self, events: Sequence[MilestoneEvent]) -> None:
        self.client.create_events_bulk(events)  # unique_id: Klaviyo dedupes a repeat
