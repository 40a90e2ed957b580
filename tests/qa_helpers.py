"""Helpers for the onboarding, evidence and quality-assurance tests."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from marketplace.clock import today as today_in_london
from marketplace.extensions import db
from marketplace.models import Evidence, OnboardingProgress, Provider, User

TODAY = date(2026, 6, 1)  # a fixed "today" for the expiry job tests
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 40
ZIP_BYTES = b"PK\x03\x04" + b"\x00" * 60  # what a .docx really is
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 60

COMPLETE = dict(
    legal_form="worker_coop",
    fca_number="12345R",
    regulated=False,
    principles="We are owned by the people who do the work.",
    members=["workers"],
    district="LS6",
    postcode="LS6 1AA",
    lat=53.81787,
    lon=-1.5745,
    care_council_code="E08000035",
    service_radius_km=10.0,
    skills=["personal_care"],
    languages=["en"],
    hourly_rate_pence=2150,
    contact_email="hello@example.coop",
)


def add_evidence(
    provider: Provider,
    kind: str,
    expires_on: date,
    *,
    uploaded_by: User | None = None,
    upload_folder: Path | None = None,
    data: bytes = PDF_BYTES,
) -> Evidence:
    """An evidence row (and, when upload_folder is given, its file)."""
    stored_name = f"{secrets.token_hex(16)}.pdf"
    if upload_folder is not None:
        folder = upload_folder / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored_name).write_bytes(data)
    document = Evidence(
        provider_id=provider.id,
        kind=kind,
        original_filename=f"{kind}.pdf",
        stored_name=stored_name,
        content_type="application/pdf",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        expires_on=expires_on,
        uploaded_by_user_id=uploaded_by.id if uploaded_by else None,
    )
    db.session.add(document)
    db.session.flush()
    return document


def ready_provider(
    make: Any,
    status: str = "draft",
    admin: User | None = None,
    *,
    evidence: bool = True,
    expires_on: date | None = None,
    upload_folder: Path | None = None,
    **overrides: Any,
) -> Provider:
    """A provider whose answers are complete and (by default) whose documents are in date."""
    values = {**COMPLETE, **overrides}
    provider = make.provider(qa_status=status, admin=admin, **values)
    if evidence:
        kinds = ["insurance", "safeguarding_policy", "dbs_policy"]
        if provider.regulated and provider.regulator == "cqc":
            kinds.append("cqc_registration")
        for kind in kinds:
            add_evidence(
                provider,
                kind,
                expires_on or today_in_london() + timedelta(days=365),
                upload_folder=upload_folder,
            )
    return provider


def mark_unanswered(provider: Provider, *steps: str) -> None:
    db.session.add(OnboardingProgress(provider_id=provider.id, unanswered=list(steps)))
    db.session.flush()


def outbox(app: Any) -> list[Any]:
    state = app.extensions["mailman"]
    if not hasattr(state, "outbox"):
        state.outbox = []
    return state.outbox
