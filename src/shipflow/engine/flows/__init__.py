"""The lifecycle as durable workflows and steps, one module per stage:

- `push`: paid orders routed by the merchant's rules and pushed to ShipStation in batches;
- `holds`: holds and tags on Shopify's side after a push, releases, restocks;
- `labels`: `api` label mode (rate-shop and buy each label);
- `ship`: labels to Shopify fulfillments and `Order Shipped`;
- `track`: carrier scans to milestones, delays found by the sweeper;
- `cancel`: cancelled or refunded orders stop what is pending;
- `timers`: review requests and reorder reminders;
- `tell`: customer events, through the outbox like every write.
"""
