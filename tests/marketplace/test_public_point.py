"""marketplace.geo.public_point: the only point anything public uses for a home.

The sector figures are checked against an independent count made by looking up every
possible postcode of the sector one by one.
"""

from __future__ import annotations

import gzip
import itertools
import shutil
import string

import numpy as np
import pytest

from marketplace import geo
from marketplace.geo import InvalidPostcode, OfflineGeocoder, PostcodeNotFound, PublicPoint


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return geo.default_geocoder().load()


def _sector_by_hand(g: OfflineGeocoder, sector: str) -> list[geo.PostcodeLocation]:
    """Every live postcode of ``sector``, found by trying all 676 letter pairs."""
    found = []
    for a, b in itertools.product(string.ascii_uppercase, repeat=2):
        try:
            loc = g.lookup(f"{sector}{a}{b}")
        except PostcodeNotFound:
            continue
        if loc.live is not False:
            found.append(loc)
    return found


def test_sector_centroid_matches_a_count_by_hand(geocoder: OfflineGeocoder) -> None:
    live = _sector_by_hand(geocoder, "LS6 1")
    assert len(live) >= geo.MIN_SECTOR_POSTCODES
    point = geo.public_point("ls61aa")
    assert isinstance(point, PublicPoint)
    assert point.label == "LS6 1"
    assert point.lat == pytest.approx(np.mean([p.lat for p in live]), abs=1e-5)
    assert point.lon == pytest.approx(np.mean([p.lon for p in live]), abs=1e-5)
    assert geocoder.sector_stats("LS6 1")[0] == len(live)
    lat, lon, label = point  # unpacks as (lat, lon, label)
    assert (lat, lon, label) == (point.lat, point.lon, "LS6 1")


def test_every_postcode_of_a_sector_gets_the_same_point(geocoder: OfflineGeocoder) -> None:
    live = _sector_by_hand(geocoder, "LS6 3")
    points = {geo.public_point(p.postcode) for p in live}
    assert len(points) == 1
    (point,) = points
    assert point.label == "LS6 3"
    # ... and it is nobody's own point: no postcode sits within 20 m of it by accident
    # of the test; what matters is that it is not the postcode's point.
    assert all((p.lat, p.lon) != (point.lat, point.lon) for p in live)


def test_small_sector_falls_back_to_the_district(geocoder: OfflineGeocoder) -> None:
    # CR3 4 has 16 live postcodes (fewer than 20): its homes are shown as CR3.
    live = _sector_by_hand(geocoder, "CR3 4")
    assert 0 < len(live) < geo.MIN_SECTOR_POSTCODES
    point = geo.public_point(live[0].postcode)
    assert point == PublicPoint(*geo.district_centroid("CR3"), "CR3")
    assert geocoder.sector_stats("CR3 4")[0] == len(live)


def test_outcode_gives_the_district_point(geocoder: OfflineGeocoder) -> None:
    assert geo.public_point("ls6") == PublicPoint(*geo.district_centroid("LS6"), "LS6")


def test_terminated_postcode_uses_its_sector(geocoder: OfflineGeocoder) -> None:
    # LS6 1AA is live; find a terminated one in LS6 1 by trying letter pairs.
    for a, b in itertools.product(string.ascii_uppercase, repeat=2):
        try:
            loc = geocoder.lookup(f"LS6 1{a}{b}")
        except PostcodeNotFound:
            continue
        if loc.live is False:
            break
    else:  # pragma: no cover - the data has terminated LS6 1 postcodes
        pytest.fail("no terminated postcode in LS6 1")
    assert geo.public_point(loc.postcode).label == "LS6 1"


