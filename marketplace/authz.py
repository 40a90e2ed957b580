"""The one authorisation policy: may this user do this to this object?

Every rule is one entry in ``RULES``: ``action -> rule(user, obj)``, where a rule returns
None when the user may, or a plain-English sentence saying why not. Views and services
ask :func:`can` (or :func:`require`, or the :func:`requires` decorator); nothing else
decides. An unknown action is a programming error (KeyError), never a silent "yes".

Who is who:
- platform roles (``reviewer``, ``admin``; admins hold every role);
- provider admins of *this* provider (a ``ProviderAdmin`` row), and platform admins, who
  manage every provider; reviewing stays with reviewers who do not run the provider;
- carers on their own profile;
- a person on their own data, and a supporter acting for a person inside a
  ``ConsentGrant`` scope and time window. What a supporter does is recorded "by X for Y"
  (``on_behalf_of`` gives the person id for the audit row and the workflow event).

The provider a provider-admin page is about is chosen one way everywhere:
:func:`current_provider`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, request, session
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden

from marketplace import clock, database_id
from marketplace.choices import ArrangementStatus, ConsentScope, IntroductionStatus
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    Budget,
    Carer,
    ConsentGrant,
    Evidence,
    Introduction,
    Membership,
    MembershipPlan,
    Person,
    Provider,
    ProviderAdmin,
    ProviderInvoice,
    SavedSearch,
    ShortlistEntry,
    Team,
    User,
)

F = TypeVar("F", bound=Callable[..., Any])
Rule = Callable[[User | None, Any], str | None]

RULES: dict[str, Rule] = {}

CURRENT_PROVIDER_KEY = "provider_id"  # the session remembers the provider being worked on
ACTING_FOR_KEY = "acting_for_person_id"  # the session remembers whom a supporter acts for


def _user(user: Any) -> User | None:
    """A real User, or None for anonymous (accepts flask-login's current_user proxy)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter is not None else user


def rule(action: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        if action in RULES:
            raise ValueError(f"{action} has two rules")
        RULES[action] = function
        return function

    return register


def refusal(user: Any, action: str, obj: Any = None) -> str | None:
    """None when ``user`` may do ``action`` to ``obj``; otherwise why not."""
    return RULES[action](_user(user), obj)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``action`` to ``obj``."""
    return refusal(user, action, obj) is None


def require(user: Any, action: str, obj: Any = None, *, hide: bool = False) -> None:
    """Abort 403 when the user may not (404 with ``hide``, not to say the object exists)."""
    if not can(user, action, obj):
        abort(404 if hide else 403)


def requires(action: str) -> Callable[[F], F]:
    """A view only signed-in users allowed ``action`` (with no object) may call."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(current_user, action)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def roles_required(*roles: str) -> Callable[[F], F]:
    """A view only signed-in users holding one of ``roles`` (admins hold all) may call.

    Prefer :func:`requires` with a named action; this is for a page whose rule really is
    "anyone with this platform role".
    """

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_role(_user(current_user), *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# -- who someone is ---------------------------------------------------------------------


def has_role(user: User | None, *roles: str) -> bool:
    return user is not None and user.has_role(*roles)


def runs_provider(user: User | None, provider: Provider | int | None) -> bool:
    """True when the user is an admin of this provider (a ProviderAdmin row)."""
    provider_id = provider.id if isinstance(provider, Provider) else provider
    if user is None or provider_id is None:
        return False
    key = {"provider_id": provider_id, "user_id": user.id}
    return db.session.get(ProviderAdmin, key) is not None


def own_providers(user: User | None) -> list[Provider]:
    """The providers this user is an admin of, oldest first."""
    if user is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Provider)
            .join(ProviderAdmin, ProviderAdmin.provider_id == Provider.id)
            .where(ProviderAdmin.user_id == user.id)
            .order_by(Provider.id)
        )
    )


def managed_providers(user: Any) -> list[Provider]:
    """The providers this user may manage (platform admins: all), by name."""
    user = _user(user)
    if user is None:
        return []
    query = sa.select(Provider).order_by(Provider.name, Provider.id)
    if not has_role(user, "admin"):
        query = query.join(ProviderAdmin).where(ProviderAdmin.user_id == user.id)
    return list(db.session.scalars(query))


def consent_grant(user: User | None, person: Person, scope: str) -> ConsentGrant | None:
    """The supporter's grant from this person covering ``scope`` now, if any."""
    if user is None or person is None:
        return None
    grants = db.session.scalars(
        sa.select(ConsentGrant).where(
            ConsentGrant.person_id == person.id, ConsentGrant.supporter_user_id == user.id
        )
    )
    now = clock.now()
    return next((grant for grant in grants if grant.allows(scope, now)), None)


