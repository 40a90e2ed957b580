"""/shortlist (and compare) and /saved-searches.

A visitor's shortlist lives in their session; a person's in the database. A supporter
sees the shortlist of a person who gave them "view" consent at ``/shortlist?person=<id>``
(authz ``shortlist.view``); only the person changes it. Buttons are plain POST forms with
a CSRF token that come back to the page they were on (``marketplace.links``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from marketplace import authz, database_id
from marketplace.extensions import db, limiter
from marketplace.links import safe_redirect_target
from marketplace.models import Person
from marketplace.models.shortlists import SHORTLIST_MAX
from marketplace.people.services import person_of
from marketplace.search import services as search_services
from marketplace.search.forms import SearchForm
from marketplace.shortlist import bp, easy_read, saved_searches, services
from marketplace.shortlist.forms import ConfirmForm, NoteForm, ShortlistItemForm

PRIVATE = {"Cache-Control": "private, no-store"}
PENDING_SEARCH_KEY = "saved_search_pending"  # a visitor's "tell me", offered after login
PENDING_OFFERED_KEY = "saved_search_pending_offered"


# -- whose shortlist ------------------------------------------------------------------


def _whose(user: Any, *, ask: bool = False) -> Person | None:
    """The person a signed-in user's shortlist is about: their own, or (a supporter) the
    person they are acting for (``authz.acting_for``). With ``ask``, a supporter of
    several people who chose nobody is asked to choose (``authz.ChoosePersonFirst``)."""
    own = person_of(user)
    if own is not None:
        return own
    return authz.acting_for_or_ask(user) if ask else authz.acting_for(user)


def _viewed() -> tuple[services.VisitorShortlist | services.PersonShortlist, Person | None]:
    """The shortlist this page shows: ?person=<id> (a supporter with view consent), the
    person's own or the one of the person a supporter acts for, or a visitor's. 404 for
    a person the user may not see; 403 for an account with nobody's shortlist to show."""
    person_id = request.args.get("person", type=database_id)
    if person_id is not None:
        person = authz.get_or_abort(current_user, Person, person_id, "shortlist.view")
        return services.PersonShortlist(person), person
    if not current_user.is_authenticated:
        return services.VisitorShortlist(session), None
    person = _whose(current_user, ask=True)
    authz.require(current_user, "shortlist.view", person)
    return services.PersonShortlist(person), person


def _editable() -> services.VisitorShortlist | services.PersonShortlist:
    """The shortlist a button changes: the visitor's, the person's own, or that of the
    person a supporter acts for (with the manage-introductions scope)."""
    if not current_user.is_authenticated:
        return services.VisitorShortlist(session)
    person = _whose(current_user, ask=True)
    authz.require(current_user, "shortlist.edit", person)
    return services.PersonShortlist(person)


def _actor(shortlist: services.PersonShortlist) -> dict[str, int | None]:
    """Who did it, and for whom: "by supporter X for person Y" in the audit log."""
    return {
        "actor_id": current_user.id,
        "on_behalf_of": authz.on_behalf_of(current_user, shortlist.person),
    }


def _acting_for_self(shortlist: services.VisitorShortlist | services.PersonShortlist) -> bool:
    return not isinstance(shortlist, services.PersonShortlist) or (
        shortlist.person.user_id == current_user.id
    )


def shortlist_state(kind: str, target_id: int) -> bool | None:
    """For the buttons: True on the shortlist, False not, None when this user has none."""
    # Looked up once per request (a results page has many buttons), and kept on the
    # request itself: an app context (and its ``g``) can outlive one request.
    current = request._get_current_object()  # type: ignore[attr-defined]
    if not hasattr(current, "coopcare_shortlist_keys"):
        keys: set[str] | None = None
        if not current_user.is_authenticated:
            keys = services.VisitorShortlist(session).keys()
        else:
            person = _whose(current_user)
            if person is not None and authz.can(current_user, "shortlist.edit", person):
                keys = services.PersonShortlist(person).keys()
        current.coopcare_shortlist_keys = keys
    keys = current.coopcare_shortlist_keys
    return None if keys is None else f"{kind}-{target_id}" in keys


