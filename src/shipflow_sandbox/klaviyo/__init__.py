"""Simulated Klaviyo: event and profile endpoints validated against the official spec."""
