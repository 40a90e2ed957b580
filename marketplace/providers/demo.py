"""Demo quality-assurance data: documents, review history and a notification.

Called at the end of ``marketplace.demo.seed_demo``. Deterministic: the same providers
get the same rows and file names every time. Each document is a small real PDF written
under UPLOAD_FOLDER, so reviewers can open it in the demo.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from marketplace.extensions import db
from marketplace.models import Evidence, Notification, Provider, QAEvent, User
from marketplace.providers.evidence import evidence_folder
from marketplace.providers.qa import required_evidence_kinds

GOOD_UNTIL = date(2030, 3, 31)
EXPIRED_ON = date(2025, 12, 31)  # the suspended demo provider's insurance
REVIEWER = "reviewer@coopcare.example"
PROVIDER_ADMIN = "provider@coopcare.example"


def _demo_pdf(title: str) -> bytes:
    """A one-page PDF saying what the document stands for."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 720 Td (Demo document: {text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _add_document(provider: Provider, kind: str, expires_on: date, at: datetime) -> None:
    data = _demo_pdf(f"{provider.name} - {kind.replace('_', ' ')}")
    stored_name = hashlib.sha256(f"demo:{provider.name}:{kind}".encode()).hexdigest()[:32] + ".pdf"
    folder = evidence_folder(current_app.config["UPLOAD_FOLDER"])
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        Path(folder / stored_name).write_bytes(data)
    except OSError:  # a read-only upload folder: the rows still make the checklist green
        current_app.logger.warning("could not write demo evidence to %s", folder)
    db.session.add(
        Evidence(
            provider_id=provider.id,
            kind=kind,
            original_filename=f"{kind.replace('_', '-')}.pdf",
            stored_name=stored_name,
            content_type="application/pdf",
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            expires_on=expires_on,
            uploaded_at=at,
            # An expired document was already reported (by the suspension notice).
            expiry_warned_at=at if expires_on < at.date() else None,
        )
    )


def seed_quality_assurance(
    providers: list[Provider], users: dict[str, User], epoch: datetime
) -> None:
    """Documents for every provider past the draft stage, and their review history."""
    reviewer = users[REVIEWER]
    for provider in providers:
        if provider.legal_form == "cic" and not provider.companies_house_number:
            # Every CIC is a company; the demo's legal-form rotation can leave the number out.
            digest = hashlib.sha256(f"demo:{provider.name}".encode()).hexdigest()
            provider.companies_house_number = f"{int(digest, 16) % 10**8:08d}"
        status = provider.qa_status
        if status == "draft":
            continue
        for kind in required_evidence_kinds(provider):
            if status == "changes_requested" and kind == "dbs_policy":
                continue  # what the reviewer asked for
            expires = EXPIRED_ON if status == "suspended" and kind == "insurance" else GOOD_UNTIL
            _add_document(provider, kind, expires, epoch)
        if status in {"approved", "suspended"}:
            db.session.add(
                QAEvent(
                    provider_id=provider.id,
                    from_status="submitted",
                    to_status="approved",
                    actor_user_id=reviewer.id,
                    at=epoch,
                )
            )
        if status == "suspended":
            db.session.add(
                QAEvent(
                    provider_id=provider.id,
                    from_status="approved",
                    to_status="suspended",
                    actor_user_id=None,
                    at=epoch,
                    reason="Insurance expired on 31 December 2025",
                )
            )
        if status == "changes_requested":
            db.session.add(
                QAEvent(
                    provider_id=provider.id,
                    from_status="submitted",
                    to_status="changes_requested",
                    actor_user_id=reviewer.id,
                    at=epoch,
                    reason="Please upload your DBS checks policy.",
                )
            )
    headingley = providers[0]
    db.session.add(
        Notification(
            user_id=users[PROVIDER_ADMIN].id,
            link="/provider",
            created_at=epoch,
            message=f"{headingley.name} is now quality assured. People can find you on CoopCare.",
        )
    )
    db.session.flush()