def shortlist_form_parts() -> dict[str, str]:
    """What every shortlist button on this page shares (shortlist/_button.html): the two
    actions, this request's CSRF token and the way back here. Worked out once per
    request, not once per button (a results page has ten), and kept on the request."""
    current = request._get_current_object()  # type: ignore[attr-defined]
    parts = getattr(current, "coopcare_shortlist_form", None)
    if parts is None:
        parts = current.coopcare_shortlist_form = {
            "add": url_for("shortlist.add"),
            "remove": url_for("shortlist.remove"),
            "csrf_token": generate_csrf(),
            "next": request.full_path.rstrip("?"),
        }
    return parts


def visitor_shortlist_count() -> int:
    return 0 if current_user.is_authenticated else len(services.VisitorShortlist(session).keys())


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "shortlist_state": shortlist_state,
        "shortlist_form_parts": shortlist_form_parts,
        "visitor_shortlist_count": visitor_shortlist_count,
        "saved_search_action": saved_search_action,
        "saved_search_fields": saved_search_fields,
    }


@bp.before_app_request
def _move_visitor_shortlist() -> None:
    """After logging in (or confirming a new account), a visitor's shortlist moves onto
    their person account. A "tell me" search chosen before logging in is never saved by
    itself (a link anyone can send would plant one): the saved-searches page offers it,
    and only the person's own POST (with its CSRF token) saves it."""
    if services.SESSION_KEY not in session and PENDING_SEARCH_KEY not in session:
        return
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    person = person_of(current_user)  # their own account only, never a supported person's
    if person is None or not authz.can(current_user, "shortlist.edit", person):
        return
    if services.SESSION_KEY in session:
        moved = services.move_visitor_items(session, person)
        db.session.commit()
        if moved:
            flash(f"We kept your shortlist: {moved} saved to your account.", "success")
    if session.get(PENDING_SEARCH_KEY) and not session.get(PENDING_OFFERED_KEY):
        session[PENDING_OFFERED_KEY] = True
        flash(
            "You chose a search to be told about before logging in. It is not saved yet: "
            "check it on your Saved searches page.",
        )


def _pending_criteria() -> saved_searches.Criteria | None:
    """The search a visitor chose before logging in, taken from the session (once)."""
    pending = session.pop(PENDING_SEARCH_KEY, None)
    session.pop(PENDING_OFFERED_KEY, None)
    if not isinstance(pending, list):
        return None
    pairs = [(str(p[0]), str(p[1])) for p in pending if isinstance(p, list | tuple) and len(p) == 2]
    return _criteria(MultiDict(pairs))


# -- the shortlist --------------------------------------------------------------------


def _index(status: int = 200, compare_error: str | None = None, chosen: list[str] | None = None):
    shortlist, person = _viewed()
    items = services.listed(shortlist)
    own = person is None or person.user_id == getattr(current_user, "id", None)
    response = render_template(
        "shortlist/index.html",
        items=items,
        person=person,
        own=own,
        can_edit=person is None or authz.can(current_user, "shortlist.edit", person),
        has_notes=shortlist.has_notes,
        note_forms={i.entry.id: NoteForm(note=i.entry.note) for i in items if i.entry},
        button_form=ShortlistItemForm(),
        compare_error=compare_error,
        chosen=set(chosen or ()),
        maximum=SHORTLIST_MAX,
        note_error=None,
    )
    return response, status, PRIVATE


@bp.get("/shortlist")
def index():
    return _index()


def _next_or_shortlist(form: ShortlistItemForm, item: services.Item | None) -> str:
    target = safe_redirect_target(form.next.data, url_for("shortlist.index"))
    if item is not None and "#" not in target:
        target += f"#shortlist-{item.key}"
    return target


def _add_limit() -> str:
    return current_app.config["SHORTLIST_RATE_LIMIT"]


def _account_or_address() -> str:
    """Per account when signed in (a shared connection holds nobody up), else per IP."""
    if current_user.is_authenticated:
        return f"account:{current_user.get_id()}"
    return get_remote_address()


