"""The account's carriers as v2 sees them: `se-` carrier ids over the v1 carrier accounts.

The FedEx id is the one in the real label fixture (`se-2077423`); the others are its
neighbours (assumption). `GET /v2/carriers` answers `{"carriers": [...], "request_id",
"errors": []}`: the spec's 200 body is `list_carriers_response_body` *and*
`error_response_body`.
"""

from __future__ import annotations

from typing import Any

from shipflow_sandbox.shipstation.carriers import CARRIERS, SERVICES, Service

CARRIER_IDS = {"stamps_com": "se-2077421", "ups": "se-2077422", "fedex": "se-2077423"}
CODE_BY_ID = {v: k for k, v in CARRIER_IDS.items()}
FRIENDLY = {"stamps_com": "Stamps.com", "ups": "UPS", "fedex": "FedEx"}
PACKAGES = {
    "stamps_com": (("package", "Package"), ("flat_rate_envelope", "Flat Rate Envelope"),
                   ("medium_flat_rate_box", "Medium Flat Rate Box")),
    "ups": (("package", "Package"), ("ups_letter", "UPS Letter"), ("ups_pak", "UPS Pak")),
    "fedex": (("package", "Package"), ("fedex_envelope", "FedEx Envelope"),
              ("fedex_pak", "FedEx Pak")),
}


def services_of(carrier_code: str) -> list[Service]:
    return [s for s in SERVICES.values() if s.carrier == carrier_code]


def carrier_json(carrier_code: str) -> dict[str, Any]:
    v1 = next(c for c in CARRIERS if c["code"] == carrier_code)
    carrier_id = CARRIER_IDS[carrier_code]
    return {
        "carrier_id": carrier_id,
        "carrier_code": carrier_code,
        "account_number": str(v1["accountNumber"]),
        "requires_funded_amount": bool(v1["requiresFundedAccount"]),
        "balance": float(v1["balance"]),
        "nickname": v1["nickname"] or FRIENDLY[carrier_code],
        "friendly_name": FRIENDLY[carrier_code],
        "primary": bool(v1["primary"]),
        "has_multi_package_supporting_services": carrier_code != "stamps_com",
        "supports_label_messages": True,
        "disabled_by_billing_plan": False,
        "services": [
            {
                "carrier_id": carrier_id,
                "carrier_code": carrier_code,
                "service_code": s.code,
                "name": s.name,
                "domestic": "international" not in s.code,
                "international": "international" in s.code,
                "is_multi_package_supported": carrier_code != "stamps_com",
            }
            for s in services_of(carrier_code)
        ],
        "packages": [
            {"package_code": code, "name": name, "description": name}
            for code, name in PACKAGES[carrier_code]
        ],
        "options": [
            {"name": "contains_alcohol", "default_value": "false",
             "description": "The package contains alcohol."},
            {"name": "non_machinable", "default_value": "false",
             "description": "The package cannot be processed by machines."},
        ],
    }