def on_behalf_of(user: Any, person: Person) -> int | None:
    """The person's id when ``user`` acts for them as a supporter, None when it is them.

    Pass it to ``audit.record(on_behalf_of_person_id=...)`` and workflow moves, so every
    supporter action reads "by supporter X for person Y".
    """
    user = _user(user)
    return None if user is not None and person.user_id == user.id else person.id


# -- the rules ----------------------------------------------------------------------------

SIGN_IN = "Sign in first."


def _role_rule(*roles: str, message: str) -> Rule:
    def check(user: User | None, obj: Any) -> str | None:
        if user is None:
            return SIGN_IN
        return None if has_role(user, *roles) else message

    return check


RULES["account.use"] = lambda user, obj: None if user is not None else SIGN_IN
RULES["provider_area.use"] = _role_rule(
    "provider_admin", message="Only provider admins can use this part of CoopCare."
)
RULES["evidence_area.use"] = _role_rule(
    "provider_admin", "reviewer", message="Only provider admins and reviewers see documents."
)
RULES["review_area.use"] = _role_rule("reviewer", message="Only quality reviewers can do this.")
RULES["carer_profile.use"] = _role_rule("carer", message="Only carers have a carer profile.")
RULES["councils.edit"] = _role_rule("admin", message="Only administrators can change councils.")


@rule("provider.manage")
def _manage_provider(user: User | None, provider: Provider | int | None) -> str | None:
    """Platform admins manage every provider; provider admins the ones they run."""
    if user is None:
        return SIGN_IN
    if has_role(user, "admin"):
        return None
    if provider is not None and runs_provider(user, provider):
        return None
    return "Only the provider's own admins can do this."


@rule("qa.submit")
def _submit(user: User | None, provider: Provider) -> str | None:
    if user is None:
        return "Only people can take this action."
    if _manage_provider(user, provider) is None:
        return None
    return "Only the provider's own admins can send it for review."


@rule("qa.review")
def _review(user: User | None, provider: Provider) -> str | None:
    """Reviewers decide, but never on an organisation they run themselves."""
    if user is None:
        return "Only people can take this action."
    if not has_role(user, "reviewer"):
        return "Only quality reviewers can do this."
    if runs_provider(user, provider):
        return "You cannot review an organisation you run. Ask another reviewer."
    return None


@rule("evidence.download")
def _evidence(user: User | None, document: Evidence) -> str | None:
    """The provider's own admins and reviewers (not other providers' admins)."""
    if user is None:
        return SIGN_IN
    if has_role(user, "reviewer") or runs_provider(user, document.provider_id):
        return None
    return "Only the provider's own admins and quality reviewers can see its documents."


@rule("carer.manage")
def _manage_carer(user: User | None, carer: Carer) -> str | None:
    """A provider's carers are managed by its admins; a self-employed PA's by platform admins."""
    if user is None:
        return SIGN_IN
    if carer.provider_id is None:
        return None if has_role(user, "admin") else "Only administrators can manage this carer."
    return _manage_provider(user, carer.provider_id)


@rule("carer.edit_own")
def _own_carer(user: User | None, carer: Carer) -> str | None:
    if user is None:
        return SIGN_IN
    return None if carer.user_id == user.id else "This is not your profile."


@rule("carer.verify_checks")
def _verify_checks(user: User | None, carer: Carer) -> str | None:
    """Who may vouch for a carer's checks: the carer's provider's own admins; for a
    self-employed PA (their own provider), a reviewer who does not run it. Nobody
    verifies their own checks."""
    if user is None:
        return SIGN_IN
    if carer.user_id is not None and carer.user_id == user.id:
        return "Nobody can verify their own checks."
    if carer.needs_insurance:
        if has_role(user, "reviewer") and not runs_provider(user, carer.provider_id):
            return None
        return "Only a quality reviewer can verify a self-employed assistant's checks."
    if carer.provider_id is not None and runs_provider(user, carer.provider_id):
        return None
    return "Only the carer's own provider can verify their checks."


@rule("team.manage")
def _manage_team(user: User | None, team: Team) -> str | None:
    return _manage_provider(user, team.provider_id)


def _person_rule(scope: ConsentScope) -> Rule:
    def check(user: User | None, person: Person | None) -> str | None:
        if user is None:
            return SIGN_IN
        if person is None:  # acting_for() found nobody: say nothing about anyone
            return "Choose the person you are supporting first."
        if person.user_id == user.id:
            return None
        if consent_grant(user, person, scope) is not None:
            return None
        return f"Only the person, or a supporter they allowed to {scope.label.lower()}, can."

    return check


# person.view, person.message, person.manage_introductions, person.pay: the person, or a
# supporter whose grant covers that scope now. Use them with acting_for(user), e.g.
# ``authz.require(current_user, "person.manage_introductions", authz.acting_for(current_user))``.
for _scope in ConsentScope:
    RULES[f"person.{_scope.value}"] = _person_rule(_scope)