@bp.post("/shortlist/add")
@limiter.limit(_add_limit, key_func=_account_or_address)
def add():
    form = ShortlistItemForm()
    if not form.validate_on_submit():
        abort(400)
    shortlist = _editable()
    item = services.Item.parse(form.item.data)
    target = services.public_target(item) if item else None
    if item is None or target is None:
        abort(404)
    name = getattr(target, "display_name", None) or target.name
    if isinstance(shortlist, services.PersonShortlist):
        result = shortlist.add(item, **_actor(shortlist))
        db.session.commit()
    else:
        result = shortlist.add(item)
    if result == services.AddResult.FULL:
        flash(
            f"Your shortlist is full: it holds {SHORTLIST_MAX}. Remove someone to add {name}.",
            "error",
        )
    elif result == services.AddResult.ADDED:
        whose = "your" if _acting_for_self(shortlist) else f"{shortlist.person.display_name}’s"
        flash(f"{name} is on {whose} shortlist.", "success")
    return redirect(_next_or_shortlist(form, item))


@bp.post("/shortlist/remove")
def remove():
    form = ShortlistItemForm()
    if not form.validate_on_submit():
        abort(400)
    shortlist = _editable()
    item = services.Item.parse(form.item.data)
    if item is None:
        abort(404)
    if isinstance(shortlist, services.PersonShortlist):
        removed = shortlist.remove(item, **_actor(shortlist))
        db.session.commit()
    else:
        removed = shortlist.remove(item)
    if removed:
        flash("Removed from your shortlist.", "success")
    return redirect(_next_or_shortlist(form, item))


@bp.post("/shortlist/notes/<int:entry_id>")
@login_required
def note(entry_id: int):
    entry = services.entry_of(entry_id)
    if entry is None:
        abort(404)
    authz.require(current_user, "shortlist_entry.edit", entry, hide=True)
    form = NoteForm()
    if not form.validate_on_submit():
        items = services.listed(services.PersonShortlist(entry.person))
        forms = {i.entry.id: NoteForm(note=i.entry.note) for i in items if i.entry}
        forms[entry.id] = form
        page = render_template(
            "shortlist/index.html",
            items=items,
            person=entry.person,
            own=entry.person.user_id == current_user.id,
            can_edit=True,
            has_notes=True,
            note_forms=forms,
            button_form=ShortlistItemForm(),
            compare_error=None,
            chosen=set(),
            maximum=SHORTLIST_MAX,
            form=form,  # "Error:" in the page title
            note_error=(f"note-{entry.id}", form.note.errors[0] if form.note.errors else ""),
        )
        return page, 400, PRIVATE
    services.set_note(
        entry,
        form.note.data or "",
        actor_id=current_user.id,
        on_behalf_of=authz.on_behalf_of(current_user, entry.person),
    )
    db.session.commit()
    flash("Your note is saved.", "success")
    return redirect(url_for("shortlist.index") + f"#entry-{entry.id}")


@bp.get("/shortlist/compare")
def compare():
    shortlist, person = _viewed()
    wanted = request.args.getlist("item")
    chosen, error = services.pick_for_compare(services.listed(shortlist), wanted)
    if error:
        return _index(400, compare_error=error, chosen=wanted)
    response = render_template(
        "shortlist/compare.html",
        columns=services.compare_columns(chosen, person),
        person=person,
        own=person is None or person.user_id == getattr(current_user, "id", None),
        needs=services.needs_sentence(person),
    )
    return response, 200, PRIVATE


# -- saved searches -------------------------------------------------------------------


def _criteria(args: MultiDict) -> saved_searches.Criteria | None:
    """Criteria from search-form fields, or None when they are not a valid search (the
    signed-in person's saved budget counts, as on the search page)."""
    person = person_of(current_user) if current_user.is_authenticated else None
    form = SearchForm(formdata=args, budget_pence=search_services.weekly_budget_pence(person))
    if not form.validate() or form.place is None:
        return None
    return saved_searches.criteria_from_form(form)


def saved_search_fields(form: SearchForm) -> list[tuple[str, str]]:
    """The fields "tell me" sends: the whole search, its place as the district only."""
    if form.place is None:
        return []
    return saved_searches.criteria_from_form(form).search_args()


def saved_search_action() -> str | None:
    """How the search page offers "tell me": "save" (a person), "sign_in" (a visitor)
    or None (an account that keeps no saved searches)."""
    if not current_user.is_authenticated:
        return "sign_in"
    person = person_of(current_user)
    if person is not None and authz.can(current_user, "saved_search.manage", person):
        return "save"
    return None


