"""Deterministic demo data on real UK places (flask seed-demo)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from marketplace import choices, geo, regulators
from marketplace.auth.services import create_user
from marketplace.extensions import db
from marketplace.models import (
    Budget,
    Carer,
    CarerCheck,
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
    (
        "supporter@coopcare.example",
        "Joe Khan",
        ["supporter"],
        "Amira's brother, her supporter (see, message, manage introductions)",
    ),
    ("provider@coopcare.example", "Grace Okafor", ["provider_admin"], "runs Headingley Care Co-op"),
    ("carer@coopcare.example", "Ana Silva", ["carer"], "a carer at Headingley Care Co-op"),
    ("reviewer@coopcare.example", "Priya Shah", ["reviewer"], "the quality team"),
    ("admin@coopcare.example", "Tom Evans", ["admin"], "an administrator"),
    ("isf@coopcare.example", "Derek Walsh", ["person"], "Headingley Care Co-op holds his fund"),
    (
        "family@coopcare.example",
        "Rosa Walsh",
        ["supporter"],
        "supports two people: Derek, her father (see, pay), and Amira, a friend (see); "
        "she chooses whom she acts for",
    ),
]

# Real postcode districts in each place, and each provider with the district its name
# is about (Headingley is in LS6, Peckham in SE15, Dennistoun in G31, ...).
PLACES: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    (
        "Leeds",
        ["LS6", "LS7", "LS8", "LS4", "LS11", "LS12", "LS9", "LS17"],
        [
            ("Headingley Care Co-op", "LS6"),
            ("Chapeltown Home Support Co-operative", "LS7"),
            ("Armley Care Workers' Co-op", "LS12"),
            ("Roundhay Circles CIC", "LS8"),
            ("Leeds Shared Care Mutual", "LS11"),
        ],
    ),
    (
        "Doncaster",
        ["DN1", "DN2", "DN4", "DN5", "DN12"],
        [
            ("Don Valley Care Co-operative", "DN1"),
            ("Doncaster Neighbourhood Carers CIC", "DN2"),
            ("Conisbrough Community Care Society", "DN12"),
        ],
    ),
    (
        "Bristol",
        ["BS1", "BS2", "BS3", "BS5", "BS6", "BS7", "BS16"],
        [
            ("Bristol Care Workers Co-operative", "BS1"),
            ("Easton Together Care CIC", "BS5"),
            ("Avon Home Care Mutual", "BS2"),
            ("Bedminster Circles Co-op", "BS3"),
            ("Fishponds PA Collective", "BS16"),
        ],
    ),
    (
        "Manchester",
        ["M14", "M13", "M19", "M20", "M21", "M4", "M8", "M9", "M40"],
        [
            ("Manchester Community Care Co-op", "M13"),
            ("Levenshulme Care Collective", "M19"),
            ("Moss Side Family Support Society", "M14"),
            ("Northern Quarter Carers CIC", "M4"),
        ],
    ),
    (
        "London",
        ["E8", "N16", "SE15", "SE5", "SW9", "NW5", "E17", "N19"],
        [
            ("Hackney Care Co-operative", "E8"),
            ("Peckham Home Support Co-op", "SE15"),
            ("Brixton Community Carers CIC", "SW9"),
            ("Walthamstow Wellbeing Team", "E17"),
            ("Camden Care Mutual", "NW5"),
            ("Islington Carers' Collective", "N19"),
        ],
    ),
    (
        "Cardiff",
        ["CF10", "CF11", "CF14", "CF24", "CF5"],
        [
            ("Cwmni Gofal Caerdydd Co-op", "CF10"),
            ("Cardiff Care Workers Co-operative", "CF24"),
            ("Taff Community Care CIC", "CF11"),
        ],
    ),
    (
        "Glasgow",
        ["G11", "G12", "G20", "G31", "G41", "G42"],
        [
            ("Glasgow Care Co-operative", "G20"),
            ("Southside Home Support Co-op", "G41"),
            ("Dennistoun Community Carers", "G31"),
            ("Clyde Carers Mutual", "G11"),
        ],
    ),
]

# Ofcom's numbers for drama (never assigned to anyone): 1,000 in each of these ranges.
DRAMA_PHONE_RANGES = {
    "Leeds": "0113 496 0{:03d}",
    "Bristol": "0117 496 0{:03d}",
    "London": "020 7946 0{:03d}",
    "Cardiff": "029 2018 0{:03d}",
    "Glasgow": "0141 496 0{:03d}",
    "Manchester": "0161 496 0{:03d}",
}
OTHER_DRAMA_PHONE = "01632 960{:03d}"  # Ofcom's drama range for anywhere else


def drama_phone(place: str, number: int) -> str:
    """A phone number from Ofcom's drama ranges for the place (0 <= number < 1000)."""
    return DRAMA_PHONE_RANGES.get(place, OTHER_DRAMA_PHONE).format(number % 1000)


