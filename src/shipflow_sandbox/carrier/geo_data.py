"""Places the simulated carrier scans parcels at: sort hubs, destination coordinates, time zones.

Coordinates are approximate (city level). Hubs are real US parcel sort locations (UPS
Worldport in Louisville, Hodgkins IL, Mesquite TX, ...); one list serves all three carriers.
"""

from __future__ import annotations

# (city, state, postal, lat, lon, tz)
Row = tuple[str, str, str, float, float, str]

ORIGIN: Row = ("Louisville", "KY", "40213", 38.1827, -85.7136, "America/Kentucky/Louisville")

HUBS: tuple[Row, ...] = (
    ("Louisville", "KY", "40209", 38.1741, -85.7365, "America/Kentucky/Louisville"),
    ("Indianapolis", "IN", "46241", 39.7173, -86.2944, "America/Indiana/Indianapolis"),
    ("Hodgkins", "IL", "60525", 41.7689, -87.8573, "America/Chicago"),
    ("Columbus", "OH", "43217", 39.8156, -82.9277, "America/New_York"),
    ("Middletown", "PA", "17057", 40.1990, -76.7311, "America/New_York"),
    ("Secaucus", "NJ", "07094", 40.7895, -74.0565, "America/New_York"),
    ("Chelmsford", "MA", "01824", 42.5998, -71.3673, "America/New_York"),
    ("Nashville", "TN", "37207", 36.1890, -86.7730, "America/Chicago"),
    ("Memphis", "TN", "38118", 35.0379, -89.9809, "America/Chicago"),
    ("Atlanta", "GA", "30336", 33.7390, -84.5530, "America/New_York"),
    ("Charlotte", "NC", "28214", 35.2707, -80.9512, "America/New_York"),
    ("Jacksonville", "FL", "32219", 30.4030, -81.7590, "America/New_York"),
    ("Orlando", "FL", "32824", 28.3980, -81.4030, "America/New_York"),
    ("Mesquite", "TX", "75149", 32.7668, -96.5992, "America/Chicago"),
    ("Houston", "TX", "77032", 29.9540, -95.3320, "America/Chicago"),
    ("Kansas City", "MO", "64161", 39.1610, -94.4540, "America/Chicago"),
    ("Oklahoma City", "OK", "73179", 35.3930, -97.6010, "America/Chicago"),
    ("Denver", "CO", "80239", 39.7870, -104.8400, "America/Denver"),
    ("Salt Lake City", "UT", "84104", 40.7500, -111.9600, "America/Denver"),
    ("Phoenix", "AZ", "85043", 33.4330, -112.2000, "America/Phoenix"),
    ("Ontario", "CA", "91761", 34.0330, -117.6000, "America/Los_Angeles"),
    ("Sacramento", "CA", "95838", 38.6460, -121.4480, "America/Los_Angeles"),
    ("Portland", "OR", "97220", 45.5500, -122.5500, "America/Los_Angeles"),
    ("Kent", "WA", "98032", 47.3880, -122.2480, "America/Los_Angeles"),
    ("Eagan", "MN", "55121", 44.8470, -93.1600, "America/Chicago"),
    ("Romulus", "MI", "48174", 42.2220, -83.3960, "America/Detroit"),
    ("Albuquerque", "NM", "87121", 35.0500, -106.7400, "America/Denver"),
    ("Baltimore", "MD", "21226", 39.2100, -76.5600, "America/New_York"),
    ("Anchorage", "AK", "99502", 61.1740, -149.9960, "America/Anchorage"),
    ("Honolulu", "HI", "96819", 21.3320, -157.9200, "Pacific/Honolulu"),
    ("Carolina", "PR", "00979", 18.4390, -65.9990, "America/Puerto_Rico"),
)