@rule("supporters.manage")
def _manage_supporters(user: User | None, person: Person | None) -> str | None:
    """Only the person invites, changes and revokes their supporters (a supporter cannot
    pass the person's consent on to someone else)."""
    if user is None:
        return SIGN_IN
    if person is None or person.user_id != user.id:
        return "Only the person can choose who supports them."
    return None


@rule("consent_grant.change")
def _change_grant(user: User | None, grant: ConsentGrant) -> str | None:
    """Changing a grant's scopes or revoking it: the person who gave it."""
    if user is None:
        return SIGN_IN
    if grant.person is None or grant.person.user_id != user.id:
        return "Only the person who gave this consent can change it."
    return None


RULES["supporting.use"] = _role_rule(
    "supporter", message="Only supporters can use this part of CoopCare."
)


# -- whom a supporter is acting for -------------------------------------------------------


def grant_in_force(grant: ConsentGrant, at: Any = None) -> bool:
    """True when the grant covers at least one scope at this moment."""
    at = at or clock.now()
    return any(grant.allows(scope, at) for scope in ConsentScope)


def grants_in_force(user: Any) -> list[ConsentGrant]:
    """The grants to this supporter in force now, by the person's name."""
    user = _user(user)
    if user is None:
        return []
    now = clock.now()
    grants = db.session.scalars(
        sa.select(ConsentGrant)
        .join(Person, Person.id == ConsentGrant.person_id)
        .where(ConsentGrant.supporter_user_id == user.id, ConsentGrant.revoked_at.is_(None))
        .order_by(Person.display_name, Person.id, ConsentGrant.id)
    )
    return [grant for grant in grants if grant_in_force(grant, now)]


def choose_person(user: Any, person_id: int) -> Person:
    """Remember whom this supporter acts for, after checking a grant from them is in force.

    403 both when the person does not exist and when they gave no grant (or it ended), so
    the answer says nothing about who has an account.
    """
    grant = next((g for g in grants_in_force(user) if g.person_id == person_id), None)
    if grant is None:
        abort(403)
    session[ACTING_FOR_KEY] = grant.person_id
    return grant.person


class ChoosePersonFirst(Forbidden):
    """A supporter with grants from several people opened a page about one person before
    choosing whom they act for. Still a 403 (anything that catches those still works),
    but the app asks them to choose at /supporting and then brings them back (web.py)."""

    description = "Choose the person you are supporting first."


def acting_for_or_ask(user: Any) -> Person | None:
    """:func:`acting_for`, for a page about one person: when the supporter has grants in
    force from several people and has chosen none, raise :class:`ChoosePersonFirst`
    instead of answering for nobody (a plain 403)."""
    person = acting_for(user)
    if person is None and len({g.person_id for g in grants_in_force(user)}) > 1:
        raise ChoosePersonFirst()
    return person


def acting_for(user: Any) -> Person | None:
    """The person this supporter is acting for now, checked again on every call:

    1. the one chosen in the session, while a grant from them is still in force;
    2. otherwise the only person whose grant is in force.
    None: no grant in force, or several and none chosen (send them to choose). A revoked
    or ended grant stops counting at once, and the session forgets it. Then ask the
    person's rule for the scope: ``require(user, "person.pay", acting_for(user))``.
    """
    grants = grants_in_force(user)
    remembered = session.get(ACTING_FOR_KEY) if _user(user) is not None else None
    if remembered is not None:
        chosen = next((g for g in grants if g.person_id == remembered), None)
        if chosen is not None:
            return chosen.person
        session.pop(ACTING_FOR_KEY, None)
    people = {grant.person_id: grant.person for grant in grants}
    return next(iter(people.values())) if len(people) == 1 else None


# -- budgets -------------------------------------------------------------------------------


def _holds_fund(user: User, budget: Budget) -> bool:
    """An admin of the provider holding this individual service fund."""
    return budget.holder_provider_id is not None and runs_provider(user, budget.holder_provider_id)


def _budget_party(user: User, budget: Budget) -> bool:
    """The person; a supporter with the view or pay scope (who pays sees what is left);
    the admins of the provider holding an individual service fund."""
    if _holds_fund(user, budget):
        return True
    person = budget.person
    return person is not None and (
        person.user_id == user.id
        or consent_grant(user, person, ConsentScope.VIEW) is not None
        or consent_grant(user, person, ConsentScope.PAY) is not None
    )


@rule("budget.view")
def _view_budget(user: User | None, budget: Budget) -> str | None:
    """The budget's parties (:func:`_budget_party`), and platform admins."""
    if user is None:
        return SIGN_IN
    if has_role(user, "admin") or _budget_party(user, budget):
        return None
    return "Only the person, their supporters and the fund's provider can see this budget."


