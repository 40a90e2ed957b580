"""What admins add about a care council: its own links for people using direct payments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, utcnow
from marketplace.models.users import User

_HTTP_URL = "{column} IS NULL OR {column} LIKE 'https://%' OR {column} LIKE 'http://%'"


class CouncilLinks(Base):
    """A council's direct-payment support service and PA register, shown on its page, and
    its budget defaults (spending categories, surplus limit).

    The council itself (code and name) comes from the shipped ONS data; this row only adds
    what an admin typed in. ``code`` is the council's GSS code, e.g. ``E08000035``.
    """

    __tablename__ = "council_links"
    __table_args__ = (
        sa.CheckConstraint(
            _HTTP_URL.format(column="direct_payment_support_url"), name="dp_support_url_http"
        ),
        sa.CheckConstraint(_HTTP_URL.format(column="pa_register_url"), name="pa_register_url_http"),
        sa.CheckConstraint("length(code) = 9", name="code_length"),
        sa.CheckConstraint(
            "surplus_limit_weeks IS NULL OR (surplus_limit_weeks BETWEEN 1 AND 52)",
            name="surplus_limit_weeks",
        ),
    )

    code: Mapped[str] = mapped_column(sa.String(9), primary_key=True)
    direct_payment_support_name: Mapped[str | None] = mapped_column(sa.String(160))
    direct_payment_support_url: Mapped[str | None] = mapped_column(sa.String(500))
    pa_register_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Budget defaults (admins): the spending categories new budgets in this council start
    # with (None: every category), and the surplus limit in weeks of budget (None: 8).
    spending_categories: Mapped[list[str] | None] = mapped_column(sa.JSON)
    surplus_limit_weeks: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    updated_by: Mapped[User | None] = relationship()

    @property
    def is_empty(self) -> bool:
        return not (
            self.direct_payment_support_name
            or self.direct_payment_support_url
            or self.pa_register_url
        )