# First names by the gender a demo carer gives (None: prefers not to say).
FIRST_NAMES: dict[str | None, list[str]] = {
    "female": [
        "Ana",
        "Chloe",
        "Ellie",
        "Farah",
        "Hana",
        "Jade",
        "Leah",
        "Nia",
        "Priya",
        "Sara",
        "Uma",
        "Vicky",
        "Zofia",
        "Bronwen",
        "Deepa",
        "Eilidh",
        "Grace",
        "Iona",
        "Lucy",
        "Niamh",
        "Rosa",
        "Sian",
        "Amina",
        "Kerry",
    ],
    "male": [
        "Ben",
        "Dev",
        "George",
        "Isaac",
        "Kwame",
        "Mo",
        "Oskar",
        "Rhys",
        "Tariq",
        "Wes",
        "Yusuf",
        "Aled",
        "Callum",
        "Fergus",
        "Hamza",
        "Jakub",
        "Marek",
        "Paul",
        "Tom",
    ],
    "non_binary": ["Alex", "Sam", "Robin", "Jo"],
    None: ["Alex", "Sam", "Jordan", "Charlie", "Ali", "Kit"],
}
GENDER_WEIGHTS = (("female", 60), ("male", 32), ("non_binary", 3), (None, 5))
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
        "travel_radius_km": float(rng.choice([5, 8, 10, 12, 15, 20])),
        "availability": slots if rng.random() > 0.05 else None,
        "hourly_rate_pence": rng.randrange(1650, 2650, 25),
        "care_certificate": rng.random() < 0.85,
    }


def _carer_preferences(rng: random.Random) -> dict[str, object]:
    """What a demo carer says of homes and the people they like to support: a realistic
    spread, some not said at all (then nobody is left out because of it)."""
    pets = rng.choices(
        [
            None,
            ["dogs", "cats", "other_pets"],
            ["cats", "other_pets"],
            ["dogs", "cats"],
            ["dogs"],
            [],
        ],
        weights=[20, 45, 12, 10, 8, 5],
    )[0]
    kinds = []
    if rng.random() < 0.8:
        kinds = sorted(
            {rng.choice(["companionship", "out_and_about"])}
            | set(rng.sample(choices.SupportKind.values(), k=rng.randint(1, 3))),
            key=choices.SupportKind.values().index,
        )
    groups = []
    if rng.random() < 0.6:
        groups = sorted(
            set(rng.sample(choices.PersonGroup.values(), k=rng.randint(1, 3)))
            | ({"older_people"} if rng.random() < 0.6 else set()),
            key=choices.PersonGroup.values().index,
        )
    return {
        "pets_ok": pets,
        "smoking_ok": rng.choices([None, True, False], weights=[25, 35, 40])[0],
        "enjoys_support": kinds,
        "would_support": groups,
    }


def _demo_checks(
    rng: random.Random, scheme: str, carer_id: int, organisation: str, verifier_id: int | None
) -> list[dict[str, object]]:
    """A criminal record check and right to work, both verified by the carer's provider."""
    issued = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 600))
    update_service = rng.random() < 0.7
    digits = 16 if scheme == "pvg" else 12
    number = f"{rng.randrange(10 ** (digits - 1), 10**digits)}"
    verified = {
        "status": "verified",
        "verified_by_user_id": verifier_id,
        "verified_at": DEMO_EPOCH,
        "verified_by_organisation": organisation,
        "declared_at": DEMO_EPOCH,
        "created_at": DEMO_EPOCH,
        "updated_at": DEMO_EPOCH,
        "carer_id": carer_id,
        "declared_by_user_id": None,
        "lapsed_reason": None,
        "expires_on": None,
    }
    return [
        {
            **verified,
            "kind": "criminal_record",
            "scheme": scheme,
            "level": "enhanced_barred",
            "certificate_number": number,
            "issued_on": issued,
            "update_service": update_service,
        },
        {
            **verified,
            "kind": "right_to_work",
            "scheme": None,
            "level": None,
            "certificate_number": None,
            "issued_on": None,
            "update_service": False,
        },
    ]


