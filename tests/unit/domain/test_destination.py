import pytest

from shipflow.domain.destination import (
    CONTIGUOUS_STATES,
    Destination,
    classify_destination,
)
from shipflow.domain.order import Address


def address(country: str = "US", province: str | None = "TX", city: str = "Austin",
            zip_code: str = "78701") -> Address:
    return Address("Ada Lovelace", "1 Main St", city, country, zip_code, province)


def test_no_address_is_missing() -> None:
    assert classify_destination(None) is Destination.MISSING
    assert classify_destination(address(country="  ")) is Destination.MISSING


def test_the_48_states_and_dc_are_contiguous() -> None:
    assert len(CONTIGUOUS_STATES) == 49
    assert "DC" in CONTIGUOUS_STATES and "AK" not in CONTIGUOUS_STATES
    assert "HI" not in CONTIGUOUS_STATES
    for state in CONTIGUOUS_STATES:
        assert classify_destination(address(province=state)) is Destination.CONTIGUOUS_US


@pytest.mark.parametrize("state", ["AK", "HI", "ak"])
def test_alaska_and_hawaii(state: str) -> None:
    assert classify_destination(address(province=state)) is Destination.ALASKA_HAWAII


@pytest.mark.parametrize("code", ["PR", "GU", "VI", "AS", "MP", "UM", "FM", "MH", "PW"])
def test_territories_as_countries_and_as_us_provinces(code: str) -> None:
    assert classify_destination(address(country=code, province=None)) is Destination.US_TERRITORY
    assert classify_destination(address(province=code)) is Destination.US_TERRITORY


@pytest.mark.parametrize("state", ["AA", "AE", "AP"])
def test_military_states(state: str) -> None:
    assert classify_destination(address(province=state, city="APO", zip_code="09012")) \
        is Destination.MILITARY
    assert classify_destination(address(province=state, city="Unit 2050")) is Destination.MILITARY


@pytest.mark.parametrize("city", ["APO", "FPO", "dpo ", "Fpo"])
def test_military_cities(city: str) -> None:
    assert classify_destination(address(province="NY", city=city, zip_code="09012")) \
        is Destination.MILITARY


@pytest.mark.parametrize("country", ["CA", "GB", "mx", "DE"])
def test_international(country: str) -> None:
    assert classify_destination(address(country=country, province="ON")) is Destination.INTERNATIONAL


def test_a_city_named_apo_abroad_is_still_international() -> None:
    assert classify_destination(address(country="IT", province=None, city="Apo")) \
        is Destination.INTERNATIONAL


@pytest.mark.parametrize(("zip_code", "expected"), [
    ("78701", Destination.CONTIGUOUS_US),
    ("99501-1234", Destination.ALASKA_HAWAII),
    ("96813", Destination.ALASKA_HAWAII),
    ("00901", Destination.US_TERRITORY),
    ("96799", Destination.US_TERRITORY),
    ("96910", Destination.US_TERRITORY),
    ("09012", Destination.MILITARY),
    ("34002", Destination.MILITARY),
    ("96601", Destination.MILITARY),
    ("", Destination.MISSING),
    ("ABCDE", Destination.MISSING),
])
def test_us_address_without_a_known_state_is_placed_by_zip(zip_code: str, expected: Destination) -> None:
    assert classify_destination(address(province=None, zip_code=zip_code)) is expected
    assert classify_destination(address(province="XX", zip_code=zip_code)) is expected


def test_values_are_the_names_rules_use() -> None:
    assert [d.value for d in Destination] == [
        "contiguous_us", "alaska_hawaii", "us_territory", "military", "international", "missing"]
