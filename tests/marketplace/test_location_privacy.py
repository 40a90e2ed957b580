"""Location privacy: nothing public narrows a carer's home below its postcode sector.

The attacker test plays the part of someone who wants to find where a carer lives.
It places carers (and a self-employed PA's base) on real postcodes, asks the public
API from many postcodes around them, reads every number it gives back (the rounded
distance, the locality and total scores) and sweeps ``max_distance_km`` /
``radius_km``, first in fine steps and then by bisection, to find the exact distance at
which the carer drops out. It then fits all of that against every postcode in the
shipped table near the area (brute force) and checks that the best fit is the carer's
public point (the centroid of the postcode sector), never the home: the best fit lies
no nearer the home than the public point does, allowing for rounding.

Before the public points existed the same attack found the home postcode exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pytest

from marketplace import geo
from marketplace.models import Carer, Provider
from matching import Weights

# Pages and the API round distances to the nearest 0.5 km: a best fit may sit up to half
# of that nearer the home than the public point does.
ALLOWANCE_KM = 0.25
SEARCH_BOX_KM = 12.0  # the attacker tries every postcode within this of the first query
HALF_KM = Weights().locality_half_km


@pytest.fixture(scope="module")
def geocoder() -> geo.OfflineGeocoder:
    return geo.default_geocoder().load()


def haversine_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The matching index's great-circle distance (the attacker has read the source)."""
    from matching.index import EARTH_RADIUS_KM

    la0, lo0 = math.radians(lat0), math.radians(lon0)
    la, lo = np.radians(lat), np.radians(lon)
    h = np.sin((la - la0) / 2) ** 2 + math.cos(la0) * np.cos(la) * np.sin((lo - lo0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def edge_of_sector(g: geo.OfflineGeocoder, sector: str) -> geo.PostcodeLocation:
    """The live postcode of ``sector`` farthest from the sector's public point: the
    home for which the public point helps least, and the exact point helps most."""
    point = None
    best: tuple[float, geo.PostcodeLocation] | None = None
    for a in "ABDEFGHJLNPQRSTUWXYZ":
        for b in "ABDEFGHJLNPQRSTUWXYZ":
            try:
                loc = g.lookup(f"{sector}{a}{b}")
            except geo.PostcodeNotFound:
                continue
            if loc.live is False:
                continue
            point = point or geo.public_point(loc.postcode)
            d = geo.distance_km(loc.point, (point.lat, point.lon))
            if best is None or d > best[0]:
                best = (d, loc)
    assert best is not None, sector
    return best[1]


def nearest_postcode(g: geo.OfflineGeocoder, lat: float, lon: float) -> str:
    """A real, live postcode near (lat, lon): where the attacker says they live."""
    lats = np.asarray(g._lat) / geo.SCALE
    box = np.flatnonzero((np.abs(lats - lat) < 0.01) & (g._lat != geo.NO_COORD))
    lons = np.asarray(g._lon[box]) / geo.SCALE
    d = haversine_km(lat, lon, lats[box], lons)
    for i in box[np.argsort(d)]:
        key = int(g._keys[i])
        text = _unpack(key)
        loc = g.lookup(text)
        if loc.live is not False:
            return text
    raise AssertionError("no live postcode nearby")  # pragma: no cover


def _unpack(key: int) -> str:
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digits = []
    for _ in range(7):
        key, d = divmod(key, 37)
        digits.append(d)
    text = "".join(chars[d - 1] if d else "" for d in reversed(digits))
    return f"{text[:-3]} {text[-3:]}"


def queries_around(g: geo.OfflineGeocoder, lat: float, lon: float) -> list[geo.PostcodeLocation]:
    """Real postcodes 1.5 to 7 km from (lat, lon) in six directions, and the spot itself."""
    found = [g.lookup(nearest_postcode(g, lat, lon))]
    for bearing, km in zip(range(0, 360, 60), (2.0, 6.0, 3.5, 7.0, 1.5, 4.5), strict=True):
        dlat = km * math.cos(math.radians(bearing)) / 111.2
        dlon = km * math.sin(math.radians(bearing)) / (111.2 * math.cos(math.radians(lat)))
        found.append(g.lookup(nearest_postcode(g, lat + dlat, lon + dlon)))
    return found


@dataclass
class Evidence:
    """What the attacker learnt: for each query point, intervals the distance lies in."""

    constraints: list[tuple[float, float, float, float]] = field(default_factory=list)

    def add(self, where: geo.PostcodeLocation, low: float, high: float) -> None:
        self.constraints.append((where.lat, where.lon, low, high))

    def fit(self, g: geo.OfflineGeocoder, around: tuple[float, float]):
        """Every postcode near ``around`` scored by how badly it breaks the intervals;
        returns (points of the best fits, their cost)."""
        lat = np.asarray(g._lat)
        lon = np.asarray(g._lon)
        dlat = SEARCH_BOX_KM / 111.2
        dlon = SEARCH_BOX_KM / (111.2 * math.cos(math.radians(around[0])))
        box = np.flatnonzero(
            (lat != geo.NO_COORD)
            & (np.abs(lat / geo.SCALE - around[0]) < dlat)
            & (np.abs(lon / geo.SCALE - around[1]) < dlon)
        )
        plat, plon = lat[box] / geo.SCALE, lon[box] / geo.SCALE
        cost = np.zeros(box.size)
        for qlat, qlon, low, high in self.constraints:
            d = haversine_km(qlat, qlon, plat, plon)
            cost += np.maximum(0.0, low - d) + np.maximum(0.0, d - high)
        best = cost <= cost.min() + 1e-9
        assert box.size > 5000  # the attacker really tried a whole area's postcodes
        return np.column_stack([plat[best], plon[best]]), float(cost.min())


def assert_not_traced(
    evidence: Evidence, home: geo.PostcodeLocation, public: geo.PublicPoint, g
) -> None:
    fits, _ = evidence.fit(g, home.point)
    to_home = haversine_km(home.lat, home.lon, fits[:, 0], fits[:, 1])
    public_to_home = float(
        haversine_km(home.lat, home.lon, np.array([public.lat]), np.array([public.lon]))[0]
    )
    to_public = haversine_km(public.lat, public.lon, fits[:, 0], fits[:, 1])
    # The test is only worth something if the home is well away from its public point...
    assert public_to_home > 2 * ALLOWANCE_KM, (home.postcode, public_to_home)
    # ... and if the attack works: it does pin down the public point.
    assert to_public.min() < ALLOWANCE_KM, (home.postcode, to_public.min())
    # What it must not do: get nearer the home than the public point is.
    assert to_home.min() >= public_to_home - ALLOWANCE_KM, (
        f"the attacker placed {home.postcode} {to_home.min():.3f} km from home; "
        f"its public point is {public_to_home:.3f} km away"
    )


# --------------------------------------------------------------------------- the API


def _match(client, postcode: str, distance: float, carer_id: int) -> dict | None:
    body = {"postcode": postcode, "max_distance_km": distance, "limit": 100}
    response = client.post("/api/v1/match", json=body)
    assert response.status_code == 200, response.json
    for result in response.json["results"]:
        if result["carer_id"] == carer_id:
            return result
    return None


def _score_interval(score: float, places: int) -> tuple[float, float]:
    """The distances a score rounded to ``places`` decimals allows (locality only)."""
    half = 0.5 * 10.0**-places
    high_score, low_score = min(score + half, 1.0), max(score - half, 1e-12)
    return (-HALF_KM * math.log2(high_score), -HALF_KM * math.log2(low_score))


def sweep(present, guess: float, low_limit: float, high_limit: float) -> tuple[float, float]:
    """The attacker's probe of a hard filter: ``present(x)`` says whether the carer is
    listed when the filter is x. Fine steps of 0.05 km around the guess, then bisection
    down to a metre. Returns (largest x without the carer, smallest x with them)."""
    steps = [x for x in np.arange(guess - 0.6, guess + 0.65, 0.05) if low_limit <= x <= high_limit]
    inside = [x for x in steps if present(float(x))]
    outside = [x for x in steps if x not in inside]
    high = float(min(inside)) if inside else high_limit
    low = float(max([x for x in outside if x < high], default=low_limit))
    while high - low > 0.001:
        mid = (low + high) / 2
        if present(mid):
            high = mid
        else:
            low = mid
    return low, high


def attack_match(client, carer_id: int, queries: list[geo.PostcodeLocation]) -> Evidence:
    evidence = Evidence()
    for where in queries:
        found = _match(client, where.postcode, 50, carer_id)  # the largest distance
        assert found is not None, where.postcode
        shown = found["distance_km"]
        evidence.add(where, shown - 0.25 - 1e-6, shown + 0.25 + 1e-6)
        evidence.add(where, *_score_interval(found["signals"]["locality"]["score"], 3))
        evidence.add(where, *_score_interval(found["score"], 4))
        if shown + 0.25 >= 1:  # max_distance_km runs from 1 to 50 km, as on the web
            low, high = sweep(
                lambda x, pc=where.postcode: _match(client, pc, x, carer_id) is not None,
                max(shown, 1.0),
                1.0,
                50.0,
            )
            if high > 1.0:
                evidence.add(where, low, high)
    return evidence


def _place(make, provider: Provider, home: geo.PostcodeLocation, name: str) -> Carer:
    return make.carer(
        provider,
        display_name=name,
        postcode=home.postcode,
        district=home.outcode,
        lat=home.lat,
        lon=home.lon,
        travel_radius_km=100.0,
        interests=[],
        skills=[],
    )


HOMES = [
    pytest.param("LS6 3", id="Leeds-sector"),
    pytest.param("BS6 6", id="Bristol-sector"),
    pytest.param("CR3 4", id="small-sector-uses-district"),
]


@pytest.mark.parametrize("sector", HOMES)
def test_match_api_cannot_trace_a_carer_home(client, make, geocoder, sector) -> None:
    home = edge_of_sector(geocoder, sector)
    public = geo.public_point(home.postcode)
    provider = make.provider(
        name="Traced Co-op",
        postcode=home.postcode,
        district=home.outcode,
        lat=home.lat,
        lon=home.lon,
    )
    carer = _place(make, provider, home, "Target")
    # Neighbours in the same sector make no difference to what can be learnt.
    queries = queries_around(geocoder, home.lat, home.lon)
    evidence = attack_match(client, carer.id, queries)
    assert_not_traced(evidence, home, public, geocoder)


def test_providers_api_cannot_trace_a_personal_assistants_home(client, make, geocoder) -> None:
    home = edge_of_sector(geocoder, "LS6 3")
    public = geo.public_point(home.postcode)
    pa = make.provider(
        name="Sam Self-employed",
        legal_form="self_employed_pa",
        postcode=home.postcode,
        district=home.outcode,
        lat=home.lat,
        lon=home.lon,
        service_radius_km=None,
        service_districts=[],
    )
    evidence = Evidence()
    for where in queries_around(geocoder, home.lat, home.lon):
        detail = client.get(f"/api/v1/providers/{pa.id}?postcode={where.postcode}").json
        shown = detail["distance_km"]
        evidence.add(where, shown - 0.25 - 1e-6, shown + 0.25 + 1e-6)

        def listed(radius: float, pc: str = where.postcode) -> bool:
            body = client.get(f"/api/v1/providers?postcode={pc}&radius_km={radius}").json
            return any(p["id"] == pa.id for p in body["results"])

        if shown + 0.25 >= 1:  # radius_km starts at 1 km
            low, high = sweep(listed, max(shown, 1.0), 1.0, 100.0)
            if high > 1.0:
                evidence.add(where, low, high)
    assert_not_traced(evidence, home, public, geocoder)


def test_the_attack_finds_a_home_placed_at_its_own_point(make, geocoder) -> None:
    """The attack is real: given exact distances (what the API gave before public
    points) the same fit lands on the home postcode itself."""
    home = edge_of_sector(geocoder, "LS6 3")
    evidence = Evidence()
    for where in queries_around(geocoder, home.lat, home.lon):
        d = float(haversine_km(where.lat, where.lon, np.array([home.lat]), np.array([home.lon]))[0])
        rounded = round(d, 2)  # the old API: distance_km to 0.01 km
        evidence.add(where, rounded - 0.005, rounded + 0.005)
    fits, _ = evidence.fit(geocoder, home.point)
    to_home = haversine_km(home.lat, home.lon, fits[:, 0], fits[:, 1])
    assert to_home.min() < 0.05


# --------------------------------------------------------------------------- all pages


def _all_public_answers(client, carer: Carer, provider: Provider, team_id: int) -> list[str]:
    # Not the carer's own postcode: a search page repeats the postcode typed into it.
    postcodes = ["LS6 1AA", "LS6 3HS", "LS6", "LS16 5AA", "LS2 9JT"]
    answers = []
    for pc in postcodes:
        answers.append(client.get(f"/search?postcode={pc}&radius_km=10").get_data(as_text=True))
        answers.append(client.post("/api/v1/match", json={"postcode": pc}).get_data(as_text=True))
        answers.append(client.get(f"/api/v1/providers?postcode={pc}").get_data(as_text=True))
        answers.append(
            client.get(f"/api/v1/providers/{provider.id}?postcode={pc}").get_data(as_text=True)
        )
    for url in (
        "/",
        f"/carers/{carer.id}",
        f"/teams/{team_id}",
        f"/providers/{provider.id}",
        f"/councils/{provider.care_council_code}",
        "/councils",
        "/api/v1/providers",
        f"/api/v1/providers/{provider.id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        answers.append(response.get_data(as_text=True))
    return answers


def _coordinate_texts(value: float) -> set[str]:
    return {f"{value:.{n}f}" for n in (4, 5)} | {repr(value)}


def test_no_page_or_api_answer_shows_a_home(client, make, geocoder) -> None:
    home = geocoder.lookup("LS6 3HN")
    base = geocoder.lookup("LS6 2DT")
    provider = make.provider(
        name="Open Co-op",
        postcode=base.postcode,
        district=base.outcode,
        lat=base.lat,
        lon=base.lon,
        legal_form="self_employed_pa",
    )
    carer = _place(make, provider, home, "Ana")
    team = make.team(provider, members=0, name="Headingley")
    from marketplace.extensions import db
    from marketplace.models import TeamMember

    db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=1))
    db.session.flush()
    answers = _all_public_answers(client, carer, provider, team.id)
    forbidden = {
        home.postcode,
        home.postcode.replace(" ", ""),
        base.postcode,
        base.postcode.replace(" ", ""),
    }
    for point in (home, base):
        forbidden |= _coordinate_texts(point.lat) | _coordinate_texts(point.lon)
    assert sum("Ana" in text for text in answers) >= 10  # the carer really was shown
    for text in answers:
        upper = text.upper()
        for secret in forbidden:
            assert secret.upper() not in upper, secret
        # Every distance shown is a multiple of 0.5 km (or "under 1 km").
        for number in re.findall(r'"distance_km":\s*([0-9.]+)', text):
            assert float(number) * 2 == round(float(number) * 2), number
        for number in re.findall(r"([0-9]+(?:\.[0-9]+)?) km away", text):
            assert float(number) * 2 == round(float(number) * 2), number


def test_search_page_and_api_give_the_same_rounded_distance(client, make, geocoder) -> None:
    home = edge_of_sector(geocoder, "LS6 3")
    provider = make.provider(name="Same Co-op")
    carer = _place(make, provider, home, "Bea")
    api = _match(client, "LS16 5AA", 20, carer.id)
    page = client.get("/search?postcode=LS16+5AA&radius_km=20").get_data(as_text=True)
    shown = re.search(r"<dt>Distance</dt><dd>([^<]+)</dd>", page).group(1)
    assert api is not None and api["distance_km"] * 2 == int(api["distance_km"] * 2)
    assert shown == (f"{api['distance_km']:g} km" if api["distance_km"] >= 1 else "under 1 km")
    public = geo.public_point(home.postcode)
    exact = geo.distance_km(geocoder.lookup("LS16 5AA").point, (public.lat, public.lon))
    assert abs(api["distance_km"] - exact) <= 0.25 + 1e-9
    assert f"{exact:.1f} km" not in page or f"{exact:.1f}" == f"{api['distance_km']:.1f}"


def test_under_one_km_on_pages(client, make, geocoder) -> None:
    provider = make.provider(name="Close Co-op")
    home = geocoder.lookup("LS6 3HN")
    _place(make, provider, home, "Cal")
    public = geo.public_point(home.postcode)
    here = nearest_postcode(geocoder, public.lat, public.lon)
    page = client.get(f"/search?postcode={here}&radius_km=5").get_data(as_text=True)
    assert "<dt>Distance</dt><dd>under 1 km</dd>" in page
    assert "Under 1 km away, inside Cal&#39;s 100 km travel area" in page