def test_unknown_and_malformed(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(PostcodeNotFound):
        geo.public_point("LS6 0AA")
    with pytest.raises(geo.PostcodeWithoutLocation):
        geo.public_point("LS6 9ZZ")  # known, but with no map position
    with pytest.raises(PostcodeNotFound):
        geo.public_point("ZZ99")
    with pytest.raises(InvalidPostcode):
        geo.public_point("not a postcode")
    with pytest.raises(InvalidPostcode):
        geocoder.sector_stats("LS6")
    assert geocoder.sector_stats("LS6 0") == (0, None, None)
    assert geo.sector_of("ls61aa") == "LS6 1"
    with pytest.raises(InvalidPostcode):
        geo.sector_of("LS6")


# --------------------------------------------------------------------------- build/cache

SYNTHETIC_HEADER = "postcode,lat,lon,country,lad_code,care_la_code,live\n"


def _synthetic_rows() -> str:
    rows = []
    # LS6 1: 25 live postcodes and 3 terminated ones far away (must not move the centroid)
    for i, (a, b) in enumerate(
        itertools.islice(itertools.product("ABDEFGHJLNPQRSTUWXYZ", repeat=2), 28)
    ):
        live = "1" if i < 25 else "0"
        lat = 53.81 + i * 0.0001 if live == "1" else 54.5
        rows.append(f"LS6 1{a}{b},{lat:.5f},-1.57000,E,E08000035,E08000035,{live}")
    # LS6 2: 5 live postcodes: too small, so the district is used
    for i, a in enumerate("ABDEF"):
        rows.append(f"LS6 2A{a},53.82000,-1.5{i}000,E,E08000035,E08000035,1")
    # Northern Ireland: live status unknown counts as live
    for i, a in enumerate("ABDEFGHJLNPQRSTUWXYZ"):
        rows.append(f"BT1 1A{a},54.60{i:03d},-5.92000,N,,,")
    return SYNTHETIC_HEADER + "\n".join(sorted(rows)) + "\n"


@pytest.fixture
def small_data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with gzip.open(data / geo.POSTCODES_FILE, "wt", encoding="ascii") as f:
        f.write(_synthetic_rows())
    for name in (geo.DISTRICTS_FILE, geo.AUTHORITIES_FILE):
        shutil.copy(geo.DATA_DIR / name, data / name)
    return data


def test_sectors_on_a_small_file(small_data, tmp_path) -> None:
    g = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache")
    assert g.sector_stats("LS6 1") == (25, pytest.approx(53.8112), pytest.approx(-1.57))
    assert g.sector_stats("LS6 2")[0] == 5
    assert g.sector_stats("BT1 1")[0] == 20
    assert g.public_point("LS6 1AB").label == "LS6 1"
    assert g.public_point("LS6 2AA") == PublicPoint(*geo.district_centroid("LS6"), "LS6")
    assert g.public_point("BT1 1AA").label == "BT1 1"


def test_chunk_boundaries_do_not_split_sectors(small_data, tmp_path) -> None:
    g = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache").load()
    arrays = (g._keys, g._lat, g._lon, g._flags)
    whole = geo._build_sectors(*arrays)
    for chunk_rows in (1, 2, 3, 7, 25, 26):
        parts = geo._build_sectors(*arrays, chunk_rows=chunk_rows)
        for name in whole:
            np.testing.assert_array_equal(parts[name], whole[name], err_msg=name)
    assert whole["sector_keys"].size == 3


def test_sector_arrays_are_cached_next_to_the_postcodes(small_data, tmp_path, monkeypatch) -> None:
    g = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache")
    first = g.public_point("LS6 1AB")
    files = geo._sector_files(g.build_dir)
    assert all(path.is_file() for path in files.values())

    def no_rebuild(*_args, **_kw):  # pragma: no cover - fails the test if called
        raise AssertionError("the sector arrays should have come from the cache")

    monkeypatch.setattr(geo, "_build_sectors", no_rebuild)
    again = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache")
    assert again.public_point("LS6 1AB") == first


def test_read_only_cache_still_gives_public_points(small_data, tmp_path, monkeypatch) -> None:
    g = OfflineGeocoder(data_dir=small_data, cache_dir=tmp_path / "cache").load()

    def read_only(*_args, **_kw):
        raise PermissionError("read-only")

    monkeypatch.setattr(geo.tempfile, "mkstemp", read_only)
    assert g.public_point("LS6 1AB").label == "LS6 1"
    assert not any(path.is_file() for path in geo._sector_files(g.build_dir).values())


def test_empty_table() -> None:
    empty = np.zeros(0, dtype=np.int64)
    sectors = geo._build_sectors(
        empty, empty.astype(np.int32), empty.astype(np.int32), empty.astype(np.uint8)
    )
    assert all(a.size == 0 for a in sectors.values())