class _Postcodes:
    """Real live postcodes of each district (from the shipped table), looked up once."""

    def __init__(self) -> None:
        self._by_district: dict[str, geo.LivePostcodes] = {}

    def pick(self, rng: random.Random, district: str) -> tuple[str, float, float] | None:
        found = self._by_district.get(district)
        if found is None:
            found = self._by_district[district] = geo.live_postcodes(district)
        return rng.choice(found) if found else None


def _gender_and_name(rng: random.Random) -> tuple[str | None, str]:
    """A gender and a first name that goes with it, with a surname initial."""
    genders, weights = zip(*GENDER_WEIGHTS, strict=True)
    gender = rng.choices(genders, weights)[0]
    return gender, f"{rng.choice(FIRST_NAMES[gender])} {rng.choice(SURNAME_INITIALS)}."


def _scheme_of(provider: Provider) -> str:
    return "pvg" if (provider.care_council_code or "").startswith("S") else "dbs"


def _verify_demo_checks(
    rng: random.Random, provider: Provider, members: list[Carer], users: dict[str, User]
) -> None:
    """Every demo carer's checks, verified by their provider (by Grace for Headingley)."""
    admin = users["provider@coopcare.example"] if provider.name == "Headingley Care Co-op" else None
    rows = [
        row
        for carer in members
        for row in _demo_checks(
            rng, _scheme_of(provider), carer.id, provider.name, admin.id if admin else None
        )
    ]
    db.session.execute(sa.insert(CarerCheck.__table__), rows)


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
    for place, districts, named in PLACES:
        for i, (name, district) in enumerate(named):
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
                contact_phone=drama_phone(place, 100 * i + rng.randrange(100)),
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

    postcodes = _Postcodes()
    # Their own stream, so adding them changed no other demo value.
    preferences_rng = random.Random(seed + 11)
    made_carers = 0
    teams = 0
    per_provider = max(1, carers // len(providers)) if carers <= 3000 else 0
    for index, (provider, place, _districts) in enumerate(providers):
        count = per_provider + (1 if index < carers - per_provider * len(providers) else 0)
        if carers > 3000:
            count = 10
        members: list[Carer] = []
        for _ in range(count):
            district = rng.choice(provider.service_districts)  # where the co-op works
            home = postcodes.pick(rng, district)
            assert home is not None, district
            profile = _carer_profile(rng, place) | _carer_preferences(preferences_rng)
            gender, name = _gender_and_name(rng)
            carer = Carer(
                provider_id=provider.id,
                display_name=name,
                gender=gender,
                postcode=home[0],
                district=district,
                lat=home[1],
                lon=home[2],
                bio=f"I have worked in care in {place} for "
                f"{rng.randint(1, 20)} years. I enjoy getting to know people.",
                **profile,
            )
            if index == 0 and not members:
                carer.display_name, carer.gender = "Ana S.", "female"
                carer.user_id = users["carer@coopcare.example"].id
                carer.interests = ["gardening", "football"]
                carer.pets_ok, carer.smoking_ok = ["dogs", "cats"], False
                carer.enjoys_support = ["out_and_about", "companionship", "meals"]
                carer.would_support = ["older_people", "dementia"]
            db.session.add(carer)
            members.append(carer)
            made_carers += 1
        db.session.flush()
        _verify_demo_checks(rng, provider, members, users)
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
    # Amira has a cat and would like help getting out and about, and company; she has
    # not said which groups she belongs to (she need not).
    amira.preferences = {
        "carer_gender": "female",
        "pets": ["cats"],
        "smoking_home": False,
        "support_wanted": ["out_and_about", "companionship"],
        "groups": [],
    }
    # Amira's direct payment from Leeds City Council, paid onto a prepaid card.
    amira_budget = Budget(
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
    db.session.add(amira_budget)
    db.session.add(
        ConsentGrant(
            person_id=amira.id,
            supporter_user_id=users["supporter@coopcare.example"].id,
            granted_by_user_id=users["person@coopcare.example"].id,
            relationship_to_person="family",
            scopes=["view", "message", "manage_introductions"],
            starts_at=DEMO_EPOCH,
        )
    )
    db.session.flush()
    from marketplace.budgets.demo import seed_budgets

    derek = users["isf@coopcare.example"].person
    assert derek is not None
    # Rosa supports two people, so she chooses whom she acts for on /supporting (a page
    # about one person asks her to choose first, then brings her back).
    for person, granted_by, relationship, scopes in (
        (derek, "isf@coopcare.example", "family", ["view", "pay"]),
        (amira, "person@coopcare.example", "friend", ["view"]),
    ):
        db.session.add(
            ConsentGrant(
                person_id=person.id,
                supporter_user_id=users["family@coopcare.example"].id,
                granted_by_user_id=users[granted_by].id,
                relationship_to_person=relationship,
                scopes=scopes,
                starts_at=DEMO_EPOCH,
            )
        )
    seed_budgets(amira_budget, derek, headingley, users["provider@coopcare.example"])
    from marketplace.memberships.demo import seed_memberships

    seed_memberships(headingley, amira, users["provider@coopcare.example"], amira_budget)
    from marketplace.providers.demo import seed_quality_assurance

    seed_quality_assurance([p for p, _, _ in providers], users, DEMO_EPOCH)
    from marketplace.shortlist.demo import seed_shortlist

    seed_shortlist(amira, [p for p, _, _ in providers], DEMO_EPOCH)
    from marketplace.introductions.demo import seed_introductions

    seed_introductions(amira, headingley, users["provider@coopcare.example"])
    from marketplace.arrangements.demo import seed_arrangement

    arrangement = seed_arrangement(
        amira, headingley, users["provider@coopcare.example"], DEMO_EPOCH
    )
    from marketplace.invoices.demo import seed_open_invoices

    seed_open_invoices(amira_budget, headingley, users["provider@coopcare.example"], arrangement)
    return SeedReport(providers=len(providers), teams=teams, carers=made_carers, users=len(users))


def _districts_for_scale() -> list[str]:
    """All GB postcode districts with a centroid."""
    import csv

    with open(geo.DATA_DIR / geo.DISTRICTS_FILE, newline="", encoding="utf-8") as handle:
        return [
            row["outcode"]
            for row in csv.DictReader(handle)
            if row["lat"] and row["country"] in {"E", "W", "S"}
        ]


def _scale_rows(
    rng: random.Random, count: int, provider_ids: list[int], postcodes: _Postcodes
) -> Iterator[dict]:
    districts = _districts_for_scale()
    for n in range(count):
        home = None
        while home is None:  # a few districts have no live postcode with a location
            outcode = rng.choice(districts)
            home = postcodes.pick(rng, outcode)
        public = geo.public_point(home[0])  # Core insert: no ORM hook sets it
        row = _carer_profile(rng, "")
        gender, name = _gender_and_name(rng)
        row.update(
            ref=f"scale-{n}",
            provider_id=rng.choice(provider_ids),
            display_name=name,
            gender=gender,
            district=outcode,
            postcode=home[0],
            lat=home[1],
            lon=home[2],
            public_lat=public.lat,
            public_lon=public.lon,
            bio="",
            active=True,
            user_id=None,
            created_at=DEMO_EPOCH,
            updated_at=DEMO_EPOCH,
        )
        yield row


def _bulk_scale_carers(
    rng: random.Random, count: int, progress: Callable[[int], None] | None
) -> int:
    """Insert many carers fast (core executemany, in chunks) for scale testing, each
    on a real postcode with checks verified by their provider."""
    if count <= 0:
        return 0
    providers = db.session.execute(
        sa.select(Provider.id, Provider.name, Provider.care_council_code)
        .where(Provider.is_listed)
        .order_by(Provider.id)
    ).all()
    by_id = {p.id: p for p in providers}
    table = Carer.__table__
    postcodes = _Postcodes()

    def write(batch: list[dict]) -> None:
        db.session.execute(sa.insert(table), batch)
        # The new ids by ref (one SELECT; faster than RETURNING over executemany).
        refs = [row["ref"] for row in batch]
        id_of = dict(
            db.session.execute(
                sa.select(table.c.ref, table.c.id).where(table.c.ref.in_(refs))
            ).all()
        )
        checks = []
        for row in batch:
            carer_id = id_of[row["ref"]]
            provider = by_id[row["provider_id"]]
            scheme = "pvg" if (provider.care_council_code or "").startswith("S") else "dbs"
            checks += _demo_checks(rng, scheme, carer_id, provider.name, None)
        db.session.execute(sa.insert(CarerCheck.__table__), checks)
        if progress:
            progress(len(batch))

    batch: list[dict] = []
    for row in _scale_rows(rng, count, list(by_id), postcodes):
        batch.append(row)
        if len(batch) == 5000:
            write(batch)
            batch = []
    if batch:
        write(batch)
    return count
