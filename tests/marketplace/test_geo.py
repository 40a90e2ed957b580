"""Tests for marketplace.geo, the offline UK postcode geocoder.

The full postcode cache is built once per machine (keyed by the data file's SHA-256) in
the default cache directory ($COOPCARE_GEO_CACHE or ~/.cache/coopcare/geo); the first
build takes about 7 s, later runs reuse it. The build code itself is also exercised on a
small synthetic file in tmp_path. No network is used.
"""

from __future__ import annotations

import gzip
import shutil
import threading
import time

import pytest
from geopy.location import Location

from marketplace import geo
from marketplace.geo import (
    InvalidPostcode,
    OfflineGeocoder,
    PostcodeLocation,
    PostcodeNotFound,
    PostcodeWithoutLocation,
)


@pytest.fixture(scope="session")
def geocoder() -> OfflineGeocoder:
    t0 = time.perf_counter()
    g = geo.default_geocoder().load()
    elapsed = time.perf_counter() - t0
    # Reusing a cache should be near-instant; a first build well under a minute.
    assert elapsed < (60 if g.build_seconds else 5), (elapsed, g.build_seconds)
    return g


# --------------------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LS6 1AA", "LS6 1AA"),
        ("ls61aa", "LS6 1AA"),
        (" LS6  1AA ", "LS6 1AA"),
        ("ls6 1aa", "LS6 1AA"),
        ("Ls6\t1Aa", "LS6 1AA"),
        ("\tls6\n1aa\n", "LS6 1AA"),
        ("L S 6 1 A A", "LS6 1AA"),
        ("ox12jd", "OX1 2JD"),
        ("ec1a1bb", "EC1A 1BB"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
        ("CF101EP", "CF10 1EP"),
        ("gir0aa", "GIR 0AA"),
        ("LS6", "LS6"),
        (" ls6 ", "LS6"),
        ("ec1a", "EC1A"),
        ("m1", "M1"),
    ],
)
def test_normalise_postcode(text: str, expected: str) -> None:
    assert geo.normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "not-a-postcode",
        "",
        "   ",
        "12345",
        "LS6 1AAA",
        "LS6 1A",
        "LS6-1AA",
        "LS61AA!",
        "1AA",
        "L",
        "LS6 AAA",
        "LSS6 1AA",
        "ÅS6 1AA",
        None,
    ],
)
def test_normalise_rejects_non_postcodes(text: str) -> None:
    with pytest.raises(InvalidPostcode, match="not a UK postcode") as err:
        geo.normalise_postcode(text)
    assert isinstance(err.value, ValueError)


def test_invalid_message_names_the_input() -> None:
    with pytest.raises(InvalidPostcode) as err:
        geo.normalise_postcode(" not-a-postcode ")
    assert str(err.value).startswith("not-a-postcode is not a UK postcode")


def test_outcode_helpers() -> None:
    assert geo.outcode_of("ls61aa") == "LS6"
    assert geo.outcode_of("EC1A 1BB") == "EC1A"
    assert geo.outcode_of("ls6") == "LS6"
    assert geo.is_outcode("ls6")
    assert not geo.is_outcode("ls6 1aa")


def test_pack_orders_outcodes_contiguously() -> None:
    keys = geo._pack_many(["LS6 1AA", "LS6 9ZZ", "LS7 1AA", "M1 1AE", "EC1A 1BB"])
    assert keys.tolist() == [
        geo._pack("LS6", "1AA"),
        geo._pack("LS6", "9ZZ"),
        geo._pack("LS7", "1AA"),
        geo._pack("M1", "1AE"),
        geo._pack("EC1A", "1BB"),
    ]
    lo = geo._pack("LS6", "")
    assert lo <= keys[0] < keys[1] < lo + 37**3 <= keys[2]
    assert max(keys) < 2**63


# --------------------------------------------------------------------------- lookups


