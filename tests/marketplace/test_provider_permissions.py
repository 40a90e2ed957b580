"""Permission matrix: every onboarding, evidence and review route × every kind of user."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from qa_helpers import add_evidence, ready_provider

from marketplace import clock, qa

WHO = [
    "anonymous",
    "person",
    "supporter",
    "carer",
    "this_admin",
    "other_admin",
    "reviewer",
    "admin",
]


@dataclass
class World:
    clients: dict
    provider_id: int
    submitted_id: int
    evidence_id: int


@pytest.fixture
def world(app, make, login, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    this_admin = make.user(roles=["provider_admin"])
    other_admin = make.user(roles=["provider_admin"])
    provider = ready_provider(make, status="draft", admin=this_admin, upload_folder=tmp_path)
    make.provider(qa_status="draft", admin=other_admin)  # incomplete: cannot be submitted
    submitted = ready_provider(make, status="submitted")
    document = add_evidence(
        provider,
        "cqc_registration",
        clock.today().replace(year=clock.today().year + 1),
        upload_folder=tmp_path,
    )
    users = {
        "person": make.user(roles=["person"]),
        "supporter": make.user(roles=["supporter"]),
        "carer": make.user(roles=["carer"]),
        "this_admin": this_admin,
        "other_admin": other_admin,
        "reviewer": make.user(roles=["reviewer"]),
        "admin": make.user(roles=["admin"]),
    }
    clients = {name: login(user) for name, user in users.items()}
    clients["anonymous"] = app.test_client()
    return World(clients, provider.id, submitted.id, document.id)


# (method, url, form data, expected status per kind of user, in WHO order)
#   anon person supporter carer this_admin other_admin reviewer admin
L, F, N = 302, 403, 404  # L: redirect (to log in, or onwards), F: forbidden, N: not found
ROUTES = [
    ("GET", "/provider", None, [L, F, F, F, 200, 200, F, 200]),
    ("GET", "/provider/onboarding", None, [L, F, F, F, 200, 200, F, 200]),
    ("GET", "/provider/onboarding/name", None, [L, F, F, F, 200, 200, F, 200]),
    *[
        ("GET", f"/provider/onboarding/{step}", None, [L, F, F, F, 200, 200, F, L])
        for step in qa.STEPS[1:]
    ],
    ("GET", "/provider/onboarding/check", None, [L, F, F, F, 200, 200, F, L]),
    ("GET", "/provider/onboarding/unknown", None, [L, F, F, F, N, N, F, N]),
    ("POST", "/provider/onboarding/rate", {"hourly_rate": "20"}, [L, F, F, F, L, L, F, L]),
    ("GET", "/provider/evidence", None, [L, F, F, F, 200, 200, F, L]),
    ("GET", "/provider/evidence/{evidence}/download", None, [L, F, F, F, 200, N, 200, 200]),
    ("GET", "/provider/evidence/999999/download", None, [L, F, F, F, N, N, N, N]),
    ("POST", "/provider/submit", {}, [L, F, F, F, L, 400, F, L]),
    ("POST", "/provider/notifications/read", {}, [L, F, F, F, L, L, F, L]),
    ("POST", "/provider/switch", {"provider_id": "{provider}"}, [L, F, F, F, L, N, F, N]),
    ("GET", "/review", None, [L, F, F, F, F, F, 200, 200]),
    ("GET", "/review/providers/{provider}", None, [L, F, F, F, F, F, 200, 200]),
    ("GET", "/review/providers/999999", None, [L, F, F, F, F, F, N, N]),
    (
        "POST",
        "/review/providers/{submitted}",
        {"action": "request_changes", "comment": "Please fix."},
        [L, F, F, F, F, F, L, L],
    ),
]
CASES = [
    pytest.param(method, url, data, who, expected[i], id=f"{method} {url} {who}")
    for method, url, data, expected in ROUTES
    for i, who in enumerate(WHO)
]


@pytest.mark.parametrize("method, url, data, who, expected", CASES)
def test_permission_matrix(world, method, url, data, who, expected):
    values = {
        "provider": world.provider_id,
        "submitted": world.submitted_id,
        "evidence": world.evidence_id,
    }
    url = url.format(**values)
    data = {k: v.format(**values) for k, v in (data or {}).items()}
    client = world.clients[who]
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if who == "anonymous" and expected == L:
        assert "/login" in response.location
    response.close()


def test_every_route_is_in_the_matrix(app):
    """A new route in these blueprints must be added to the matrix above."""
    covered = {
        "/provider/onboarding/<step>",
        "/provider/evidence/<int:evidence_id>/download",
        "/review/providers/<int:provider_id>",
    }
    covered |= {url for _, url, _, _ in ROUTES if "{" not in url and "999999" not in url}
    ours = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("providers.", "admin."))
    }
    assert ours - covered == set()


def test_navigation_links_by_role(make, login):
    page = login(make.user(roles=["provider_admin"])).get("/account").get_data(as_text=True)
    assert 'href="/provider">Your organisation' in page
    assert "Quality reviews" not in page
    page = login(make.user(roles=["reviewer"])).get("/account").get_data(as_text=True)
    assert 'href="/review">Quality reviews' in page
    assert "Your organisation" not in page