# State/territory -> (lat, lon, tz): where a destination is when its city is not listed below.
STATES: dict[str, tuple[float, float, str]] = {
    "AL": (32.8, -86.8, "America/Chicago"), "AK": (61.2, -149.9, "America/Anchorage"),
    "AZ": (33.5, -112.0, "America/Phoenix"), "AR": (34.8, -92.3, "America/Chicago"),
    "CA": (36.8, -119.8, "America/Los_Angeles"), "CO": (39.7, -105.0, "America/Denver"),
    "CT": (41.6, -72.7, "America/New_York"), "DE": (39.2, -75.5, "America/New_York"),
    "DC": (38.9, -77.0, "America/New_York"), "FL": (28.5, -81.7, "America/New_York"),
    "GA": (33.7, -84.4, "America/New_York"), "HI": (21.3, -157.8, "Pacific/Honolulu"),
    "ID": (43.6, -116.2, "America/Boise"), "IL": (41.8, -87.7, "America/Chicago"),
    "IN": (39.8, -86.2, "America/Indiana/Indianapolis"), "IA": (41.6, -93.6, "America/Chicago"),
    "KS": (38.7, -97.5, "America/Chicago"), "KY": (38.2, -85.7, "America/Kentucky/Louisville"),
    "LA": (30.5, -91.1, "America/Chicago"), "ME": (44.3, -69.8, "America/New_York"),
    "MD": (39.3, -76.6, "America/New_York"), "MA": (42.4, -71.1, "America/New_York"),
    "MI": (42.7, -84.5, "America/Detroit"), "MN": (44.95, -93.1, "America/Chicago"),
    "MS": (32.3, -90.2, "America/Chicago"), "MO": (38.6, -92.2, "America/Chicago"),
    "MT": (46.6, -112.0, "America/Denver"), "NE": (41.3, -96.0, "America/Chicago"),
    "NV": (36.2, -115.1, "America/Los_Angeles"), "NH": (43.2, -71.5, "America/New_York"),
    "NJ": (40.2, -74.7, "America/New_York"), "NM": (35.1, -106.6, "America/Denver"),
    "NY": (40.7, -74.0, "America/New_York"), "NC": (35.8, -78.6, "America/New_York"),
    "ND": (46.8, -100.8, "America/Chicago"), "OH": (40.0, -83.0, "America/New_York"),
    "OK": (35.5, -97.5, "America/Chicago"), "OR": (45.5, -122.7, "America/Los_Angeles"),
    "PA": (40.3, -76.9, "America/New_York"), "RI": (41.8, -71.4, "America/New_York"),
    "SC": (34.0, -81.0, "America/New_York"), "SD": (43.5, -96.7, "America/Chicago"),
    "TN": (36.2, -86.8, "America/Chicago"), "TX": (30.3, -97.7, "America/Chicago"),
    "UT": (40.8, -111.9, "America/Denver"), "VT": (44.5, -73.2, "America/New_York"),
    "VA": (37.5, -77.4, "America/New_York"), "WA": (47.6, -122.3, "America/Los_Angeles"),
    "WV": (38.3, -81.6, "America/New_York"), "WI": (43.1, -89.4, "America/Chicago"),
    "WY": (41.1, -104.8, "America/Denver"), "PR": (18.4, -66.1, "America/Puerto_Rico"),
    "AE": (50.1, 8.7, "Europe/Berlin"), "AP": (35.4, 139.6, "Asia/Tokyo"),
}

# (city, state) -> (lat, lon, local delivery depot city); the catalog's destinations.
CITIES: dict[tuple[str, str], tuple[float, float, str]] = {
    ("Brooklyn", "NY"): (40.6782, -73.9442, "Maspeth"),
    ("Austin", "TX"): (30.2672, -97.7431, "Austin"),
    ("Portland", "OR"): (45.5152, -122.6784, "Portland"),
    ("Chicago", "IL"): (41.8781, -87.6298, "Chicago"),
    ("Denver", "CO"): (39.7392, -104.9903, "Commerce City"),
    ("Atlanta", "GA"): (33.7490, -84.3880, "Tucker"),
    ("Seattle", "WA"): (47.6062, -122.3321, "Seattle"),
    ("San Diego", "CA"): (32.7157, -117.1611, "San Diego"),
    ("Oakland", "CA"): (37.8044, -122.2712, "San Leandro"),
    ("Minneapolis", "MN"): (44.9778, -93.2650, "Minneapolis"),
    ("Nashville", "TN"): (36.1627, -86.7816, "Nashville"),
    ("Philadelphia", "PA"): (39.9526, -75.1652, "Philadelphia"),
    ("Boston", "MA"): (42.3601, -71.0589, "Watertown"),
    ("Phoenix", "AZ"): (33.4484, -112.0740, "Tempe"),
    ("Miami", "FL"): (25.7617, -80.1918, "Medley"),
    ("Louisville", "KY"): (38.2527, -85.7585, "Louisville"),
    ("Madison", "WI"): (43.0731, -89.4012, "Madison"),
    ("Raleigh", "NC"): (35.7796, -78.6382, "Raleigh"),
    ("Salt Lake City", "UT"): (40.7608, -111.8910, "Salt Lake City"),
    ("Burlington", "VT"): (44.4759, -73.2121, "Williston"),
    ("Anchorage", "AK"): (61.2181, -149.9003, "Anchorage"),
    ("Honolulu", "HI"): (21.3069, -157.8583, "Honolulu"),
    ("San Juan", "PR"): (18.4655, -66.1057, "San Juan"),
    ("Royal Oak", "MI"): (42.4895, -83.1446, "Madison Heights"),
}

# Country -> (US export gateway row, import gateway row, destination lat, lon, tz).
INTERNATIONAL: dict[str, tuple[Row, Row, float, float, str]] = {
    "CA": (("Hodgkins", "IL", "60525", 41.7689, -87.8573, "America/Chicago"),
           ("Mississauga", "ON", "L5T 2N7", 43.6535, -79.6440, "America/Toronto"),
           43.6532, -79.3832, "America/Toronto"),
    "GB": (("Jamaica", "NY", "11430", 40.6650, -73.7900, "America/New_York"),
           ("Hounslow", "ENG", "TW6 2GA", 51.4700, -0.4543, "Europe/London"),
           51.5074, -0.1278, "Europe/London"),
    "DE": (("Jamaica", "NY", "11430", 40.6650, -73.7900, "America/New_York"),
           ("Frankfurt", "HE", "60549", 50.0379, 8.5622, "Europe/Berlin"),
           52.5200, 13.4050, "Europe/Berlin"),
    "AU": (("Ontario", "CA", "91761", 34.0330, -117.6000, "America/Los_Angeles"),
           ("Mascot", "NSW", "2020", -33.9399, 151.1753, "Australia/Sydney"),
           -33.8688, 151.2093, "Australia/Sydney"),
}
