"""An id in a query string or form bigger than a database integer is no id at all: the
page answers as if it were not given (or not found), never with a 500 (PostgreSQL refuses
to compare an integer column with it; SQLite cannot bind it)."""

from __future__ import annotations

import pytest

from marketplace import DATABASE_ID_MAX, database_id

HUGE = "9" * 25


@pytest.mark.parametrize("text", [HUGE, str(DATABASE_ID_MAX + 1), "0", "-1", "abc", ""])
def test_database_id_refuses_what_no_row_can_have(text):
    with pytest.raises(ValueError):
        database_id(text)


def test_database_id_takes_real_ids():
    assert database_id("1") == 1
    assert database_id(str(DATABASE_ID_MAX)) == DATABASE_ID_MAX


@pytest.mark.parametrize("url", [f"/shortlist?person={HUGE}", f"/shortlist/compare?person={HUGE}"])
def test_a_huge_person_id_is_not_a_500(make, login, url):
    person = make.user(roles=["person"])
    response = login(person).get(url)
    assert response.status_code < 500
    assert response.status_code in (200, 400, 404)


def test_a_huge_person_id_for_a_visitor_is_not_a_500(client):
    assert client.get(f"/shortlist?person={HUGE}").status_code < 500


@pytest.mark.parametrize(
    "url", [f"/provider/introductions?provider={HUGE}", f"/provider/plans?provider={HUGE}"]
)
def test_a_huge_provider_id_is_not_a_500(make, login, url):
    admin = make.user(roles=["provider_admin"])
    make.provider(admin=admin)
    response = login(admin).get(url)
    assert response.status_code == 200


def test_switching_to_a_huge_provider_id_is_not_found(make, login):
    admin = make.user(roles=["provider_admin"])
    make.provider(admin=admin)
    response = login(admin).post("/provider/switch", data={"provider_id": HUGE})
    assert response.status_code == 404
