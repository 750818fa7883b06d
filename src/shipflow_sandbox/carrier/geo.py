"""Routing a parcel: origin warehouse -> sort hubs along the way -> local depot -> recipient.

Hubs are chosen among `geo_data.HUBS` lying near the straight line between origin and
destination (detour at most 8 % + 80 km), ordered by distance from the origin, at most
three besides the origin hub. Alaska, Hawaii and Puerto Rico go through a mainland gateway;
international parcels through an export gateway and an import gateway (customs).
Destinations not in the city table get their state's coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shipflow_sandbox.carrier import geo_data
from shipflow_sandbox.carrier.geo_data import Row

MAX_HUBS = 3
NONCONTIGUOUS = {"AK", "HI", "PR", "AE", "AP", "AA"}
# Remote state -> (mainland gateway hub city, local hub city).
GATEWAYS = {"AK": ("Kent", "Anchorage"), "HI": ("Ontario", "Honolulu"),
            "PR": ("Jacksonville", "Carolina"), "AE": ("Secaucus", "Secaucus"),
            "AP": ("Ontario", "Ontario")}


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    postal: str
    country: str
    lat: float
    lon: float
    tz: str


def _place(row: Row, country: str = "US") -> Place:
    city, state, postal, lat, lon, tz = row
    return Place(city, state, postal, country, lat, lon, tz)


ORIGIN = _place(geo_data.ORIGIN)
HUBS = tuple(_place(row) for row in geo_data.HUBS)


def distance_km(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def destination(city: str | None, state: str | None, postal: str | None,
                country: str | None) -> tuple[Place, Place]:
    """(recipient place, local delivery depot) for a ship-to address."""
    country = (country or "US").upper()
    city = (city or "").strip() or "Unknown"
    state = (state or "").strip().upper()
    postal = (postal or "").strip()
    if country in geo_data.INTERNATIONAL:
        _, gateway, lat, lon, tz = geo_data.INTERNATIONAL[country]
        home = Place(city, state or gateway[1], postal, country, lat, lon, tz)
        return home, Place(city, home.state, "", country, lat, lon, tz)
    if country == "PR":
        state = "PR"
    known = geo_data.CITIES.get((city.title(), state))
    lat, lon, tz = geo_data.STATES.get(state, geo_data.STATES["KS"])
    depot_city = city
    if known:
        lat, lon, depot_city = known
    home = Place(city, state or "KS", postal, "US", lat, lon, tz)
    return home, Place(depot_city, home.state, "", "US", lat, lon, tz)


def line_haul(dest: Place) -> list[Place]:
    """The sort hubs a parcel from the warehouse passes through, in order (origin hub first)."""
    if dest.country != "US":
        export, gateway, *_ = geo_data.INTERNATIONAL[dest.country]
        return [HUBS[0], _place(export), _place(gateway, dest.country)]
    if dest.state in GATEWAYS:
        names = dict.fromkeys(GATEWAYS[dest.state])
        return [HUBS[0], *(next(h for h in HUBS if h.city == name) for name in names)]
    direct = distance_km(ORIGIN, dest)
    candidates = [
        hub for hub in HUBS[1:]
        if distance_km(ORIGIN, hub) + distance_km(hub, dest) <= direct * 1.08 + 80
        and distance_km(hub, dest) > 60
        and distance_km(ORIGIN, hub) > 60
    ]
    candidates.sort(key=lambda hub: distance_km(ORIGIN, hub))
    if len(candidates) > MAX_HUBS:
        step = len(candidates) / MAX_HUBS
        candidates = [candidates[int(i * step + step / 2)] for i in range(MAX_HUBS)]
    near_dest = min(HUBS, key=lambda hub: distance_km(hub, dest))
    hubs = [HUBS[0], *candidates]
    if near_dest not in hubs and distance_km(near_dest, dest) < 400:
        hubs.append(near_dest)
    return hubs