# A council statement goes to whoever may see the budget: the person, a supporter with the
# view or pay scope, an ISF provider for its people, and platform admins.
RULES["budget.statement"] = _view_budget


@rule("budget.create")
def _create_budget(user: User | None, person: Person | None) -> str | None:
    """The person, a supporter whose grant covers paying (who pays knows the budget), or
    a platform admin sets up a person's budget."""
    if user is None:
        return SIGN_IN
    if has_role(user, "admin"):
        return None
    if person is None:
        return "Choose the person whose budget it is first."
    if person.user_id == user.id or consent_grant(user, person, ConsentScope.PAY) is not None:
        return None
    return "Only the person, a supporter they allowed to pay, or an administrator can."


@rule("budget.create_for_someone_else")
def _create_budget_for_someone_else(user: User | None, person: Person | None) -> str | None:
    """An administrator looking at a person's arrangement or membership may set up their
    budget from there (/budgets/new?person=<id>); the person has their own link."""
    if user is None:
        return SIGN_IN
    if not has_role(user, "admin"):
        return "Only an administrator sets up a budget from this page."
    if person is not None and person.user_id == user.id:
        return "Your own budget is set up from Budgets."
    return _create_budget(user, person)


@rule("budget.edit")
def _edit_budget(user: User | None, budget: Budget) -> str | None:
    """As setting one up; a former member's budget (anonymised) only by an admin."""
    if user is None:
        return SIGN_IN
    if budget.person is None and not has_role(user, "admin"):
        return "Only an administrator can change a former member's budget."
    return _create_budget(user, budget.person)


@rule("budget.record")
def _record_budget(user: User | None, budget: Budget) -> str | None:
    """Only the provider holding an individual service fund records entries by hand (and
    platform admins, who manage every provider); other budgets' entries come from
    payments."""
    if user is None:
        return SIGN_IN
    if budget.holder_provider_id is None:
        return "Entries on this budget come from its payments."
    return _manage_provider(user, budget.holder_provider_id)


@rule("budget.pay_from")
def _pay_from_budget(user: User | None, budget: Budget) -> str | None:
    """Choosing to pay something (a membership) from the budget: the person, or a
    supporter with the pay scope (a view-only supporter sees the budget but cannot spend
    it); not a former member's budget."""
    if user is None:
        return SIGN_IN
    person = budget.person
    if person is not None and (
        person.user_id == user.id or consent_grant(user, person, ConsentScope.PAY) is not None
    ):
        return None
    return "Only the person, or a supporter they allowed to make payments, can spend this budget."


# -- provider invoices ------------------------------------------------------------------
# The provider raises, replies, amends and withdraws; the person (or a supporter with the
# pay scope) approves, queries and pays. An individual service fund's provider records the
# payment from the fund it holds.


@rule("invoice.view")
def _view_invoice(user: User | None, invoice: ProviderInvoice) -> str | None:
    """Both sides: the provider's admins, whoever may see the budget, platform admins."""
    if user is None:
        return SIGN_IN
    if _manage_provider(user, invoice.provider_id) is None:
        return None
    if _view_budget(user, invoice.budget) is None:
        return None
    return "Only the provider and the person whose budget pays can see this invoice."


@rule("invoice.manage")
def _manage_invoice(user: User | None, invoice: ProviderInvoice) -> str | None:
    return _manage_provider(user, invoice.provider_id)


@rule("invoice.answer")
def _answer_invoice(user: User | None, invoice: ProviderInvoice) -> str | None:
    """Approve or query: the person, or a supporter they allowed to make payments."""
    if user is None:
        return SIGN_IN
    person = invoice.budget.person
    if person is not None and (
        person.user_id == user.id or consent_grant(user, person, ConsentScope.PAY) is not None
    ):
        return None
    return "Only the person, or a supporter they allowed to make payments, can do this."


@rule("invoice.pay")
def _pay_invoice(user: User | None, invoice: ProviderInvoice) -> str | None:
    """Paying from a budget: the payer's side, or for an individual service fund the
    provider holding it (the money is in its hands)."""
    if user is None:
        return SIGN_IN
    budget = invoice.budget
    if budget.holder_provider_id is not None:
        if _holds_fund(user, budget):
            return None
        return "The provider holding this fund pays its invoices from the fund."
    return _answer_invoice(user, invoice)


@rule("person.edit_profile")
def _edit_profile(user: User | None, person: Person | None) -> str | None:
    # Only the account holder changes their own needs and postcode; supporters may
    # see them with "view" consent (person.view) but not rewrite them.
    if user is None:
        return SIGN_IN
    if person is None or person.user_id != user.id:
        return "Only the person whose profile it is can change it."
    return None


