"""`shipflow connect`: check every credential against its provider, name what is missing in
plain words, and subscribe shipflow's webhooks where they are missing. Run twice, it changes
nothing the second time. `shipflow doctor` runs the same checks with `apply=False`.

What is checked, per provider:

- **Shopify**: the token's scopes (`currentAppInstallation { accessScopes }`) against what
  shipflow's own calls need (`providers.shopify.subscriptions.REQUIRED_SCOPES`), then one
  subscription per topic shipflow acts on, to `<SHIPFLOW_PUBLIC_URL>/webhooks/shopify`. The
  privacy topics (`customers/data_request`, `customers/redact`, `shop/redact`) cannot be
  subscribed through the Admin API (they are not in `WebhookSubscriptionTopic`; Shopify takes
  them only from the app's configuration), so they are reported as a step to do there.
- **ShipStation v1**: the key and secret (`GET /webhooks`), and a `SHIP_NOTIFY` subscription
  to `<public>/webhooks/shipstation/<token>`. `ORDER_NOTIFY` is not subscribed: shipflow
  creates the ShipStation orders itself and acts on nothing an ORDER_NOTIFY says.
- **ShipStation v2** (when `SHIPFLOW_SHIPSTATION_V2_API_KEY` is set): the key
  (`GET /v2/environment/webhooks`), and `track_event_v2` (carrier tracking) and
  `label_created_v2` (labels) subscriptions to `<public>/webhooks/shipstation-v2`. These are
  the ShipStation-v2 event names of its webhooks guide (shipstation.md §2.4); the spec copy's
  older enum (`track`, `batch`) is ShipEngine's, whose `API_TRACK` bodies shipflow does not
  read.
- **Klaviyo**: the private key and its `events:write` scope (the only one shipflow uses).
  Klaviyo cannot list a key's scopes, and nothing read-only needs `events:write`, so the check
  is a create-event request that Klaviyo must refuse (see `KlaviyoClient.can_create_events`):
  nothing is sent to any profile.

Idempotent: each subscription is looked up before it is created, and the providers' "already
exists" answers (Shopify's "Address for this topic has already been taken", v2's 409
`webhook_event_type_conflict`) count as done. Subscriptions to other addresses are reported and
left alone (an old deployment's address is for the operator to remove).

Why these writes do not go through the order outbox: the outbox (engine/outbox.py) records the
effects of an order's lifecycle (what each customer and provider was told about an order),
keyed by a business fact of that order, and replays or only records them in shadow mode.
A webhook subscription is the installation's configuration, made by an operator's command,
about no order: it has no ledger key to hang on, must really happen even when the engine runs
record-only, and its idempotency comes from looking at the provider first.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from shipflow.config import Settings
from shipflow.providers import http
from shipflow.providers.errors import AuthenticationError, ProviderError, RejectedRequest
from shipflow.providers.klaviyo.client import KlaviyoClient
from shipflow.providers.shipstation.client import ShipStationClient
from shipflow.providers.shipstation_v2.client import ShipStationV2Client
from shipflow.providers.shopify import subscriptions as shopify_subs
from shipflow.providers.shopify.client import ShopifyClient

Status = Literal["ok", "changed", "problem", "note"]
V2_EVENTS = (("track_event_v2", "carrier tracking"), ("label_created_v2", "labels"))
SHIP_NOTIFY = "SHIP_NOTIFY"
# A diagnostic should answer within seconds: two quick tries, no long rate-limit waits.
QUICK = http.RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=2.0, max_wait=5.0)
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class Finding:
    """One line of the report: which provider or part, how it stands, in plain words."""

    area: str
    status: Status
    message: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    def add(self, area: str, status: Status, message: str) -> None:
        self.findings.append(Finding(area, status, message))

    @property
    def ok(self) -> bool:
        return not any(f.status == "problem" for f in self.findings)

    @property
    def changes(self) -> int:
        return sum(f.status == "changed" for f in self.findings)

    @property
    def problems(self) -> int:
        return sum(f.status == "problem" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "changes": self.changes, "problems": self.problems,
                "findings": [asdict(f) for f in self.findings]}

    def lines(self) -> list[str]:
        width = max((len(f.area) for f in self.findings), default=0)
        out = [f"{f.area:<{width}}  {f.status:<7}  {f.message}" for f in self.findings]
        out.append(f"{self.changes} changed, {self.problems} problem"
                   f"{'' if self.problems == 1 else 's'}")
        return out


def shown(url: str, secret: str) -> str:
    """A URL fit to print: the ShipStation token in its path is a secret."""
    return url.replace(secret, "***") if secret else url


def _unreachable(report: Report, area: str, what: str, exc: ProviderError) -> None:
    if isinstance(exc, AuthenticationError) and exc.status_code in (401, None):
        report.add(area, "problem", f"{what} was refused ({exc.message}): check it is the "
                                    "current one and copied whole")
    elif isinstance(exc, AuthenticationError):
        report.add(area, "problem", f"{what} is not allowed to do this ({exc}): grant the "
                                    "permission named above")
    else:
        report.add(area, "problem", f"could not check {what}: {exc}")


# -- Shopify ------------------------------------------------------------------------------------
def check_shopify(client: ShopifyClient, callback: str | None, *, apply: bool,
                  report: Report) -> None:
    area = "shopify"
    try:
        granted = client.access_scopes()
    except (ProviderError, httpx.HTTPError) as exc:
        _unreachable(report, area, "the Shopify access token", _as_provider_error(exc))
        return
    missing = shopify_subs.missing_scopes(granted)
    for scope, why in missing:
        report.add(area, "problem", f"the access token lacks the `{scope}` scope, which shipflow "
                                    f"needs to {why}: add it to the app's scopes and "
                                    "reinstall or re-authorize the app")
    if not missing:
        report.add(area, "ok", "the access token has every scope shipflow needs ("
                   + ", ".join(s for s, _ in shopify_subs.REQUIRED_SCOPES) + ")")
    if callback is None:
        return
    try:
        existing = client.webhook_subscriptions()
    except (ProviderError, httpx.HTTPError) as exc:
        _unreachable(report, area, "Shopify's webhook subscriptions",
                     _as_provider_error(exc))
        return
    for topic in shopify_subs.SHIPFLOW_TOPICS:
        mine = [s for s in existing if s.topic == topic and s.uri == callback]
        scope = shopify_subs.TOPIC_SCOPES[topic]
        if mine:
            report.add(area, "ok", f"{topic} is delivered to {callback}")
        elif not shopify_subs.has_scope(granted, scope):
            report.add(area, "problem", f"{topic} cannot be subscribed until the token has "
                                        f"the `{scope}` scope")
        elif not apply:
            report.add(area, "problem", f"{topic} is not subscribed to {callback}: run "
                                        "`shipflow connect`")
        else:
            _subscribe_shopify(client, topic, callback, report)
        for other in existing:
            if other.topic == topic and other.uri != callback:
                report.add(area, "note", f"{topic} is also delivered to {other.uri}, which is "
                                         "not this shipflow's address (left alone; remove it "
                                         "if it is an old deployment's)")
    report.add(area, "note", "the privacy topics (" + ", ".join(shopify_subs.COMPLIANCE_TOPICS)
               + ") cannot be subscribed through the API: set them in the app's configuration "
               f"(shopify.app.toml `[[webhooks.subscriptions]] compliance_topics = [...]`, "
               f"uri = \"{callback}\") or the Partner Dashboard; shipflow answers them")


def _subscribe_shopify(client: ShopifyClient, topic: str, callback: str, report: Report) -> None:
    try:
        made, errors = client.create_webhook_subscription(topic, callback)
    except (ProviderError, httpx.HTTPError) as exc:
        report.add("shopify", "problem", f"subscribing {topic} failed: "
                                         f"{_as_provider_error(exc)}")
        return
    if made is not None:
        report.add("shopify", "changed", f"subscribed {topic} -> {callback}")
    elif shopify_subs.is_already_taken(errors):
        report.add("shopify", "ok", f"{topic} is delivered to {callback}")
    else:
        report.add("shopify", "problem", f"Shopify refused to subscribe {topic}: "
                   + "; ".join(str(e) for e in errors))


# -- ShipStation v1 -----------------------------------------------------------------------------
def check_shipstation(client: ShipStationClient, target: str | None, secret: str, *,
                      apply: bool, report: Report) -> None:
    area = "shipstation"
    try:
        hooks = client.list_webhooks()
    except (ProviderError, httpx.HTTPError) as exc:
        _unreachable(report, area, "the ShipStation API key or secret", _as_provider_error(exc))
        return
    report.add(area, "ok", "the API key and secret are accepted")
    if target is None:
        return
    if any(h.event == SHIP_NOTIFY and h.url == target and h.active for h in hooks):
        report.add(area, "ok", f"{SHIP_NOTIFY} is delivered to {shown(target, secret)}")
    elif not apply:
        report.add(area, "problem", f"{SHIP_NOTIFY} is not subscribed to {shown(target, secret)}:"
                                    " run `shipflow connect`")
    else:
        try:
            client.subscribe_webhook(target, SHIP_NOTIFY, friendly_name="shipflow")
        except (ProviderError, httpx.HTTPError) as exc:
            report.add(area, "problem", f"subscribing {SHIP_NOTIFY} failed: "
                                        f"{_as_provider_error(exc)}")
        else:
            report.add(area, "changed", f"subscribed {SHIP_NOTIFY} -> {shown(target, secret)}")
    base = target.split("/webhooks/shipstation/")[0]
    for hook in hooks:
        if hook.event == SHIP_NOTIFY and hook.url != target and hook.url.startswith(base):
            report.add(area, "note", f"{SHIP_NOTIFY} is also delivered to "
                                     f"{_without_token(hook.url)} (an old token? left alone)")


def _without_token(url: str) -> str:
    head, sep, _ = url.partition("/webhooks/shipstation/")
    return f"{head}{sep}***" if sep else url


# -- ShipStation v2 -----------------------------------------------------------------------------
def check_shipstation_v2(client: ShipStationV2Client, target: str | None, *, apply: bool,
                         report: Report) -> None:
    area = "shipstation-v2"
    try:
        hooks = client.list_webhooks()
    except (ProviderError, httpx.HTTPError) as exc:
        _unreachable(report, area, "the ShipStation v2 API key", _as_provider_error(exc))
        return
    report.add(area, "ok", "the API key is accepted")
    if target is None:
        return
    for event, what in V2_EVENTS:
        if any(h.event == event and h.url == target for h in hooks):
            report.add(area, "ok", f"{event} ({what}) is delivered to {target}")
        elif not apply:
            report.add(area, "problem", f"{event} ({what}) is not subscribed to {target}: run "
                                        "`shipflow connect`")
        else:
            try:
                client.create_webhook(event, target)
            except RejectedRequest as exc:
                if exc.status_code == 409:  # webhook_event_type_conflict: it exists
                    report.add(area, "ok", f"{event} ({what}) is delivered to {target}")
                else:
                    report.add(area, "problem", f"ShipStation refused to subscribe {event}: {exc}")
            except (ProviderError, httpx.HTTPError) as exc:
                report.add(area, "problem", f"subscribing {event} failed: "
                                            f"{_as_provider_error(exc)}")
            else:
                report.add(area, "changed", f"subscribed {event} ({what}) -> {target}")
        for hook in hooks:
            if hook.event == event and hook.url != target:
                report.add(area, "note", f"{event} is also delivered to {hook.url} (left alone)")


# -- Klaviyo ------------------------------------------------------------------------------------
def check_klaviyo(client: KlaviyoClient, report: Report) -> None:
    area = "klaviyo"
    try:
        can_write = client.can_create_events()
    except (ProviderError, httpx.HTTPError) as exc:
        _unreachable(report, area, "the Klaviyo private key", _as_provider_error(exc))
        return
    if can_write:
        report.add(area, "ok", "the private key can send events (events:write; checked with an "
                               "empty event Klaviyo refuses, so nothing was sent)")
    else:
        report.add(area, "problem", "the private key lacks the `events:write` scope, which "
                                    "shipflow needs to send every customer milestone: give the "
                                    "key Events full access (or make a new key with it)")


# -- all of them --------------------------------------------------------------------------------
def run_connect(settings: Settings, *, apply: bool = True) -> Report:
    """Check every configured credential; with `apply`, subscribe what is missing."""
    report = Report()
    urls = settings.webhook_urls()
    if urls is None:
        report.add("webhooks", "problem", "SHIPFLOW_PUBLIC_URL is not set: shipflow cannot tell "
                                          "the providers where to deliver webhooks (set it to "
                                          "the https address they reach this shipflow at)")
    elif urlsplit(urls["shopify"]).scheme != "https":
        report.add("webhooks", "note", f"SHIPFLOW_PUBLIC_URL is not https "
                                       f"({settings.public_url}): real providers refuse it")
    rng = random.Random()
    missing = set(settings.missing_credentials())

    def needs(area: str, *names: str) -> bool:
        absent = [n for n in names if n in missing]
        if absent:
            report.add(area, "problem", ", ".join(absent) + " is not set")
        return not absent

    if needs("shopify", "SHIPFLOW_SHOPIFY_SHOP_URL", "SHIPFLOW_SHOPIFY_ACCESS_TOKEN"):
        with ShopifyClient(settings.shopify_shop_url, settings.shopify_access_token,
                           retry=QUICK, timeout=TIMEOUT, rng=rng) as shopify:
            check_shopify(shopify, urls["shopify"] if urls else None, apply=apply,
                          report=report)
    if needs("shipstation", "SHIPFLOW_SHIPSTATION_API_KEY", "SHIPFLOW_SHIPSTATION_API_SECRET",
             "SHIPFLOW_SHIPSTATION_WEBHOOK_TOKEN"):
        with ShipStationClient(settings.shipstation_base_url, settings.shipstation_api_key,
                               settings.shipstation_api_secret, retry=QUICK, timeout=TIMEOUT,
                               rng=rng) as shipstation:
            check_shipstation(shipstation, urls["shipstation"] if urls else None,
                              settings.shipstation_webhook_token, apply=apply, report=report)
    if settings.shipstation_v2_api_key:
        with ShipStationV2Client(settings.shipstation_v2_base_url,
                                 settings.shipstation_v2_api_key, retry=QUICK, timeout=TIMEOUT,
                                 rng=rng) as v2:
            check_shipstation_v2(v2, urls["shipstation_v2"] if urls else None, apply=apply,
                                 report=report)
    else:
        report.add("shipstation-v2", "note", "SHIPFLOW_SHIPSTATION_V2_API_KEY is not set: no "
                                             "carrier tracking webhooks, no api label mode")
    if needs("klaviyo", "SHIPFLOW_KLAVIYO_API_KEY"):
        with KlaviyoClient(settings.klaviyo_base_url, settings.klaviyo_api_key, retry=QUICK,
                           timeout=TIMEOUT, rng=rng) as klaviyo:
            check_klaviyo(klaviyo, report)
    return report


def _as_provider_error(exc: Exception) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    return ProviderError(f"{type(exc).__name__}: {exc}")