def test_lookup_full_postcode(geocoder: OfflineGeocoder) -> None:
    loc = geo.lookup("ls61aa")
    assert loc == geocoder.lookup(" LS6  1AA ")
    assert loc.postcode == "LS6 1AA"
    assert loc.outcode == "LS6"
    assert loc.is_outcode is False
    assert loc.lat == pytest.approx(53.81787)
    assert loc.lon == pytest.approx(-1.57450)
    assert (loc.care_council_code, loc.care_council_name) == ("E08000035", "Leeds")
    assert loc.care_council == ("E08000035", "Leeds")
    assert loc.district == "Leeds"
    assert loc.country == "E"
    assert loc.country_name == "England"
    assert loc.live is True
    assert loc.care_council_inferred is False


def test_two_tier_area_uses_county_for_social_care(geocoder: OfflineGeocoder) -> None:
    loc = geocoder.lookup("ox1 2jd")
    assert loc.care_council_code == "E10000025"
    assert loc.care_council_name == "Oxfordshire"
    assert loc.lad_code == "E07000178"
    assert loc.district == "Oxford"
    assert loc.lat == pytest.approx(51.75804)
    assert loc.lon == pytest.approx(-1.26199)


@pytest.mark.parametrize(
    ("query", "code", "name", "country"),
    [
        ("EC1A 1BB", "E09000019", "Islington", "E"),
        ("CF10 1EP", "W06000015", "Cardiff", "W"),
        ("EH1 1YZ", "S12000036", "City of Edinburgh", "S"),
    ],
)
def test_councils_across_nations(
    geocoder: OfflineGeocoder, query: str, code: str, name: str, country: str
) -> None:
    loc = geocoder.lookup(query)
    assert (loc.care_council_code, loc.care_council_name, loc.country) == (code, name, country)


def test_lookup_outcode_gives_district_centroid(geocoder: OfflineGeocoder) -> None:
    loc = geo.lookup("ls6")
    assert loc.is_outcode is True
    assert loc.postcode == loc.outcode == "LS6"
    assert (loc.lat, loc.lon) == pytest.approx((53.82010, -1.57087))
    assert (loc.care_council_code, loc.care_council_name) == ("E08000035", "Leeds")
    assert geo.district_centroid("ls6") == pytest.approx((53.82010, -1.57087))
    assert geo.district_centroid("LS6 1AA") == geo.district_centroid("LS6")
    ox = geocoder.lookup("OX1")
    assert (ox.care_council_code, ox.district) == ("E10000025", "Oxford")


def test_outcode_crossing_council_boundary_lists_others(geocoder: OfflineGeocoder) -> None:
    loc = geocoder.lookup("AB12")
    assert loc.care_council_code == "S12000033"
    assert loc.other_care_council_codes == ("S12000034",)


