"""Evidence documents: checked by content, stored outside the web root under random names."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from datetime import date
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import filetype
import sqlalchemy as sa

from marketplace import audit
from marketplace.extensions import db
from marketplace.models import Evidence, Provider, User, utcnow
from marketplace.models.quality import EVIDENCE_CONTENT_TYPES, EVIDENCE_KINDS

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|jpg|png)$")
SUBFOLDER = "evidence"


class UploadRejected(ValueError):
    """The file cannot be accepted. ``str()`` says why, in plain English."""


def detect_content_type(head: bytes) -> str | None:
    """The file's real type from its first bytes (magic numbers), or None if not allowed."""
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    # filetype knows hundreds of types; we take only these, and check the signature too.
    signatures = {
        "application/pdf": b"%PDF-",
        "image/png": b"\x89PNG\r\n\x1a\n",
        "image/jpeg": b"\xff\xd8\xff",
    }
    if mime in signatures and head.startswith(signatures[mime]):
        return mime
    return None


def size_text(size_bytes: int) -> str:
    """5242880 -> "5 MB"; 102400 -> "100 KB"."""
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / (1024 * 1024):g} MB"
    return f"{max(1, size_bytes // 1024)} KB"


def display_filename(name: str | None) -> str:
    """The user's file name, for showing only: no folders, no control characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:255] or "document"


def evidence_folder(upload_folder: str | os.PathLike[str]) -> Path:
    return Path(upload_folder) / SUBFOLDER


def evidence_path(upload_folder: str | os.PathLike[str], document: Evidence) -> Path:
    """Where the document's file is. Refuses any stored name we did not make."""
    if not STORED_NAME.match(document.stored_name):
        raise FileNotFoundError("not an evidence file name")
    folder = evidence_folder(upload_folder).resolve()
    path = (folder / document.stored_name).resolve()
    if path.parent != folder:  # pragma: no cover - the pattern already rules this out
        raise FileNotFoundError("outside the evidence folder")
    return path


def store_evidence(
    provider: Provider,
    kind: str,
    stream: BinaryIO,
    filename: str | None,
    expires_on: date,
    actor: User,
    *,
    upload_folder: str | os.PathLike[str],
    max_bytes: int,
    today: date,
) -> Evidence:
    """Check and save an uploaded document; the previous one of the same kind is archived.

    Raises UploadRejected. The caller commits (and, if the commit fails, the file is an
    orphan with a random name that nothing points to).
    """
    if kind not in EVIDENCE_KINDS:
        raise UploadRejected("Choose what the document is")
    if expires_on <= today:
        raise UploadRejected("The expiry date must be in the future")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadRejected(f"The file must be smaller than {size_text(max_bytes)}")
    if not data:
        raise UploadRejected("The file is empty")
    content_type = detect_content_type(data[:8192])
    if content_type is None:
        raise UploadRejected("The file must be a PDF, JPEG or PNG")

    stored_name = f"{secrets.token_hex(16)}.{EVIDENCE_CONTENT_TYPES[content_type]}"
    folder = evidence_folder(upload_folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / stored_name
    partial = folder / (stored_name + ".part")
    with open(partial, "xb") as handle:  # "x": never overwrite anything
        handle.write(data)
    os.replace(partial, path)
    try:
        db.session.execute(
            sa.update(Evidence)
            .where(
                Evidence.provider_id == provider.id,
                Evidence.kind == kind,
                Evidence.archived_at.is_(None),
            )
            .values(archived_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        document = Evidence(
            provider_id=provider.id,
            kind=kind,
            original_filename=display_filename(filename),
            stored_name=stored_name,
            content_type=content_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            expires_on=expires_on,
            uploaded_by_user_id=actor.id,
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            "evidence.uploaded",
            actor_id=actor.id,
            target=document,
            provider_id=provider.id,
            kind=kind,
            expires_on=expires_on.isoformat(),
            sha256=document.sha256,
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return document


def evidence_for(provider: Provider) -> list[Evidence]:
    """All the provider's documents, current first, newest first."""
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.provider_id == provider.id)
            .order_by(
                Evidence.archived_at.is_not(None), Evidence.uploaded_at.desc(), Evidence.id.desc()
            )
        )
    )


def download_name(document: Evidence, provider: Provider) -> str:
    """A safe file name for the download: the provider, the kind and the right extension."""
    slug = re.sub(r"[^a-z0-9]+", "-", provider.name.lower()).strip("-")[:60] or "provider"
    extension = EVIDENCE_CONTENT_TYPES.get(document.content_type, "bin")
    return f"{slug}-{document.kind.replace('_', '-')}-{document.id}.{extension}"
