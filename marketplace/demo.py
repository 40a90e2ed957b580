"""Deterministic demo data on real UK places (flask seed-demo)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from marketplace import choices, geo, regulators
from marketplace.auth.services import create_user
from marketplace.catalog_version import bump_catalog_version
from marketplace.extensions import db
from marketplace.models import (
    Budget,
    Carer,
    ConsentGrant,
    Provider,
    ProviderAdmin,
    Team,
    TeamMember,
    User,
)
from marketplace.models.providers import LEGAL_FORMS, TEAM_MAX_MEMBERS
from matching.vocabulary import DEFAULT_VOCABULARY

DEMO_PASSWORD = "coopcare-demo-1"  # noqa: S105 - printed for people trying the demo
DEMO_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # fixed, so every seed is the same

DEMO_LOGINS = [
    ("person@coopcare.example", "Amira Khan", ["person"], "a person with a direct payment"),
    ("supporter@coopcare.example", "Joe Khan", ["supporter"], "Amira's brother, her supporter"),
    ("provider@coopcare.example", "Grace Okafor", ["provider_admin"], "runs Headingley Care Co-op"),
    ("carer@coopcare.example", "Ana Silva", ["carer"], "a carer at Headingley Care Co-op"),
    ("reviewer@coopcare.example", "Priya Shah", ["reviewer"], "the quality team"),
    ("admin@coopcare.example", "Tom Evans", ["admin"], "an administrator"),
]

# Real postcode districts in each place. (place, districts, provider names)
PLACES: list[tuple[str, list[str], list[str]]] = [
    (
        "Leeds",
        ["LS6", "LS7", "LS8", "LS4", "LS11", "LS12", "LS9", "LS17"],
        [
            "Headingley Care Co-op",
            "Chapeltown Home Support Co-operative",
            "Aire Valley Care Workers' Co-op",
            "Roundhay Circles CIC",
            "Leeds Shared Care Mutual",
        ],
    ),
    (
        "Doncaster",
        ["DN1", "DN2", "DN4", "DN5", "DN12"],
        [
            "Don Valley Care Co-operative",
            "Doncaster Neighbourhood Carers CIC",
            "Conisbrough Community Care Society",
        ],
    ),
    (
        "Bristol",
        ["BS1", "BS2", "BS3", "BS5", "BS6", "BS7", "BS16"],
        [
            "Bristol Care Workers Co-operative",
            "Easton Together Care CIC",
            "Avon Home Care Mutual",
            "Bedminster Circles Co-op",
            "Severnside PA Collective",
        ],
    ),
    (
        "Manchester",
        ["M14", "M13", "M20", "M21", "M8", "M9", "M40"],
        [
            "Manchester Community Care Co-op",
            "Levenshulme Care Collective",
            "Moss Side Family Support Society",
            "Northern Quarter Carers CIC",
        ],
    ),
    (
        "London",
        ["E8", "N16", "SE15", "SE5", "SW9", "NW5", "E17", "N19"],
        [
            "Hackney Care Co-operative",
            "Peckham Home Support Co-op",
            "Brixton Community Carers CIC",
            "Walthamstow Wellbeing Team",
            "Camden Care Mutual",
            "Islington Carers' Collective",
        ],
    ),
    (
        "Cardiff",
        ["CF10", "CF11", "CF14", "CF24", "CF5"],
        [
            "Cwmni Gofal Caerdydd Co-op",
            "Cardiff Care Workers Co-operative",
            "Taff Community Care CIC",
        ],
    ),
    (
        "Glasgow",
        ["G11", "G12", "G20", "G31", "G41", "G42"],
        [
            "Glasgow Care Co-operative",
            "Southside Home Support Co-op",
            "Dennistoun Community Carers",
            "Clyde Carers Mutual",
        ],
    ),
]

FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Farah",
    "George",
    "Hana",
    "Isaac",
    "Jade",
    "Kwame",
    "Leah",
    "Mo",
    "Nia",
    "Oskar",
    "Priya",
    "Rhys",
    "Sara",
    "Tariq",
    "Uma",
    "Vicky",
    "Wes",
    "Yusuf",
    "Zofia",
    "Aled",
    "Bronwen",
    "Callum",
    "Deepa",
    "Eilidh",
    "Fergus",
    "Grace",
    "Hamza",
    "Iona",
    "Jakub",
    "Kerry",
    "Lucy",
    "Marek",
    "Niamh",
    "Olu",
    "Paul",
    "Rosa",
    "Sian",
    "Tom",
]
SURNAME_INITIALS = "ABCDEFGHJKLMNOPRSTW"
SLOTS = list(choices.SLOTS)
LANGUAGE_BY_PLACE = {
    "Cardiff": ["cy"],
    "Glasgow": ["gd", "pl"],
    "London": ["bn", "so", "pl", "pt", "es"],
    "Leeds": ["ur", "pa", "pl"],
    "Manchester": ["ur", "ar", "so"],
    "Bristol": ["so", "pl"],
    "Doncaster": ["pl", "ro"],
}
PRINCIPLES = (
    "We are owned by the people who do the work. Every member has one vote, we share what "
    "we earn, and we put the people we support first."
)
MEMBER_SETS = [
    ["workers"],
    ["workers", "people_supported"],
    ["workers", "people_supported", "families"],
    ["workers", "community"],
]
NOT_APPROVED = {
    "Roundhay Circles CIC": "submitted",
    "Avon Home Care Mutual": "draft",
    "Northern Quarter Carers CIC": "changes_requested",
    "Islington Carers' Collective": "suspended",
    "Taff Community Care CIC": "submitted",
    "Clyde Carers Mutual": "draft",
}


@dataclass
class SeedReport:
    providers: int
    teams: int
    carers: int
    users: int


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point within about ``km`` of (lat, lon)."""
    distance = km * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    dlat = distance * math.cos(angle) / 111.0
    dlon = distance * math.sin(angle) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _carer_profile(rng: random.Random, place: str) -> dict[str, object]:
    skills = sorted(DEFAULT_VOCABULARY.skills)
    interests = sorted(DEFAULT_VOCABULARY.interests)
    languages = ["en", *rng.sample(LANGUAGE_BY_PLACE.get(place, ["pl"]), k=rng.choice([0, 0, 1]))]
    core = ["personal_care", "companionship"] if rng.random() < 0.8 else ["companionship"]
    chosen = set(core) | set(rng.sample(skills, k=rng.randint(2, 7)))
    slots = sorted(rng.sample(SLOTS, k=rng.randint(4, 14)), key=SLOTS.index)
    return {
        "skills": sorted(s for s in chosen if s in DEFAULT_VOCABULARY.skills),
        "interests": [
            DEFAULT_VOCABULARY.interests[i].label.lower()
            for i in sorted(rng.sample(interests, k=rng.randint(1, 4)))
        ],
        "languages": languages,
        "gender": rng.choices(["female", "male", "non_binary", None], [60, 32, 3, 5])[0],
        "travel_radius_km": float(rng.choice([5, 8, 10, 12, 15, 20])),
        "availability": slots if rng.random() > 0.05 else None,
        "hourly_rate_pence": rng.randrange(1650, 2650, 25),
        "dbs_level": "enhanced_barred",
        "dbs_update_service": rng.random() < 0.7,
        "care_certificate": rng.random() < 0.85,
        "right_to_work_checked": True,
        "dbs_issue_date": date(2024, 1, 1) + timedelta(days=rng.randrange(0, 600)),
    }


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_INITIALS)}."