def test_unknown_postcode(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(PostcodeNotFound) as err:
        geo.lookup("zz99zz")
    assert str(err.value) == "We could not find the postcode ZZ9 9ZZ. Check it and try again."
    assert err.value.postcode == "ZZ9 9ZZ"
    assert isinstance(err.value, LookupError)
    with pytest.raises(PostcodeNotFound, match="ZZ9"):
        geocoder.lookup("ZZ9")
    with pytest.raises(PostcodeNotFound):
        geo.district_centroid("ZZ9")


def test_lookup_rejects_malformed(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(InvalidPostcode, match="^not-a-postcode is not a UK postcode"):
        geocoder.lookup("not-a-postcode")


def test_terminated_postcode_still_resolves(geocoder: OfflineGeocoder) -> None:
    # OX1 2JB is in the NSPL but no longer in Code-Point Open (live=0, no LA codes);
    # its council is taken from the nearest live postcode in OX1.
    loc = geocoder.lookup("OX1 2JB")
    assert loc.live is False
    assert (loc.lat, loc.lon) == pytest.approx((51.75941, -1.26825))
    assert loc.care_council_code == "E10000025"
    assert loc.care_council_inferred is True
    assert loc.country == "E"
    # AB1 is an old Aberdeen outcode with no live postcodes: location but no council.
    old = geocoder.lookup("AB1 0AA")
    assert old.live is False
    assert old.lat == pytest.approx(57.10145)
    assert old.care_council_code is None
    assert old.care_council_name is None


def test_postcode_without_coordinates(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(PostcodeWithoutLocation) as err:
        geocoder.lookup("je2 3ab")
    assert "JE2 3AB" in str(err.value)
    assert "no map location" in str(err.value)
    assert "Channel Islands" in str(err.value)
    assert err.value.country == "L"
    assert isinstance(err.value, PostcodeNotFound)  # callers catching "not found" cope
    assert geocoder.geocode("JE2 3AB") is None


def test_northern_ireland_has_location_but_no_council(geocoder: OfflineGeocoder) -> None:
    loc = geocoder.lookup("BT1 1AA")
    assert loc.country == "N"
    assert loc.live is None
    assert loc.care_council_code is None
    assert loc.address == "BT1 1AA, Northern Ireland"


def test_every_care_code_has_a_social_care_council_name(geocoder: OfflineGeocoder) -> None:
    care_codes = {c for c in geocoder._care_codes if c}
    assert len(care_codes) > 150
    social = {c.code for c in geo.councils()}
    assert care_codes <= social
    for code in care_codes:
        assert geocoder._council_name(code)


# --------------------------------------------------------------------------- councils


def test_care_council_and_councils(geocoder: OfflineGeocoder) -> None:
    assert geo.care_council("E08000035") == ("E08000035", "Leeds")
    code, name = geo.care_council("e10000025")
    assert (code, name) == ("E10000025", "Oxfordshire")
    with pytest.raises(KeyError):
        geo.care_council("X99999999")
    all_councils = geo.councils()
    codes = {c.code for c in all_councils}
    assert {"E08000035", "E10000025", "S12000036", "W06000015"} <= codes
    assert "E07000178" not in codes  # Oxford City is a district, not a care authority
    assert len([c for c in all_councils if c.code.startswith("E")]) == 153
    assert [c.name for c in all_councils] == sorted(
        (c.name for c in all_councils), key=str.casefold
    )
    assert len(geo.councils("England")) == len(geo.councils("E")) == 153


# --------------------------------------------------------------------------- geopy shape


def test_geocode_returns_geopy_location(geocoder: OfflineGeocoder) -> None:
    loc = geocoder.geocode("ls6 1aa", exactly_one=True, timeout=5)
    assert isinstance(loc, Location)
    assert loc.address == "LS6 1AA, Leeds"
    assert (loc.latitude, loc.longitude) == pytest.approx((53.81787, -1.57450))
    assert loc.point.latitude == pytest.approx(53.81787)
    assert loc.raw["postcode"] == "LS6 1AA"
    assert loc.raw["care_council_code"] == "E08000035"
    assert loc.raw["is_outcode"] is False
    many = geocoder.geocode("LS6", exactly_one=False)
    assert isinstance(many, list)
    assert len(many) == 1
    assert many[0].raw["is_outcode"] is True


@pytest.mark.parametrize("query", ["ZZ9 9ZZ", "not-a-postcode", "", "ZZ9"])
def test_geocode_returns_none_when_not_found(geocoder: OfflineGeocoder, query: str) -> None:
    assert geocoder.geocode(query) is None


def test_get_geocoder(geocoder: OfflineGeocoder) -> None:
    assert geo.get_geocoder() is geo.default_geocoder()
    assert geo.get_geocoder("offline") is geo.default_geocoder()
    assert geo.get_geocoder(" Offline ") is geo.default_geocoder()
    # Constructing a network geocoder does not touch the network (pytest-socket would
    # fail the test if it did); we never call it.
    from geopy.geocoders import Nominatim

    nominatim = geo.get_geocoder("nominatim:coopcare-tests/1.0")
    assert isinstance(nominatim, Nominatim)
    assert nominatim.headers["User-Agent"] == "coopcare-tests/1.0"
    with pytest.raises(ValueError, match="user agent"):
        geo.get_geocoder("nominatim")
    with pytest.raises(ValueError, match="Unknown geocoder"):
        geo.get_geocoder("no-such-service")


def test_distance_km(geocoder: OfflineGeocoder) -> None:
    leeds = geocoder.lookup("LS6 1AA")
    oxford = geocoder.lookup("OX1 2JD")
    d = geo.distance_km(leeds, oxford)
    assert 225 < d < 235  # ~230 km as the crow flies
    assert geo.distance_km("ls61aa", "ox12jd") == pytest.approx(d)
    assert geo.distance_km(leeds.point, geocoder.geocode("OX1 2JD")) == pytest.approx(d)
    assert geo.distance_km(leeds, leeds) == 0
    assert geo.distance_km((51.5, 0.0), (51.5, 1.0)) == pytest.approx(69.4, abs=0.2)


def test_lookup_is_fast(geocoder: OfflineGeocoder) -> None:
    queries = ["LS6 1AA", "ox12jd", "EC1A 1BB", "LS6", "AB1 0AA"] * 400
    t0 = time.perf_counter()
    for q in queries:
        geocoder.lookup(q)
    per_lookup = (time.perf_counter() - t0) / len(queries)
    assert per_lookup < 200e-6  # benchmark target is 50 µs; generous for CI noise


# --------------------------------------------------------------------------- build/load


SYNTHETIC = """postcode,lat,lon,country,lad_code,care_la_code,live
OX1 2JA,51.75710,-1.26203,E,E07000178,E10000025,1
OX1 2JB,51.75941,-1.26825,,,,0
LS6 1AA,53.81787,-1.57450,E,E08000035,E08000035,1
LS6 1ZZ,53.81790,-1.57440,,,,0
AB1 0AA,57.10145,-2.24285,,,,0
JE2 3AB,,,L,,,
BT1 1AA,54.60243,-5.92229,N,,,
"""


@pytest.fixture
def small_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with gzip.open(data / geo.POSTCODES_FILE, "wt", encoding="ascii") as f:
        f.write(SYNTHETIC)
    for name in (geo.DISTRICTS_FILE, geo.AUTHORITIES_FILE):
        shutil.copy(geo.DATA_DIR / name, data / name)
    return data


def test_build_and_load_small_file(small_data, tmp_path) -> None:
    g = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache").load()
    assert g.rows == 7
    assert g.build_seconds > 0
    assert g.build_dir.parent == tmp_path / "cache"
    terminated = g.lookup("ls61zz")
    assert (terminated.live, terminated.care_council_code) == (False, "E08000035")
    assert terminated.care_council_inferred
    assert g.lookup("OX1 2JB").care_council_name == "Oxfordshire"
    assert g.lookup("AB1 0AA").care_council_code is None
    assert g.lookup("BT1 1AA").care_council_code is None
    with pytest.raises(PostcodeWithoutLocation):
        g.lookup("JE2 3AB")
    with pytest.raises(PostcodeNotFound):
        g.lookup("LS6 1AB")
    with pytest.raises(PostcodeNotFound):
        g.lookup("AA1 1AA")  # below the smallest key
    # A second instance reuses the cache instead of rebuilding.
    again = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache").load()
    assert again.build_seconds == 0.0
    assert again.build_dir == g.build_dir
    assert again.lookup("LS6 1AA") == g.lookup("LS6 1AA")


def test_concurrent_first_use_loads_once(small_data, tmp_path) -> None:
    g = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache")
    results: list[PostcodeLocation] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(g.lookup("LS6 1AA"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 8
    assert len(set(results)) == 1
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.is_dir()] == [g.build_dir.name]


def test_default_cache_dir_honours_env(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("COOPCARE_GEO_CACHE", str(tmp_path / "custom"))
    assert geo._cache_roots()[0] == tmp_path / "custom"


def test_unwritable_cache_dir_falls_back(monkeypatch, tmp_path, small_data) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    monkeypatch.setenv("COOPCARE_GEO_CACHE", str(blocker / "geo"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "xdg"))
    monkeypatch.setattr(geo.tempfile, "tempdir", str(tmp_path / "tmp"))
    g = OfflineGeocoder(data_dir=small_data).load()
    assert g.build_dir.is_relative_to(tmp_path / "tmp")
    assert g.lookup("LS6 1AA").care_council_code == "E08000035"
