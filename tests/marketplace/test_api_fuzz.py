"""schemathesis against the generated /api/v1/openapi.json, in-process (WSGI, no network).

Every operation gets valid (positive) and invalid (negative) generated requests; each
answer goes through all of schemathesis's checks: no server error, status code and
content type documented, body matches the response schema, valid data accepted and
invalid data refused.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

pytestmark = pytest.mark.fuzz

# Cases per operation and generation mode: 4 operations with inputs x 2 modes x 150, plus
# the two without inputs, is over 1,000 cases.
EXAMPLES = int(os.environ.get("COOPCARE_FUZZ_EXAMPLES", "150"))
MINIMUM_CASES = 1000
# Real places, so that valid requests reach the matching engine and not only a 404.
KNOWN_POSTCODES = ["LS6 1AA", "ls6", "LS61AA", "BS1 4DJ", "M1 1AE", "EC1A 1BB", " CF10 1EP "]


@pytest.fixture
def listed(make) -> list[int]:
    leeds = make.provider(name="Fuzz Co-op", skills=["personal_care", "cooking"])
    make.team(leeds, name="Fuzz Team")
    make.carer(leeds, display_name="Ana", gender="female", interests=["gardening"])
    make.carer(leeds, display_name="Ben", gender="male", skills=["personal_care"])
    bristol = make.provider(
        name="Bristol Fuzz Co-op",
        district="BS1",
        lat=51.45,
        lon=-2.59,
        care_council_code="E06000023",
        service_districts=["BS1"],
    )
    make.carer(bristol, display_name="Cai", district="BS1", lat=51.45, lon=-2.59)
    return [leeds.id, bristol.id]


def _known_places(case, draw) -> None:
    """Point a valid case at a real place (and a real provider) half of the time."""
    if not draw(st.booleans()):
        return
    postcode = draw(st.sampled_from(KNOWN_POSTCODES))
    if isinstance(case.body, dict) and "postcode" in case.body:
        case.body = {**case.body, "postcode": postcode}
    if case.path_parameters and "postcode" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "postcode": postcode}
    if isinstance(case.query, dict) and "postcode" in case.query:
        case.query = {**case.query, "postcode": postcode}


def fuzz(strategy, positive: bool, cases: Counter, statuses: Counter):
    """A Hypothesis test sending each generated case and running every check on it."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def run(case, data):
        if positive:
            _known_places(case, data.draw)
        response = case.call_and_validate()
        cases[case.operation.label] += 1
        statuses[(case.operation.label, response.status_code)] += 1

    return run


def test_schemathesis_finds_no_failures(app, listed):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /health",
        "GET /vocabulary",
        "GET /geo/{postcode}",
        "GET /providers",
        "GET /providers/{provider_id}",
        "POST /match",
    }
    cases: Counter[str] = Counter()
    statuses: Counter[tuple[str, int]] = Counter()

    for operation in operations:
        inputs = {"parameters", "requestBody"} & set(operation.definition.raw)
        # An operation that takes nothing has nothing to get wrong.
        modes = list(GenerationMode) if inputs else [GenerationMode.POSITIVE]
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)
            if mode is GenerationMode.POSITIVE and "provider_id" in operation.path:
                real = st.sampled_from(listed).flatmap(
                    lambda provider_id, op=operation, m=mode: op.as_strategy(
                        generation_mode=m, path_parameters={"provider_id": provider_id}
                    )
                )
                strategy = st.one_of(strategy, real)

            fuzz(strategy, mode is GenerationMode.POSITIVE, cases, statuses)()

    total = sum(cases.values())
    print(f"schemathesis: {total} cases", dict(sorted(statuses.items())))
    assert total >= MINIMUM_CASES, cases
    # Valid requests reached real answers, not only errors.
    for label in ("GET /geo/{postcode}", "GET /providers", "GET /providers/{provider_id}"):
        assert statuses[(label, 200)] > 0, statuses
    assert statuses[("POST /match", 200)] > 0, statuses
