"""Providers (co-ops, CICs, self-employed PAs), their teams and carers."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship, validates

from marketplace import geo
from marketplace.choices import (
    CareInspectorateGrade,
    CIWRating,
    CQCRating,
    DBSLevel,
    Gender,
    LegalForm,
    MemberKind,
    QAStatus,
    Regulator,
    RQIAInspection,
    TeamRole,
)
from marketplace.models.base import Base, TimestampMixin, in_list, utcnow
from marketplace.models.users import User

# The domain words live in marketplace.choices; these names are kept for the models' callers.
LEGAL_FORMS = LegalForm.labels()
MEMBER_KINDS = MemberKind.labels()
CQC_RATINGS = CQCRating.values()
CQC_RATING_LABELS = CQCRating.labels()
QA_STATUSES = QAStatus.values()
QA_STATUS_LABELS = QAStatus.labels()
TEAM_ROLES = TeamRole.values()
TEAM_MAX_MEMBERS = 12
GENDERS = Gender.values()
DBS_LEVELS = DBSLevel.values()
# Criminal record check schemes follow the nation of the service: DBS (England and
# Wales), PVG (Scotland, Disclosure Scotland), AccessNI (Northern Ireland).
CHECK_SCHEMES = ("dbs", "pvg", "accessni")
# One row per kind of check per carer. Insurance is needed only by self-employed PAs.
CHECK_KINDS = ("criminal_record", "right_to_work", "insurance")
# declared: what the carer (or an import) says; verified: someone who may vouch for it
# has seen the documents; lapsed: was verified, but the daily job found it out of date.
CHECK_STATUSES = ("declared", "verified", "lapsed")

# Registration number formats.
CQC_LOCATION_ID = re.compile(r"^1-\d{9,11}$")
# Companies House: 8 characters, digits or a two-letter prefix (SC, NI, OC, CE, RS, ...).
COMPANIES_HOUSE_NUMBER = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")
# FCA Mutuals Public Register: a number, optionally followed by R (e.g. 31234R, IP12345R).
FCA_MUTUALS_NUMBER = re.compile(r"^(IP)?\d{1,6}R?$")


# A row placed on the map has a public point too, and only then (see place_publicly).
PUBLIC_POINT_CHECK = (
    "(lat IS NULL AND public_lat IS NULL AND public_lon IS NULL) OR "
    "(lat IS NOT NULL AND public_lat IS NOT NULL AND public_lon IS NOT NULL)"
)


def public_coordinates(
    postcode: str | None, district: str | None, lat: float | None
) -> tuple[float | None, float | None]:
    """The public point for a home or base: ``geo.public_point`` of the full postcode,
    else of the district; ``(None, None)`` when the row is not on the map (``lat`` is
    None). Raises ValueError for a placed row with neither a known postcode nor a known
    district: it could only be shown at its own point, which nothing public may use."""
    if lat is None:
        return (None, None)
    for where in (postcode, district):
        if where:
            try:
                point = geo.public_point(where)
            except geo.GeoError:
                continue
            return (point.lat, point.lon)
    raise ValueError(
        "A place on the map needs a postcode or postcode district we know, "
        "so that it can be shown publicly by its postcode sector"
    )


def place_publicly(target: Provider | Carer) -> None:
    """Keep ``public_lat`` / ``public_lon`` in step with the private place. Runs before
    every ORM insert and update of a provider or carer (see the listeners below), so no
    save path can forget it; bulk (Core) writes set the columns themselves."""
    target.public_lat, target.public_lon = public_coordinates(
        target.postcode, target.district, target.lat
    )


# Each regulator's rating words (marketplace/regulators.py has the rest of each one).
REGULATOR_RATINGS: dict[str, tuple[str, ...]] = {
    Regulator.CQC: CQCRating.values(),
    Regulator.CARE_INSPECTORATE: CareInspectorateGrade.values(),
    Regulator.CIW: CIWRating.values(),
    Regulator.RQIA: RQIAInspection.values(),
}
# The shape of each regulator's number; the full pattern is checked in Python.
REGULATOR_NUMBER_SHAPES = {
    Regulator.CQC: "regulator_number LIKE '1-%' AND length(regulator_number) BETWEEN 11 AND 13",
    Regulator.CARE_INSPECTORATE: "regulator_number LIKE 'CS%' AND length(regulator_number) = 12",
    Regulator.CIW: "regulator_number LIKE 'SIN-%' AND length(regulator_number) = 17",
    Regulator.RQIA: "length(regulator_number) BETWEEN 4 AND 6",
}
REGULATOR_RATING_CHECK = "regulator_rating IS NULL OR " + " OR ".join(
    f"(regulator = '{code}' AND {in_list('regulator_rating', ratings)})"
    for code, ratings in REGULATOR_RATINGS.items()
)
REGULATOR_NUMBER_CHECK = "regulator_number IS NULL OR " + " OR ".join(
    f"(regulator = '{code}' AND {shape})" for code, shape in REGULATOR_NUMBER_SHAPES.items()
)


def _check_format(pattern: re.Pattern[str], value: str | None, what: str) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().upper()
    if not pattern.match(value):
        raise ValueError(f"{what} is not in the right format")
    return value


# Registration numbers the model checks: attribute -> (pattern, what it is called).
NUMBER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "companies_house_number": (COMPANIES_HOUSE_NUMBER, "Companies House number"),
    "fca_number": (FCA_MUTUALS_NUMBER, "FCA register number"),
}


def normalise_number(attribute: str, value: str | None) -> str | None:
    """A registration number as the model stores it (ValueError if not in its format)."""
    pattern, what = NUMBER_FORMATS[attribute]
    return _check_format(pattern, value, what)


class Provider(TimestampMixin, Base):
    __tablename__ = "providers"
    __table_args__ = (
        sa.CheckConstraint(in_list("legal_form", list(LEGAL_FORMS)), name="legal_form"),
        sa.CheckConstraint(in_list("qa_status", QA_STATUSES), name="qa_status"),
        sa.CheckConstraint(
            "regulator IS NULL OR " + in_list("regulator", Regulator.values()), name="regulator"
        ),
        sa.CheckConstraint("NOT regulated OR regulator IS NOT NULL", name="regulated_by_whom"),
        # A rating in the regulator's own words, a number in its own shape.
        sa.CheckConstraint(REGULATOR_RATING_CHECK, name="regulator_rating"),
        sa.CheckConstraint(REGULATOR_NUMBER_CHECK, name="regulator_number_format"),
        sa.CheckConstraint(
            "companies_house_number IS NULL OR length(companies_house_number) = 8",
            name="companies_house_number_length",
        ),
        sa.CheckConstraint(
            "service_radius_km IS NULL OR (service_radius_km > 0 AND service_radius_km <= 100)",
            name="service_radius",
        ),
        sa.CheckConstraint(
            "hourly_rate_pence IS NULL OR hourly_rate_pence >= 0", name="hourly_rate"
        ),
        sa.CheckConstraint(
            "qa_status <> 'approved' OR approved_at IS NOT NULL", name="approved_at"
        ),
        sa.CheckConstraint(PUBLIC_POINT_CHECK, name="public_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    legal_form: Mapped[str] = mapped_column(sa.String(40))
    fca_number: Mapped[str | None] = mapped_column(sa.String(12))
    # The provider's Stripe Connect account (acct_…): card payments of its invoices go to
    # it as destination charges when STRIPE_CONNECT_FEE_BASIS_POINTS is set.
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(255))
    companies_house_number: Mapped[str | None] = mapped_column(sa.String(8))
    charity_number: Mapped[str | None] = mapped_column(sa.String(12))
    # Registered with the care regulator of the nation its service address is in
    # (CQC, Care Inspectorate, CIW or RQIA: marketplace/regulators.py).
    regulated: Mapped[bool] = mapped_column(default=False)
    regulator: Mapped[str | None] = mapped_column(sa.String(24))
    regulator_number: Mapped[str | None] = mapped_column(sa.String(20))
    regulator_rating: Mapped[str | None] = mapped_column(sa.String(40))
    principles: Mapped[str] = mapped_column(sa.Text, default="")
    members: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Base of operations: public as a district; the full postcode is an office address
    # (or, for a self-employed PA, their home). lat/lon are the postcode's own point and
    # are never shown or used for anything public: public_lat/public_lon are.
    postcode: Mapped[str | None] = mapped_column(sa.String(8))
    district: Mapped[str | None] = mapped_column(sa.String(4), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # The public point: the centroid of the postcode sector (or district); set by
    # place_publicly() on every save.
    public_lat: Mapped[float | None]
    public_lon: Mapped[float | None]
    care_council_code: Mapped[str | None] = mapped_column(sa.String(9), index=True)
    service_radius_km: Mapped[float | None]
    service_districts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    hourly_rate_pence: Mapped[int | None]
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    website: Mapped[str | None] = mapped_column(sa.String(255))
    qa_status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    approved_at: Mapped[datetime | None]
    extra: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    admins: Mapped[list[ProviderAdmin]] = relationship(
        back_populates="provider", cascade="all, delete-orphan"
    )
    teams: Mapped[list[Team]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="Team.name"
    )
    carers: Mapped[list[Carer]] = relationship(
        back_populates="provider", order_by="Carer.display_name"
    )

    @property
    def is_approved(self) -> bool:
        return self.qa_status == QAStatus.APPROVED

    @hybrid_property
    def is_listed(self) -> bool:
        """Public and matchable: quality assured. Works in Python and in SQL."""
        return self.qa_status == QAStatus.APPROVED

    @property
    def is_self_employed_pa(self) -> bool:
        return self.legal_form == "self_employed_pa"

    @property
    def legal_form_label(self) -> str:
        return LEGAL_FORMS.get(self.legal_form, self.legal_form)

    @property
    def qa_status_label(self) -> str:
        return QA_STATUS_LABELS[self.qa_status]

    @validates("regulator_number")
    def _normalise_regulator_number(self, _key: str, value: str | None) -> str | None:
        return (value or "").strip().upper() or None

    @validates("companies_house_number", "fca_number")
    def _validate_registration_number(self, key: str, value: str | None) -> str | None:
        return normalise_number(key, value)


class ProviderAdmin(Base):
    """A user who manages a provider's listing."""

    __tablename__ = "provider_admins"

    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    provider: Mapped[Provider] = relationship(back_populates="admins")
    user: Mapped[User] = relationship()


