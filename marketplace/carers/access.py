"""Who may manage which provider, carer and team.

A provider admin manages only the providers they are a ``ProviderAdmin`` of;
platform admins manage every provider.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from marketplace.extensions import db
from marketplace.models import Carer, Provider, ProviderAdmin, User


def is_platform_admin(user: User) -> bool:
    return "admin" in user.roles


def managed_providers(user: User) -> list[Provider]:
    """The providers this user may manage, by name."""
    query = sa.select(Provider).order_by(Provider.name, Provider.id)
    if not is_platform_admin(user):
        query = query.join(ProviderAdmin).where(ProviderAdmin.user_id == user.id)
    return list(db.session.scalars(query))


def can_manage_provider(user: User, provider_id: int | None) -> bool:
    if provider_id is None:
        return is_platform_admin(user)
    if is_platform_admin(user):
        return True
    return (
        db.session.get(ProviderAdmin, {"provider_id": provider_id, "user_id": user.id})
        is not None
    )


def provider_or_abort(user: User, provider_id: int) -> Provider:
    """The provider, or 404 when it does not exist, 403 when the user does not manage it."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    if not can_manage_provider(user, provider.id):
        abort(403)
    return provider


def chosen_provider(user: User, requested_id: int | None) -> Provider | None:
    """The provider a page is about: the one asked for, or the user's only one.

    None means the user manages several (or none) and must pick.
    """
    if requested_id is not None:
        return provider_or_abort(user, requested_id)
    mine = managed_providers(user)
    if len(mine) == 1:
        return mine[0]
    return None


def managed_carer_or_abort(user: User, carer_id: int) -> Carer:
    carer = db.session.get(Carer, carer_id)
    if carer is None:
        abort(404)
    if not can_manage_provider(user, carer.provider_id):
        abort(403)
    return carer


def own_carer(user: User) -> Carer | None:
    """The carer profile linked to this account, if any."""
    return db.session.scalar(sa.select(Carer).where(Carer.user_id == user.id))
