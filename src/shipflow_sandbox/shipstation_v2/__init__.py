"""Simulated ShipStation API v2 (ShipEngine engine) under `/shipstation/v2`: rates, labels,
tracking, carriers, environment webhooks, and RSA-signed webhook delivery with a JWKS."""
