from datetime import datetime, timezone

from shipflow.domain import keys
from shipflow.domain.messages import order_shipped
from shipflow.domain.milestone import Milestone
from shipflow.domain.tracking import carrier_name, tracking_info, tracking_url
from tests.unit.domain.factories import a_shipment, an_order

AT = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)


def test_tracking_links_are_the_carriers_real_pages() -> None:
    assert tracking_url("ups", "1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784")
    assert tracking_url("stamps_com", "9400111899561704681189").startswith(
        "https://tools.usps.com/")
    assert carrier_name("fedex_walleted") == "FedEx"
    assert carrier_name("some_new_carrier") == "Some New Carrier"
    assert tracking_url("x", "a b&c").endswith("a%20b%26c")


def test_order_shipped_carries_real_tracking_and_no_value() -> None:
    order, shipment = an_order(), a_shipment()
    event = order_shipped(order, shipment, tracking_info("ups", shipment.tracking_number), AT)
    assert event.milestone is Milestone.ORDER_SHIPPED
    props = event.properties
    assert props["TrackingNumber"] == "1Z999AA10123456784"
    assert props["TrackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert props["Carrier"] == "UPS" and props["CarrierCode"] == "ups"
    assert props["OrderId"] == "820982911946154508" and props["OrderName"] == "#1001"
    assert props["ItemNames"] == ["Mug - Blue", "T-shirt"]
    assert props["ItemCount"] == 3
    assert props["ShippingAddress"] == {"City": "Austin", "RegionCode": "TX",
                                        "CountryCode": "US", "Zip": "78701"}
    assert "value" not in props and None not in props.values()
    assert event.email == "ada@example.org" and event.time == AT


def test_unique_id_is_deterministic_per_shipment() -> None:
    order = an_order()
    first = order_shipped(order, a_shipment(), tracking_info("ups", "1Z1"), AT)
    again = order_shipped(order, a_shipment(), tracking_info("ups", "1Z1"), datetime.now(timezone.utc))
    other = order_shipped(order, a_shipment(shipment_id="2"), tracking_info("ups", "1Z2"), AT)
    assert first.unique_id == again.unique_id
    assert first.unique_id != other.unique_id
    assert len(first.unique_id) <= 255


def test_workflow_ids_come_from_provider_ids() -> None:
    assert keys.shipstation_order_key(820982911946154508) == "820982911946154508"
