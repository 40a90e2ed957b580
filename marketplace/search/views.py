"""Public directory pages: search, providers, carers, teams and councils."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import (
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from marketplace import geo
from marketplace.arrangements import services as arrangement_services
from marketplace.catalog import catalog_fragment, catalog_fragments, reviews_fragment
from marketplace.models import Team
from marketplace.people import services as people_services
from marketplace.reviews import services as review_services
from marketplace.search import bp, council_export, national_map, services
from marketplace.search.forms import MapFilterForm, SearchForm
from marketplace.seo import services as seo_services
from marketplace.web import sees_shared_page


def _search_form() -> tuple[SearchForm, bool]:
    """The search as asked, and whether the postcode came from the person's profile.

    The address says everything but a logged-in person's own postcode and budget: with
    no postcode typed, a saved profile gives it (and, when the address names no choices
    at all, the choices too), so links on the page never carry it (nor logs, history or
    Referer headers). A person's saved budget fills in a budget not typed in.
    """
    person = people_services.person_of(current_user)
    budget = services.weekly_budget_pence(person)
    typed = (request.args.get("postcode") or "").strip()
    defaults = None if typed else people_services.search_defaults(person)
    if defaults is None:
        return SearchForm(formdata=request.args, budget_pence=budget), False
    if any(name in request.args for name in SearchForm.CHOICE_FIELDS):
        args = MultiDict(request.args)
    else:
        args = MultiDict(defaults)
        if "page" in request.args:
            args["page"] = request.args["page"]
    args["postcode"] = defaults["postcode"]
    return SearchForm(formdata=args, budget_pence=budget), True


def _card_parts(
    results: list[services.CarerResult], details: dict[int, services.CardDetails]
) -> dict[Hashable, dict[str, Markup]]:
    """Each result card's parts that are the same for every search and visitor
    (search/_card_public.html: its link, provider, area and checks), kept per catalog
    version; the search's own parts (distance, reasons) and the visitor's (the shortlist
    button) are written around them on every page."""
    cards = {result.card.id: result.card for result in results}

    def render(ids: list[Hashable]) -> dict[Hashable, dict[str, Markup]]:
        return {
            i: _public_blocks("search/_card_public.html", card=cards[i], detail=details.get(i))
            for i in ids
        }

    return catalog_fragments("card_parts", list(cards), render)


def _carer_query(link_args: dict[str, Any], page: int) -> str:
    """The query string of every carer link on a results page ("?postcode=...&page=2",
    the same search), written once for the page instead of once per card."""
    url = url_for("search.carer", **dict(link_args, carer_id=0, page=page))
    _, mark, query = url.partition("?")
    return mark + query


def _untouched(field: Any) -> bool:
    """Nothing chosen or typed in ``field``, and no error: it shows as on an empty form."""
    return not field.errors and not field.data and not any(field.raw_data or ())


@bp.app_template_global("search_form_section")
def search_form_section(
    name: str, fields: list[Any], caller: Any, shared: bool = True, lists: Sequence[Any] = ()
) -> Markup:
    """One section of the search form (search/_form.html), kept per catalog version and
    vocabulary while it shows only what every visitor sees on an empty form: each of
    ``fields`` untouched and ``shared`` (no saved budget of the person's). The sections
    are the vocabulary's long lists of choices, so most of the form is written once; a
    section with a choice, a typed value or an error is written for this request.
    ``lists``: fields whose choices (not their state) the section shows too. Refused if
    it holds a CSRF token, which is one visitor's."""
    if not shared or not all(_untouched(field) for field in fields):
        return Markup(caller())

    def render() -> Markup:
        html = Markup(caller())
        if "csrf_token" in html:
            raise RuntimeError(f"search form section {name!r} holds a CSRF token")
        return html

    # The choices themselves are in the key: a vocabulary read anew (it is kept at most
    # a minute) is never shown with the labels of the one before.
    key = (name, *(tuple(getattr(f, "choices", None) or ()) for f in (*fields, *lists)))
    found: Markup = catalog_fragment("search_form_section", key, render)
    return found


# Where a visitor's own CSRF token goes in a search page kept for every visitor: a
# "<" typed into the search is always written as "&lt;", so no input can make it.
_TOKEN_MARK = "<coopcare-csrf-token>"
# Pages kept per worker and catalog version (about 50 kB each: at most about 6.5 MB).
SHARED_SEARCH_PAGES = 128


def _shared_page_key() -> str | None:
    """The search page's key among pages kept for every visitor (the whole address, which
    the page echoes), or None when this request's page may be its own: someone logged
    in, or a visitor whose session holds more than a CSRF token (a shortlist, a message
    waiting)."""
    if not sees_shared_page():
        return None
    return request.url


def _shareable(page: Any) -> str | None:
    """``page`` as kept for every visitor (this request's CSRF token, if it holds one,
    replaced by ``_TOKEN_MARK``), or None if it cannot be shared: a response with its own
    headers, or a CSRF token that is not this request's."""
    if not isinstance(page, str) or _TOKEN_MARK in page:
        return None
    token = g.get("csrf_token")
    if token:
        page = page.replace(token, _TOKEN_MARK)
    if page.count('name="csrf_token" value="') != page.count(
        f'name="csrf_token" value="{_TOKEN_MARK}"'
    ):
        return None
    return page


@bp.get("/search")
def search():
    # A visitor's search page is the same for every visitor asking the same address, but
    # for the CSRF token of their own session: kept per catalog version (and minute), the
    # token written in for each request. Everything else is rendered as below.
    key = _shared_page_key()
    if key is None:
        return _search_page()
    rendered: list[Any] = []

    def render() -> str | None:
        rendered.append(_search_page())
        return _shareable(rendered[0])

    kept = catalog_fragment("search_page", key, render, most=SHARED_SEARCH_PAGES)
    if rendered:
        return rendered[0]
    return kept.replace(_TOKEN_MARK, generate_csrf()) if _TOKEN_MARK in kept else kept


def _search_page() -> Any:
    form, from_profile = _search_form()
    if "postcode" not in request.args and not from_profile:
        return render_template("search/search.html", form=form, place=None)
    if not form.validate() or form.place is None:
        return render_template("search/search.html", form=form.for_display(False), place=None)
    place = form.place
    filters = dataclasses.replace(
        form.filters(),
        # Carers in the person's agreed arrangements: "someone you already know".
        known_carer_ids=arrangement_services.known_carer_ids(
            people_services.person_of(current_user)
        ),
    )
    carers = services.search_carers(
        place, filters, page=form.page.data or 1, suggest_below=services.FEW_RESULTS
    )
    page = services.paginate(carers.results, form.page.data or 1)
    # Why there are not more, and how to find more: only shown for a few results.
    few = page.total < services.FEW_RESULTS
    providers = services.providers_covering(place)
    link_args = form.link_args(with_postcode=not from_profile)
    shown = page.items + carers.nearest
    details = services.card_details(shown)
    page_html = render_template(
        "search/search.html",
        form=form.for_display(from_profile),
        place=place,
        from_profile=from_profile,
        filters=filters,
        carers=carers,
        page=page,
        details=details,
        card_parts=_card_parts(shown, details),
        carer_query=_carer_query(link_args, page.page),
        link_args=link_args,
        active=form.active_filters(),
        few=few,
        suggestion_links=services.suggestion_links(carers.widen, link_args) if few else [],
        providers=providers,
        # Shown only when no carer is found.
        council_links=None if page.total else services.council_links(place),
        map_points=services.map_points(place, page.items, providers),
        excluded=services.excluded_sentences(carers.excluded, filters) if few else [],
    )
    if from_profile or form.saved_budget_pence is not None:
        return page_html, 200, {"Cache-Control": "private, no-store"}
    return page_html


@bp.get("/providers/<int:provider_id>")
def provider(provider_id: int):
    found = services.public_provider(provider_id)
    if found is None:
        abort(404)
    return render_template(
        "search/provider.html",
        provider=found,
        facts=services.provider_facts(found),
        carers_html=_provider_carers_html(found.id),
        json_ld=seo_services.provider_json_ld(found, _provider_ratings(found.id)),
        reviews_html=_shared_reviews("provider", found.id),
    )


def _provider_carers_html(provider_id: int) -> Markup:
    """The provider page's list of listed carers (search/_provider_carers.html), the same
    for every visitor and changed only with the catalog: rendered once per catalog
    version, without loading every carer's whole row on every request."""

    def render() -> Markup:
        html = render_template(
            "search/_provider_carers.html", carers=services.listed_carers(provider_id)
        )
        if "csrf_token" in html:
            raise RuntimeError("the provider's carer list holds a CSRF token: it cannot be shared")
        return Markup(html)

    found: Markup = catalog_fragment("provider_carers", provider_id, render)
    return found


def _provider_ratings(provider_id: int) -> list[int]:
    """Each published review's average (the page's schema.org aggregateRating): the same
    for everyone, logged in or not, so kept until the reviews version moves."""
    found: tuple[int, ...] = reviews_fragment(
        "provider-ratings",
        provider_id,
        lambda: tuple(review_services.all_ratings("provider", provider_id)),
    )
    return list(found)


@dataclass(frozen=True)
class CarerProfile:
    """A listed carer's public page parts (search/_carer_public.html): the same for
    every visitor, so kept per catalog version (``catalog_fragment``)."""

    id: int
    display_name: str
    district: str | None
    provider_name: str
    head: Markup
    links: Markup
    facts: Markup


def _public_blocks(name: str, **context: Any) -> dict[str, Markup]:
    """Each block of template ``name`` rendered on its own, with only ``context`` (no
    context processors: no current user, no shortlist); refused if one holds a CSRF
    token, which belongs to one visitor's session and must never be shared."""
    template = current_app.jinja_env.get_template(name)
    blocks = {
        block: Markup("".join(render(template.new_context(context))))
        for block, render in template.blocks.items()
    }
    for block, html in blocks.items():
        if "csrf_token" in html:
            raise RuntimeError(f"{name} block {block!r} holds a CSRF token: it cannot be shared")
    return blocks


def _carer_profile(carer_id: int) -> CarerProfile | None:
    found = services.public_carer(carer_id)
    if found is None:
        return None
    blocks = _public_blocks(
        "search/_carer_public.html",
        carer=found,
        team=services.first_team(found),
        checks=services.carer_checks(found),
        availability=services.availability_table(found.availability),
        parts=services.PARTS,
        skills=services.labels("skill", found.skills),
        languages=services.labels("language", found.languages),
        gender=services.GENDER_LABELS.get(found.gender or ""),
        preferences=services.carer_preference_rows(found),
    )
    return CarerProfile(
        id=found.id,
        display_name=found.display_name,
        district=found.district,
        provider_name=found.provider.name,
        **blocks,
    )


def _shared_reviews(kind: str, subject_id: int) -> Markup | None:
    """The reviews section (reviews/_summary.html) as everyone not logged in sees it:
    kept until the reviews version moves (``reviews_fragment``), so a warm page asks no
    query. Logged-in visitors get their own (a "report this review" link)."""
    if current_user.is_authenticated:
        return None

    def render() -> Markup | None:
        summary = review_services.summary(kind, subject_id)
        html = render_template("reviews/_summary.html", review_summary=summary)
        return None if "csrf_token" in html else Markup(html)

    found: Markup | None = reviews_fragment(kind, subject_id, render)
    return found


@bp.get("/carers/<int:carer_id>")
def carer(carer_id: int):
    # The public profile changes only with the catalog (carers, checks, providers and
    # teams bump it): rendered once per catalog version, with no query when it is kept.
    # The shortlist button, the search context and the reviews are this request's own.
    found = catalog_fragment("carer_profile", carer_id, lambda: _carer_profile(carer_id))
    if found is None:
        abort(404)
    # Arriving from a search: the same search says how far away and why this carer
    # matches, and "back to results" rebuilds the search (from the form's own fields,
    # never from a URL in the request, so it cannot send anyone elsewhere).
    context, from_profile = None, False
    if request.args:
        form, from_profile = _search_form()
        if form.validate() and form.place is not None:
            from_profile = from_profile or form.saved_budget_pence is not None
            context = services.SearchContext(
                result=services.search_result_for(
                    form.place, form.filters(), found.id, page=form.page.data
                ),
                back_args=form.link_args(with_postcode=not from_profile),
                outcode=form.place.outcode,
            )
    page_html = render_template(
        "search/carer.html",
        carer=found,
        context=context,
        reviews_html=_shared_reviews("carer", found.id),
    )
    if from_profile:
        return page_html, 200, {"Cache-Control": "private, no-store"}
    return page_html


class TeamMemberLink(NamedTuple):
    """One listed member on a team's public page."""

    carer_id: int
    display_name: str
    district: str | None
    role: str


def _team_members(team: Team) -> tuple[TeamMemberLink, ...]:
    """The team's listed members, the same for every visitor and changed only with the
    catalog: read once per catalog version (a carer and a checks query per member
    otherwise, on every request)."""

    def read() -> tuple[TeamMemberLink, ...]:
        return tuple(
            TeamMemberLink(m.carer.id, m.carer.display_name, m.carer.district, m.role)
            for m in services.listed_members(team)
        )

    found: tuple[TeamMemberLink, ...] = catalog_fragment("team_members", team.id, read)
    return found


@bp.get("/teams/<int:team_id>")
def team(team_id: int):
    found = services.public_team(team_id)
    if found is None:
        abort(404)
    return render_template(
        "search/team.html",
        team=found,
        members=_team_members(found),
        role_labels=services.TEAM_ROLE_LABELS,
        reviews_html=_shared_reviews("team", found.id),
    )


@bp.get("/councils")
def councils():
    return render_template("search/councils.html", councils=services.councils_with_providers())


def _council_or_404(code: str) -> geo.Council:
    try:
        return geo.care_council(code)
    except KeyError:
        abort(404)


@bp.get("/councils/<code>")
def council(code: str):
    found = _council_or_404(code)
    if found.code != code:
        return redirect(url_for("search.council", code=found.code), 308)
    return render_template(
        "search/council.html", council=found, summary=services.council_summary(found.code)
    )


@bp.get("/councils/<code>/providers.csv")
def council_csv(code: str):
    found = _council_or_404(code)
    text = council_export.council_csv(found.code, services.council_providers(found.code))
    filename = f"coopcare-providers-{found.code}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/map")
def map_page():
    form = MapFilterForm(formdata=request.args)
    if request.args and not form.validate():
        items = national_map.map_providers()
    else:
        items = national_map.map_providers(form.legal_form.data or None, form.skill.data or None)
    groups = national_map.by_council(items)
    return render_template(
        "search/map.html",
        form=form,
        groups=groups,
        total=len(items),
        councils=sum(1 for g in groups if g.council is not None),
        map_points=national_map.map_points(items),
    )