# -- shortlists and saved searches --------------------------------------------------------

# The person's shortlist, private notes included, is seen by the person and by a supporter
# they allowed to see their profile and matches ("view"). It is changed (added to, notes
# written) by the person, or by a supporter allowed to ask for introductions for them:
# choosing whom to meet. Use with acting_for(user) for supporters.
RULES["shortlist.view"] = _person_rule(ConsentScope.VIEW)
RULES["shortlist.edit"] = _person_rule(ConsentScope.MANAGE_INTRODUCTIONS)


@rule("shortlist_entry.edit")
def _edit_shortlist_entry(user: User | None, entry: ShortlistEntry) -> str | None:
    return RULES["shortlist.edit"](user, entry.person if entry is not None else None)


@rule("saved_search.manage")
def _manage_saved_searches(user: User | None, person: Person | None) -> str | None:
    """Saved searches notify the account holder, so only they save, see and delete them."""
    if user is None:
        return SIGN_IN
    if person is None or person.user_id != user.id:
        return "Only the person whose searches they are can see or change them."
    return None


@rule("saved_search.delete")
def _delete_saved_search(user: User | None, saved: SavedSearch) -> str | None:
    return _manage_saved_searches(user, saved.person if saved is not None else None)


# -- introductions ------------------------------------------------------------------------


def introduction_people(user: Any) -> list[Person]:
    """The people this user may ask introductions for: themselves (if they are a person)
    and everyone who gave them the manage-introductions scope, now."""
    user = _user(user)
    if user is None:
        return []
    people = []
    own = db.session.scalar(sa.select(Person).where(Person.user_id == user.id))
    if own is not None:
        people.append(own)
    now = clock.now()
    for grant in grants_in_force(user):
        if grant.allows(ConsentScope.MANAGE_INTRODUCTIONS, now) and grant.person not in people:
            people.append(grant.person)
    return people


def introduction_list_people(user: Any) -> list[Person]:
    """The people whose introductions this user's list shows: those they may ask for, and
    those who let them message on their introductions (``introduction.view`` lets both
    open one)."""
    people = introduction_people(user)
    user = _user(user)
    if user is None:
        return people
    now = clock.now()
    for grant in grants_in_force(user):
        if grant.allows(ConsentScope.MESSAGE, now) and grant.person not in people:
            people.append(grant.person)
    return people


@rule("introduction.manage")
def _manage_introduction(user: User | None, introduction: Introduction) -> str | None:
    """The person's side: the person, or a supporter with the manage-introductions scope."""
    return RULES["person.manage_introductions"](user, introduction.person)


@rule("introduction.answer")
def _answer_introduction(user: User | None, introduction: Introduction) -> str | None:
    """The provider's side: the provider's own admins, and the carer it is addressed to.
    Platform admins do not answer for a provider."""
    if user is None:
        return SIGN_IN
    if runs_provider(user, introduction.provider_id):
        return None
    carer = introduction.carer
    if carer is not None and carer.user_id is not None and carer.user_id == user.id:
        return None
    return "Only the provider's own admins, or the carer it is for, can answer."


def introduction_side(user: User | None, introduction: Introduction) -> bool:
    """True for either side of the introduction (a supporter with the message scope too)."""
    return user is not None and (
        _manage_introduction(user, introduction) is None
        or _answer_introduction(user, introduction) is None
        or consent_grant(user, introduction.person, ConsentScope.MESSAGE) is not None
    )