_DEMO_RATINGS = {
    "cqc": ["outstanding", "good", "good", "good"],
    "care_inspectorate": ["very_good", "good", "good", "excellent"],
    "ciw": ["excellent", "good", "good", "good"],
    "rqia": ["inspected", "inspected", "inspected", "not_inspected"],
}


def _demo_registration(place: geo.PostcodeLocation, rng: random.Random) -> dict[str, str]:
    """A regulator registration for a demo co-op: its nation's regulator, a number in that
    regulator's format, a rating in its words (two draws from rng, as before)."""
    nation = regulators.nation_of(place.postcode, place.care_council_code)
    regulator = regulators.BY_NATION[nation or choices.Nation.ENGLAND]
    n = rng.randrange(10**9, 10**10)
    letters = "".join(chr(65 + (n // 26**i) % 26) for i in range(4))
    number = {
        "cqc": f"1-{n}",
        "care_inspectorate": f"CS{n:010d}",
        "ciw": f"SIN-{n % 10**8:08d}-{letters}",
        "rqia": str(10000 + n % 90000),
    }[regulator.code]
    rating = rng.choice(_DEMO_RATINGS[regulator.code])
    return {"regulator": regulator.code, "regulator_number": number, "regulator_rating": rating}


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def seed_demo(
    carers: int = 300, seed: int = 2026, progress: Callable[[int], None] | None = None
) -> SeedReport:
    """Create the demo co-ops, teams, carers and users. Call on an empty database."""
    rng = random.Random(seed)
    users = {
        email: create_user(email, DEMO_PASSWORD, name, roles)
        for email, name, roles, _ in DEMO_LOGINS
    }
    for user in users.values():
        user.created_at = DEMO_EPOCH

    providers: list[tuple[Provider, str, list[str]]] = []
    forms = list(LEGAL_FORMS)
    for place, districts, names in PLACES:
        for i, name in enumerate(names):
            district = districts[i % len(districts)]
            here = geo.lookup(district)
            form = (
                "cic"
                if "CIC" in name
                else (
                    "worker_coop" if "Workers" in name else forms[(len(providers) * 3) % len(forms)]
                )
            )
            if form == "self_employed_pa":
                form = "multi_stakeholder_coop"
            status = NOT_APPROVED.get(name, "approved")
            provider = Provider(
                name=name,
                legal_form=form,
                principles=PRINCIPLES,
                members=MEMBER_SETS[len(providers) % len(MEMBER_SETS)],
                description=f"A {LEGAL_FORMS[form].lower()} giving care and support at home "
                f"across {place}. Small teams, the same faces, and time to talk.",
                district=district,
                lat=here.lat,
                lon=here.lon,
                care_council_code=here.care_council_code,
                service_radius_km=float(rng.choice([8, 10, 12, 15])),
                service_districts=sorted({district, *rng.sample(districts, k=3)}),
                # The regulator of the nation the co-op is in (Cardiff: CIW, Glasgow: the
                # Care Inspectorate), with a made-up number in that regulator's format.
                regulated=True,
                **_demo_registration(here, rng),
                fca_number=f"{rng.randrange(10000, 40000)}R" if "CIC" not in name else None,
                companies_house_number=f"{rng.randrange(10**7, 10**8 - 1):08d}"
                if "CIC" in name
                else None,
                hourly_rate_pence=rng.randrange(2100, 2900, 50),
                contact_email=f"hello@{name.lower().split()[0].strip(chr(39))}.coop.invalid",
                contact_phone=f"0{rng.randrange(1000, 9999)} {rng.randrange(100000, 999999)}",
                qa_status=status,
                approved_at=DEMO_EPOCH if status in {"approved", "suspended"} else None,
                skills=[],
                languages=["en"],
            )
            db.session.add(provider)
            providers.append((provider, place, districts))
    db.session.flush()
    headingley = providers[0][0]
    db.session.add(
        ProviderAdmin(provider_id=headingley.id, user_id=users["provider@coopcare.example"].id)
    )

    made_carers = 0
    teams = 0
    per_provider = max(1, carers // len(providers)) if carers <= 3000 else 0
    for index, (provider, place, districts) in enumerate(providers):
        count = per_provider + (1 if index < carers - per_provider * len(providers) else 0)
        if carers > 3000:
            count = 10
        members: list[Carer] = []
        for _ in range(count):
            district = rng.choice(districts)
            here = geo.lookup(district)
            lat, lon = _jitter(rng, here.lat, here.lon, 1.5)
            profile = _carer_profile(rng, place)
            carer = Carer(
                provider_id=provider.id,
                display_name=_name(rng),
                district=district,
                lat=lat,
                lon=lon,
                bio=f"I have worked in care in {place} for "
                f"{rng.randint(1, 20)} years. I enjoy getting to know people.",
                **profile,
            )
            if index == 0 and not members:
                carer.display_name = "Ana S."
                carer.user_id = users["carer@coopcare.example"].id
                carer.interests = ["gardening", "football"]
            db.session.add(carer)
            members.append(carer)
            made_carers += 1
        db.session.flush()
        provider.skills = sorted({s for c in members for s in c.skills})
        provider.languages = sorted({lang for c in members for lang in c.languages})
        for t, start in enumerate(range(0, len(members), TEAM_MAX_MEMBERS)):
            chunk = members[start : start + TEAM_MAX_MEMBERS]
            team = Team(
                provider_id=provider.id,
                name=f"{place} team {t + 1}",
                description="A self-managed neighbourhood team.",
                patch=sorted({c.district for c in chunk if c.district}),
            )
            team.memberships = [
                TeamMember(
                    carer_id=c.id,
                    seat=seat,
                    role="coach" if seat == 1 else ("circles_connector" if seat == 2 else "member"),
                )
                for seat, c in enumerate(chunk, start=1)
            ]
            db.session.add(team)
            teams += 1
        if progress:
            progress(len(members))

    if carers > 3000:
        made_carers += _bulk_scale_carers(rng, carers - made_carers, progress)

    place = geo.lookup("LS6 1AA")
    amira = users["person@coopcare.example"].person
    assert amira is not None
    amira.postcode, amira.district = place.postcode, place.outcode
    amira.lat, amira.lon, amira.care_council_code = place.lat, place.lon, place.care_council_code
    amira.funding_route = "direct_payment"
    amira.max_distance_km = 10.0
    amira.must_have = ["personal_care"]
    amira.nice_to_have = ["cooking", "shopping"]
    amira.interests = ["gardening", "music"]
    amira.languages = ["en", "ur"]
    amira.preferences = {"carer_gender": "female"}
    # Amira's direct payment from Leeds City Council, paid onto a prepaid card.
    db.session.add(
        Budget(
            person_id=amira.id,
            care_council_code=place.care_council_code,
            funding_route="direct_payment",
            amount_pence=173_600,
            period="four_weekly",
            account_type="prepaid_card",
            allowed_categories=["personal_assistant", "agency_care", "activities"],
            starts_on=date(2026, 4, 1),
            review_on=date(2027, 3, 31),
        )
    )
    db.session.add(
        ConsentGrant(
            person_id=amira.id,
            supporter_user_id=users["supporter@coopcare.example"].id,
            granted_by_user_id=users["person@coopcare.example"].id,
            relationship_to_person="Brother",
            scopes=["view", "message"],
            starts_at=DEMO_EPOCH,
        )
    )
    bump_catalog_version()
    db.session.flush()
    from marketplace.providers.demo import seed_quality_assurance

    seed_quality_assurance([p for p, _, _ in providers], users, DEMO_EPOCH)
    return SeedReport(providers=len(providers), teams=teams, carers=made_carers, users=len(users))


def _districts_for_scale() -> list[tuple[str, float, float]]:
    """All GB postcode districts with a centroid: (outcode, lat, lon)."""
    import csv

    with open(geo.DATA_DIR / geo.DISTRICTS_FILE, newline="", encoding="utf-8") as handle:
        return [
            (row["outcode"], float(row["lat"]), float(row["lon"]))
            for row in csv.DictReader(handle)
            if row["lat"] and row["country"] in {"E", "W", "S"}
        ]


def _scale_rows(rng: random.Random, count: int, provider_ids: list[int]) -> Iterator[dict]:
    districts = _districts_for_scale()
    for n in range(count):
        outcode, lat, lon = rng.choice(districts)
        jlat, jlon = _jitter(rng, lat, lon, 2.0)
        public = geo.public_point(outcode)  # Core insert: no ORM hook sets it
        row = _carer_profile(rng, "")
        row.update(
            ref=f"scale-{n}",
            provider_id=rng.choice(provider_ids),
            display_name=_name(rng),
            district=outcode,
            lat=jlat,
            lon=jlon,
            public_lat=public.lat,
            public_lon=public.lon,
            bio="",
            active=True,
            insurance_expires_on=None,
            dbs_number=None,
            postcode=None,
            user_id=None,
            created_at=DEMO_EPOCH,
            updated_at=DEMO_EPOCH,
        )
        yield row


def _bulk_scale_carers(
    rng: random.Random, count: int, progress: Callable[[int], None] | None
) -> int:
    """Insert many carers fast (core executemany, in chunks) for scale testing."""
    if count <= 0:
        return 0
    provider_ids = list(
        db.session.scalars(
            sa.select(Provider.id).where(Provider.qa_status == "approved").order_by(Provider.id)
        )
    )
    batch: list[dict] = []
    table = Carer.__table__
    for row in _scale_rows(rng, count, provider_ids):
        batch.append(row)
        if len(batch) == 5000:
            db.session.execute(sa.insert(table), batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        db.session.execute(sa.insert(table), batch)
        if progress:
            progress(len(batch))
    return count