class Team(TimestampMixin, Base):
    """A self-managed neighbourhood team of at most 12 people."""

    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("provider_id", "name", name="uq_teams_provider_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    patch: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    provider: Mapped[Provider] = relationship(back_populates="teams")
    memberships: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamMember.seat"
    )

    @property
    def carers(self) -> list[Carer]:
        return [m.carer for m in self.memberships]


class TeamMember(Base):
    """A carer's seat in a team. Seats 1..12 make the size limit a database rule."""

    __tablename__ = "team_members"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "seat", name="uq_team_members_team_seat"),
        sa.UniqueConstraint("team_id", "carer_id", name="uq_team_members_team_carer"),
        sa.CheckConstraint(f"seat BETWEEN 1 AND {TEAM_MAX_MEMBERS}", name="seat_range"),
        sa.CheckConstraint(in_list("role", TEAM_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    carer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("carers.id", ondelete="CASCADE"), index=True
    )
    seat: Mapped[int]
    role: Mapped[str] = mapped_column(sa.String(20), default="member")

    team: Mapped[Team] = relationship(back_populates="memberships")
    carer: Mapped[Carer] = relationship(back_populates="team_memberships")


class Carer(TimestampMixin, Base):
    __tablename__ = "carers"
    __table_args__ = (
        sa.CheckConstraint("gender IS NULL OR " + in_list("gender", GENDERS), name="gender"),
        sa.CheckConstraint(
            "travel_radius_km > 0 AND travel_radius_km <= 100", name="travel_radius"
        ),
        sa.CheckConstraint(
            "hourly_rate_pence IS NULL OR hourly_rate_pence >= 0", name="hourly_rate"
        ),
        sa.CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        sa.CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="lon_range"),
        sa.CheckConstraint(PUBLIC_POINT_CHECK, name="public_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    provider_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(sa.String(80))
    # Private: the home. postcode, lat and lon are never shown or used for anything
    # public (not even a distance); the public sees the district, and every public
    # distance is measured from public_lat/public_lon, the centroid of the postcode
    # sector (or district), set by place_publicly() on every save.
    postcode: Mapped[str | None] = mapped_column(sa.String(8))
    district: Mapped[str | None] = mapped_column(sa.String(4), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    public_lat: Mapped[float | None]
    public_lon: Mapped[float | None]
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    gender: Mapped[str | None] = mapped_column(sa.String(12))
    travel_radius_km: Mapped[float] = mapped_column(default=8.0)
    availability: Mapped[list[str] | None] = mapped_column(sa.JSON)
    hourly_rate_pence: Mapped[int | None]
    # What the carer says of the homes they work in and who they like to help (the
    # vocabularies of marketplace.choices Pet, SupportKind and PersonGroup): the pets they
    # are happy with (None: not said; [] none), whether they mind a home where someone
    # smokes (None: not said), the kinds of support they enjoy giving and who they would
    # like to support ([]: not said). Matching leaves out a carer whose answer clashes
    # with a person's home or wishes, never one who has not said.
    pets_ok: Mapped[list[str] | None] = mapped_column(sa.JSON)
    smoking_ok: Mapped[bool | None]
    enjoys_support: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    would_support: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    # Training the carer says they have done: never shown publicly as a fact.
    care_certificate: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True, index=True)

    provider: Mapped[Provider | None] = relationship(back_populates="carers")
    user: Mapped[User | None] = relationship()
    team_memberships: Mapped[list[TeamMember]] = relationship(
        back_populates="carer", cascade="all, delete-orphan"
    )

    checks: Mapped[list[CarerCheck]] = relationship(
        back_populates="carer", cascade="all, delete-orphan", order_by="CarerCheck.kind"
    )

    @property
    def needs_insurance(self) -> bool:
        """Self-employed personal assistants hold their own public liability insurance."""
        return self.provider is None or self.provider.is_self_employed_pa

    @property
    def required_check_kinds(self) -> tuple[str, ...]:
        if self.needs_insurance:
            return CHECK_KINDS
        return ("criminal_record", "right_to_work")

    def check(self, kind: str) -> CarerCheck | None:
        return next((c for c in self.checks if c.kind == kind), None)

    @property
    def checks_verified(self) -> bool:
        """Every check this carer needs is verified (not only declared, not lapsed)."""
        return all(
            (found := self.check(kind)) is not None and found.status == "verified"
            for kind in self.required_check_kinds
        )

    @hybrid_property
    def is_listed(self) -> bool:
        """Public and matchable: active, with a listed provider and verified checks."""
        return (
            self.active
            and self.provider is not None
            and self.provider.is_listed
            and self.checks_verified
        )

    @is_listed.inplace.expression
    @classmethod
    def _is_listed_expression(cls) -> sa.ColumnElement[bool]:
        def verified(kind: str) -> sa.Exists:
            return sa.exists().where(
                CarerCheck.carer_id == cls.id,
                CarerCheck.kind == kind,
                CarerCheck.status == "verified",
            )

        provider = aliased(Provider, name="listing_provider")
        provider_listed = sa.exists().where(provider.id == cls.provider_id, provider.is_listed)
        self_employed = sa.exists().where(
            provider.id == cls.provider_id, provider.legal_form == "self_employed_pa"
        )
        return sa.and_(
            cls.active.is_(True),
            provider_listed,
            verified("criminal_record"),
            verified("right_to_work"),
            sa.or_(~self_employed, verified("insurance")),
        )


class CarerCheck(TimestampMixin, Base):
    """One check on a carer: a criminal record check (DBS, PVG or AccessNI), right to
    work, or (for self-employed PAs) public liability insurance.

    What the carer enters is ``declared``. It becomes ``verified`` only when someone who
    may vouch for it (the carer's provider admin, or a reviewer for a self-employed PA)
    has seen the documents; they and the time are recorded. Changing a verified check
    makes it ``declared`` again.
    """

    __tablename__ = "carer_checks"
    __table_args__ = (
        sa.UniqueConstraint("carer_id", "kind", name="uq_carer_checks_carer_kind"),
        sa.CheckConstraint(in_list("kind", CHECK_KINDS), name="kind"),
        sa.CheckConstraint(in_list("status", CHECK_STATUSES), name="status"),
        sa.CheckConstraint("scheme IS NULL OR " + in_list("scheme", CHECK_SCHEMES), name="scheme"),
        sa.CheckConstraint("level IS NULL OR " + in_list("level", DBS_LEVELS), name="level"),
        # A declaration may be partial; nothing incomplete can be verified.
        sa.CheckConstraint(
            "status = 'declared' OR kind <> 'criminal_record' OR (scheme IS NOT NULL "
            "AND level IS NOT NULL AND certificate_number IS NOT NULL AND issued_on IS NOT NULL)",
            name="criminal_record_complete",
        ),
        sa.CheckConstraint(
            "status = 'declared' OR kind <> 'insurance' OR expires_on IS NOT NULL",
            name="insurance_expiry",
        ),
        sa.CheckConstraint("status = 'declared' OR verified_at IS NOT NULL", name="verified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carer_id: Mapped[int] = mapped_column(sa.ForeignKey("carers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(12), default="declared")
    scheme: Mapped[str | None] = mapped_column(sa.String(10))
    level: Mapped[str | None] = mapped_column(sa.String(20))
    certificate_number: Mapped[str | None] = mapped_column(sa.String(20))
    issued_on: Mapped[date | None]
    update_service: Mapped[bool] = mapped_column(default=False)
    expires_on: Mapped[date | None]
    declared_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    verified_at: Mapped[datetime | None]
    # Who vouched, as the public reads it ("Headingley Care Co-op"), kept as it was then.
    verified_by_organisation: Mapped[str | None] = mapped_column(sa.String(160))
    lapsed_reason: Mapped[str | None] = mapped_column(sa.Text)

    carer: Mapped[Carer] = relationship(back_populates="checks")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_user_id])


class CarerInvitation(TimestampMixin, Base):
    """A provider's e-mailed invitation to a carer to link their own account.

    The link carries a random secret; only its SHA-256 is stored (``token_hash``), so
    neither the link nor a copy of the table holds the address or a working link. The
    link works once (``used_at``), until ``expires_at``, and stops working when the
    carer is invited again (``superseded_at``: only the newest link works).
    """

    __tablename__ = "carer_invitations"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.Index("ix_carer_invitations_carer_id_created_at", "carer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id", ondelete="CASCADE"))
    carer_id: Mapped[int] = mapped_column(sa.ForeignKey("carers.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]

    provider: Mapped[Provider] = relationship()
    carer: Mapped[Carer] = relationship()


@sa.event.listens_for(Provider, "before_insert")
@sa.event.listens_for(Provider, "before_update")
@sa.event.listens_for(Carer, "before_insert")
@sa.event.listens_for(Carer, "before_update")
def _place_publicly_before_saving(_mapper: Any, _connection: Any, target: Any) -> None:
    place_publicly(target)