def has_safeguarding_reason(introduction: Introduction) -> bool:
    """A recorded reason for someone outside the introduction to read its thread: one of
    its messages was reported to CoopCare (the report is the record)."""
    from marketplace.models import IntroductionMessage

    return (
        db.session.scalar(
            sa.select(IntroductionMessage.id)
            .where(
                IntroductionMessage.introduction_id == introduction.id,
                IntroductionMessage.reported_at.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


@rule("introduction.view")
def _view_introduction(user: User | None, introduction: Introduction) -> str | None:
    """Either side (a supporter with the message scope too). A thread is private between
    the person and the provider: platform staff (reviewers, and admins, who hold every
    role) read it only with a recorded reason, a reported message on it, and every such
    reading is audited (introductions.views.detail)."""
    if user is None:
        return SIGN_IN
    if introduction_side(user, introduction):
        return None
    if has_role(user, "reviewer") and has_safeguarding_reason(introduction):
        return None
    return "Only the two sides of this introduction can see it."


def moderator_reading(user: Any, introduction: Introduction) -> bool:
    """True when ``user`` sees this introduction only as platform staff with a recorded
    reason (not as one of its sides): such readings go in the audit log."""
    user = _user(user)
    return not introduction_side(user, introduction) and can(
        user, "introduction.view", introduction
    )


# An introduction that ended without going ahead takes no new messages (the thread stays
# readable, and its messages can still be reported).
INTRODUCTION_THREAD_CLOSED = frozenset(
    {
        IntroductionStatus.DECLINED.value,
        IntroductionStatus.EXPIRED.value,
        IntroductionStatus.WITHDRAWN.value,
        IntroductionStatus.NOT_GOING_AHEAD.value,
    }
)
THREAD_CLOSED = "This introduction is closed, so no new messages can be sent on it."


@rule("introduction.message")
def _message_introduction(user: User | None, introduction: Introduction) -> str | None:
    """Write on the thread: either side; a supporter with the message or
    manage-introductions scope; only while the introduction is not closed."""
    if user is None:
        return SIGN_IN
    if not introduction_side(user, introduction):
        return "Only the two sides of this introduction can write here."
    if introduction.status in INTRODUCTION_THREAD_CLOSED:
        return THREAD_CLOSED
    return None


@rule("introduction.take_part")
def _take_part(user: User | None, introduction: Introduction) -> str | None:
    """Be one of its sides (whether or not it is closed): stop (or allow again) the other
    side's messages, report one."""
    if user is None:
        return SIGN_IN
    if introduction_side(user, introduction):
        return None
    return "Only the two sides of this introduction can do this."


RULES["introduction.block"] = _take_part
RULES["introduction.report"] = _take_part
RULES["moderation.use"] = _role_rule("reviewer", message="Only quality reviewers moderate.")
# -- memberships for outcomes --------------------------------------------------------------


@rule("plan.manage")
def _manage_plan(user: User | None, plan: MembershipPlan) -> str | None:
    return _manage_provider(user, plan.provider_id)


def _membership_person(user: User, membership: Membership, *scopes: ConsentScope) -> bool:
    """The person whose membership it is, or their supporter inside one of ``scopes``."""
    person = membership.person
    if person is None:
        return False
    if person.user_id == user.id:
        return True
    return any(consent_grant(user, person, scope) is not None for scope in scopes)


def _membership_party(user: User, membership: Membership) -> bool:
    """The person; a supporter with the view or pay scope; the plan's provider's admins
    (the team side of the monthly review)."""
    return runs_provider(user, membership.plan.provider_id) or _membership_person(
        user, membership, ConsentScope.VIEW, ConsentScope.PAY
    )


@rule("membership.view")
def _view_membership(user: User | None, membership: Membership) -> str | None:
    """The membership's parties (:func:`_membership_party`), and platform admins."""
    if user is None:
        return SIGN_IN
    if has_role(user, "admin") or _membership_party(user, membership):
        return None
    return "Only the person, their supporters and the provider can see this membership."


@rule("membership.pay")
def _pay_membership(user: User | None, membership: Membership) -> str | None:
    """Cancelling (or carrying on) is the payer's: the person, or a supporter with pay."""
    if user is None:
        return SIGN_IN
    if _membership_person(user, membership, ConsentScope.PAY):
        return None
    return "Only the person, or a supporter they allowed to make payments, can change this."


# The person's side of the monthly outcome review (which decides the guarantee refund):
# the person, or a supporter with the pay scope.
RULES["membership.rate_as_person"] = _pay_membership


@rule("membership.rate_as_team")
def _rate_as_team(user: User | None, membership: Membership) -> str | None:
    if user is None:
        return SIGN_IN
    if runs_provider(user, membership.plan.provider_id):
        return None
    return "Only the provider's own team can give the team's ratings."


# -- loading an object a page is about ------------------------------------------------

# The action that decides whether a user may know an object exists at all. Who may not is
# told 404, as for an id that does not exist, so ids of other people's things cannot be
# probed; who may see it but not do this is told 403 (they know it is there).
SEE_ACTIONS: dict[type, str] = {
    Arrangement: "arrangement.view",
    Introduction: "introduction.view",
    ProviderInvoice: "invoice.view",
    Membership: "membership.view",
    Budget: "budget.view",
}


def get_or_abort(
    user: Any,
    model: type[Any],
    object_id: Any,
    action: str | None = None,
    *,
    see: str | None = None,
) -> Any:
    """The ``model`` row with this id, checked for this user, in one way everywhere:

    - 404 when there is none, or the user may not see it (``see``, by default the model's
      entry in :data:`SEE_ACTIONS`; a model without one: ``action`` itself, hidden);
    - 403 when they may see it but may not do ``action``.
    """
    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None:
        abort(404)
    see = see or SEE_ACTIONS.get(model) or action
    if see is not None:
        require(user, see, obj, hide=True)
    if action is not None and action != see:
        require(user, action, obj)
    return obj


# -- the provider a page is about --------------------------------------------------------


def provider_or_abort(user: Any, provider_id: int) -> Provider:
    """The provider, or 404 when it does not exist, 403 when the user may not manage it."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    require(user, "provider.manage", provider)
    return provider


def choose_provider(user: Any, provider_id: int) -> Provider:
    """Remember the provider this user is working on (after checking they may)."""
    provider = provider_or_abort(user, provider_id)
    session[CURRENT_PROVIDER_KEY] = provider.id
    return provider


def current_provider(user: Any) -> Provider | None:
    """The provider a provider-admin page is about, chosen the same way on every page:

    1. ``?provider=<id>`` in the address (404 unknown, 403 not theirs), remembered;
    2. the one remembered in the session, if they may still manage it;
    3. the only provider they run.
    None: they run several (or none) and must choose.
    """
    requested = request.args.get("provider", type=database_id)
    if requested is not None:
        return choose_provider(user, requested)
    remembered = session.get(CURRENT_PROVIDER_KEY)
    if remembered is not None:
        provider = db.session.get(Provider, remembered)
        if provider is not None and can(user, "provider.manage", provider):
            return provider
    mine = own_providers(_user(user))
    return mine[0] if len(mine) == 1 else None


def own_carer(user: Any) -> Carer | None:
    """The carer profile linked to this account, if any."""
    user = _user(user)
    if user is None:
        return None
    return db.session.scalar(sa.select(Carer).where(Carer.user_id == user.id))


# -- arrangements and reviews ----------------------------------------------------------
# The person's side of an arrangement is the person, or a supporter whose grant lets them
# manage introductions (an arrangement grows out of one). What a supporter does there is
# recorded "by X for Y" like everything else.
ARRANGEMENT_SCOPE = ConsentScope.MANAGE_INTRODUCTIONS
# Carers see an arrangement (and the person's address) while it is agreed and running.
CARER_SEES = ("active", "paused")


def _person_side(user: User, person: Person, *scopes: ConsentScope) -> bool:
    if person.user_id == user.id:
        return True
    return any(consent_grant(user, person, scope) is not None for scope in scopes)


def arrangement_carer_ids(arrangement: Any) -> set[int]:
    """The carers in the arrangement's version in effect."""
    current = arrangement.current
    return {member.carer_id for member in current.members} if current is not None else set()


def _carer_in(user: User, arrangement: Any) -> bool:
    if arrangement.status not in CARER_SEES or not arrangement.agreed_version:
        return False
    carer = db.session.scalar(sa.select(Carer.id).where(Carer.user_id == user.id))
    return carer is not None and carer in arrangement_carer_ids(arrangement)


def _arrangement_party(user: User, arrangement: Any) -> bool:
    """The person and their supporters (view or manage-introductions scope), the
    provider's admins, and the carers in it while it is agreed and running."""
    return (
        runs_provider(user, arrangement.provider_id)
        or _person_side(user, arrangement.person, ConsentScope.VIEW, ARRANGEMENT_SCOPE)
        or _carer_in(user, arrangement)
    )


@rule("arrangement.view")
def _view_arrangement(user: User | None, arrangement: Any) -> str | None:
    """The arrangement's parties (:func:`_arrangement_party`), and platform admins."""
    if user is None:
        return SIGN_IN
    if has_role(user, "admin") or _arrangement_party(user, arrangement):
        return None
    return "Only the person, their supporters, the provider and its carers can see this."


# A person's budget (its ledger), arrangement or membership read by platform staff who
# are none of its parties (an administrator): every such reading goes in the audit log,
# as staff readings of an introduction's thread do (see staff_reading).
STAFF_READ_PARTIES: dict[type, Callable[[User, Any], bool]] = {
    Budget: _budget_party,
    Arrangement: _arrangement_party,
    Membership: _membership_party,
}


def staff_reading(user: Any, obj: Any) -> bool:
    """True when ``user`` may see ``obj`` (a budget, arrangement or membership) only as
    platform staff, not as one of its parties: such readings are audited."""
    user = _user(user)
    party = STAFF_READ_PARTIES.get(type(obj))
    if user is None or party is None:
        return False
    return can(user, SEE_ACTIONS[type(obj)], obj) and not party(user, obj)


@rule("arrangement.act_for_person")
def _act_for_person(user: User | None, arrangement: Any) -> str | None:
    """Agree, turn down or propose terms on the person's side."""
    if user is None:
        return SIGN_IN
    if _person_side(user, arrangement.person, ARRANGEMENT_SCOPE):
        return None
    return "Only the person, or a supporter they allowed to manage introductions, can."


@rule("arrangement.act_for_provider")
def _act_for_provider(user: User | None, arrangement: Any) -> str | None:
    return _manage_provider(user, arrangement.provider_id)


@rule("person.see_postcode")
def _see_postcode(user: User | None, person: Person | None) -> str | None:
    """The one rule for a person's full postcode (their home): the person's side always;
    on the provider's side only while an arrangement both sides agreed is running (the
    provider's admins and the carers in it). Before that (an introduction agreed, an
    arrangement proposed) the provider sees the postcode district. Everywhere that shows
    a person's postcode to someone else asks this: the arrangement page, the
    introduction's contact details, exports."""
    if user is None:
        return SIGN_IN
    if person is None:
        return "Only the person's side sees their postcode."
    if _person_side(user, person, ConsentScope.VIEW, ARRANGEMENT_SCOPE):
        return None
    from marketplace.models import Arrangement

    running = db.session.scalars(
        sa.select(Arrangement).where(
            Arrangement.person_id == person.id,
            Arrangement.status.in_(CARER_SEES),
            Arrangement.agreed_version > 0,
        )
    )
    for arrangement in running:
        if runs_provider(user, arrangement.provider_id) or _carer_in(user, arrangement):
            return None
    return POSTCODE_LATER


POSTCODE_LATER = "The full postcode is shared once both sides have agreed an arrangement."


@rule("arrangement.see_address")
def _see_address(user: User | None, arrangement: Any) -> str | None:
    """The person's postcode on an arrangement's page: :func:`_see_postcode`."""
    return _see_postcode(user, arrangement.person)


RULES["arrangement.propose"] = lambda user, provider: _manage_provider(user, provider)
# Proposing from an introduction: its provider's admins (and platform admins, who manage
# every provider); this opens the proposal form, not the introduction's thread.
RULES["introduction.propose_arrangement"] = lambda user, introduction: _manage_provider(
    user, introduction.provider_id
)


REVIEWABLE = (ArrangementStatus.ACTIVE.value, ArrangementStatus.PAUSED.value,
              ArrangementStatus.ENDED.value)  # fmt: skip


def arrangement_started(arrangement: Any) -> bool:
    """Both sides agreed it and its start date has come (reviews are of care received)."""
    return (
        bool(arrangement.agreed_version)
        and arrangement.status in REVIEWABLE
        and arrangement.starts_on <= clock.today()
    )


@rule("review.write")
def _write_review(user: User | None, arrangement: Any) -> str | None:
    """Only the person's side, of an arrangement both sides agreed that has started
    (DESIGN: a review comes only from a person with an arrangement)."""
    refused = _act_for_person(user, arrangement)
    if refused is not None:
        return refused
    if not arrangement_started(arrangement):
        return "You can review an arrangement once it has started."
    return None


@rule("review.reply")
def _reply_review(user: User | None, review: Any) -> str | None:
    return _manage_provider(user, review.provider_id)


RULES["review.report"] = lambda user, review: None if user is not None else SIGN_IN
RULES["review.moderate"] = _role_rule("reviewer", message="Only reviewers moderate reviews.")


# -- where each user goes -----------------------------------------------------------------

RULES["person_area.use"] = _role_rule("person", message="Only people looking for care can.")
RULES["catalog.approve"] = _role_rule(
    "admin", message="Only an administrator can approve providers through an import."
)

# (endpoint, label, actions): a navigation link for users who may do any of the actions.
# Blueprints add their own with nav_link; links to endpoints that do not exist are skipped.
NAV_LINKS: list[tuple[str, str, tuple[str, ...]]] = []

# Where a new account lands after confirming its email: the first page whose action it
# may do, else its account page.
HOME_PAGES: tuple[tuple[str, str], ...] = (("providers.onboarding_start", "provider_area.use"),)


def nav_link(endpoint: str, label: str, *actions: str) -> None:
    """Show a link to ``endpoint`` to signed-in users who may do any of ``actions``."""
    if not actions:
        raise ValueError(f"the {endpoint} link needs the action that decides who sees it")
    if (endpoint, label, actions) not in NAV_LINKS:
        NAV_LINKS.append((endpoint, label, actions))


def nav_entries(user: Any, endpoints: Any) -> list[tuple[str, str]]:
    """The (endpoint, label) links this user's navigation shows, of those in ``endpoints``."""
    user = _user(user)
    if user is None:
        return []
    entries = []
    for endpoint, label, actions in NAV_LINKS:
        unknown = [action for action in actions if action not in RULES]
        if unknown:
            raise KeyError(f"the {endpoint} link names {unknown}: not actions in authz.RULES")
        if endpoint in endpoints and any(can(user, action) for action in actions):
            entries.append((endpoint, label))
    return entries


def home_endpoint(user: Any, endpoints: Any) -> str:
    """The page a newly confirmed account starts on (of those in ``endpoints``)."""
    for endpoint, action in HOME_PAGES:
        if endpoint in endpoints and can(user, action):
            return endpoint
    return "auth.account"