def _own_person_for_searches() -> Person:
    person = person_of(current_user)
    authz.require(current_user, "saved_search.manage", person)
    return person


@bp.get("/saved-searches", endpoint="saved_searches")
@login_required
def saved_searches_list():
    person = _own_person_for_searches()
    rows = [
        (saved, saved_searches.Criteria.from_saved(saved))
        for saved in saved_searches.saved_searches(person)
    ]
    pending = _pending_criteria()
    if pending is not None and pending.key() in {saved.key for saved, _ in rows}:
        pending = None
    page = render_template(
        "shortlist/saved_searches.html", rows=rows, form=ConfirmForm(), pending=pending
    )
    return page, 200, PRIVATE


@bp.get("/saved-searches/new")
def new_saved_search():
    criteria = _criteria(request.args)
    if criteria is None:
        abort(404)
    if not current_user.is_authenticated:
        # Kept until they log in or confirm a new account, then saved for them.
        session[PENDING_SEARCH_KEY] = criteria.search_args()
        return render_template("shortlist/sign_in_to_save.html", criteria=criteria), 200, PRIVATE
    _own_person_for_searches()
    page = render_template("shortlist/confirm_save.html", criteria=criteria, form=ConfirmForm())
    return page, 200, PRIVATE


@bp.post("/saved-searches")
@login_required
def save_search():
    person = _own_person_for_searches()
    form = ConfirmForm()
    criteria = _criteria(request.form)
    if not form.validate_on_submit() or criteria is None:
        abort(400)
    session.pop(PENDING_SEARCH_KEY, None)
    session.pop(PENDING_OFFERED_KEY, None)
    try:
        saved, new = saved_searches.save(person, criteria, actor_id=current_user.id)
    except saved_searches.TooMany as error:
        flash(f"{error} Delete one to save another.", "error")
        return redirect(url_for("shortlist.saved_searches"))
    db.session.commit()
    if new:
        flash(
            f"Saved. We will tell you when someone new matches: {criteria.describe()}.", "success"
        )
    else:
        flash("You saved this search before. We will tell you when someone new matches.")
    return redirect(url_for("shortlist.saved_searches") + f"#saved-{saved.id}")


@bp.post("/saved-searches/<int:saved_id>/delete")
@login_required
def delete_saved_search(saved_id: int):
    saved = saved_searches.saved_search_of(saved_id)
    if saved is None:
        abort(404)
    authz.require(current_user, "saved_search.delete", saved, hide=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    saved_searches.delete(saved, actor_id=current_user.id)
    db.session.commit()
    flash("The saved search is deleted. We will not tell you about it any more.", "success")
    return redirect(url_for("shortlist.saved_searches"))


# -- Easy Read ------------------------------------------------------------------------


@bp.get("/carers/<int:carer_id>/easy-read")
def carer_easy_read(carer_id: int):
    """A printable Easy Read page about a listed carer, for the person who may choose them
    (their needs and interests when signed in, or those of the person a supporter with
    view consent acts for)."""
    carer = search_services.public_carer(carer_id)
    if carer is None:
        abort(404)
    person = _whose(current_user) if current_user.is_authenticated else None
    if person is not None and not authz.can(current_user, "shortlist.view", person):
        person = None
    page = render_template(
        "shortlist/easy_read.html",
        carer=carer,
        person=person,
        lines=easy_read.easy_read(carer, person, shortlist_state("carer", carer.id)),
        name=easy_read._first_name(carer),
    )
    return (page, 200, PRIVATE) if person is not None else page


@bp.get("/teams/<int:team_id>/easy-read")
def team_easy_read(team_id: int):
    """A printable Easy Read page about a listed team (a Wellbeing-Teams-style small team),
    for the person who may choose it, on the same rules as a carer's."""
    team = search_services.public_team(team_id)
    if team is None:
        abort(404)
    person = _whose(current_user) if current_user.is_authenticated else None
    if person is not None and not authz.can(current_user, "shortlist.view", person):
        person = None
    members = search_services.listed_members(team)
    page = render_template(
        "shortlist/easy_read_team.html",
        team=team,
        lines=easy_read.easy_read_team(team, members, person, shortlist_state("team", team.id)),
    )
    return (page, 200, PRIVATE) if person is not None else page
