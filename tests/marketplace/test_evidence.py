"""Evidence uploads: checked by content, size-limited, stored safely, served only to the
right people."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from qa_helpers import EXE_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, ZIP_BYTES, add_evidence

from marketplace import clock
from marketplace.extensions import db
from marketplace.models import AuditLog, Evidence
from marketplace.providers import qa
from marketplace.providers.evidence import display_filename, evidence_path


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def admin(make):
    return make.user(roles=["provider_admin"])


@pytest.fixture
def provider(make, admin):
    return make.provider(qa_status="draft", admin=admin)


def _future():
    return clock.today() + timedelta(days=200)


def upload(client, data=PDF_BYTES, filename="insurance.pdf", kind="insurance", expires=None):
    expires = expires or _future()
    return client.post(
        "/provider/evidence",
        data={
            "kind": kind,
            "document": (io.BytesIO(data), filename),
            "expires_day": str(expires.day),
            "expires_month": str(expires.month),
            "expires_year": str(expires.year),
        },
        content_type="multipart/form-data",
    )


def _documents(provider):
    return db.session.scalars(
        sa.select(Evidence).where(Evidence.provider_id == provider.id).order_by(Evidence.id)
    ).all()


@pytest.mark.parametrize(
    "data, filename, content_type, extension",
    [
        (PDF_BYTES, "Insurance 2026.pdf", "application/pdf", "pdf"),
        (PNG_BYTES, "scan.PNG", "image/png", "png"),
        (JPEG_BYTES, "photo.jpeg", "image/jpeg", "jpg"),
        (PDF_BYTES, "no-extension", "application/pdf", "pdf"),  # the content decides
    ],
)
def test_upload_is_stored_under_a_random_name(
    login, admin, provider, uploads, data, filename, content_type, extension
):
    response = upload(login(admin), data=data, filename=filename)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    (document,) = _documents(provider)
    assert document.content_type == content_type
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", document.stored_name)
    assert document.original_filename == filename
    assert document.size_bytes == len(data)
    assert document.expires_on == _future()
    assert document.uploaded_by_user_id == admin.id
    stored = uploads / "evidence" / document.stored_name
    assert stored.read_bytes() == data
    assert [p.name for p in (uploads / "evidence").iterdir()] == [document.stored_name]
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "evidence.uploaded"))


@pytest.mark.parametrize(
    "data, filename",
    [
        (ZIP_BYTES, "policy.pdf"),  # a Word file renamed to .pdf
        (EXE_BYTES, "insurance.pdf"),
        (b"GIF89a" + b"\x00" * 30, "image.png"),
        (b"<html><script>alert(1)</script></html>", "page.pdf"),
        (b"just some text", "notes.pdf"),
    ],
)
def test_wrong_content_is_refused_whatever_the_name(
    login, admin, provider, uploads, data, filename
):
    response = upload(login(admin), data=data, filename=filename)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body and "The file must be a PDF, JPEG or PNG" in body
    assert _documents(provider) == []
    assert not (uploads / "evidence").exists() or not any((uploads / "evidence").iterdir())


def test_empty_file_is_refused(login, admin, provider, uploads):
    body = upload(login(admin), data=b"").get_data(as_text=True)
    assert "There is a problem" in body
    assert _documents(provider) == []


def test_oversize_file_is_refused_with_a_clear_error(
    app, login, admin, provider, uploads, monkeypatch
):
    # Small sizes: Werkzeug's test client spools bodies over 500 KB to a temporary file it
    # never closes, which the warnings-as-errors setting would report.
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100 * 1024)
    big = PDF_BYTES + b"0" * (100 * 1024)
    body = upload(login(admin), data=big).get_data(as_text=True)
    assert "The file must be smaller than 100 KB" in body
    assert _documents(provider) == []


def test_request_over_the_server_limit_gets_the_same_clear_error(
    app, login, admin, provider, uploads, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = upload(login(admin), data=PDF_BYTES + b"0" * (128 * 1024))
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "The file must be smaller than 5 MB" in body and "There is a problem" in body
    assert "<title>Error:" in body
    assert _documents(provider) == []


def test_default_size_limit_is_five_megabytes(app):
    from marketplace.providers.evidence import size_text

    assert app.config["MAX_UPLOAD_BYTES"] == 5 * 1024 * 1024
    assert size_text(app.config["MAX_UPLOAD_BYTES"]) == "5 MB"


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd",
        "..\\..\\windows\\system32\\evil.pdf",
        "/absolute/path/insurance.pdf",
        "insurance.pdf\x00.exe",
        "....//....//x.pdf",
        "",
    ],
)
def test_path_tricks_in_the_file_name_are_harmless(
    login, admin, provider, uploads, tmp_path, filename
):
    response = upload(login(admin), filename=filename or "x")
    assert response.status_code == 302
    (document,) = _documents(provider)
    assert "/" not in document.original_filename and "\\" not in document.original_filename
    assert "\x00" not in document.original_filename
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", document.stored_name)
    # Nothing was written anywhere but the evidence folder.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [uploads / "evidence" / document.stored_name]


def test_display_filename():
    assert display_filename("../../etc/passwd") == "passwd"
    assert display_filename("C:\\Users\\me\\cover.pdf") == "cover.pdf"
    assert display_filename("") == "document"
    assert display_filename("a\x00b\x1f.pdf") == "ab.pdf"


def test_stored_names_we_did_not_make_are_never_opened(uploads, make):
    document = Evidence(stored_name="../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        evidence_path(uploads, document)


@pytest.mark.parametrize(
    "day, month, year, message",
    [
        ("", "", "", "Enter the date the document expires"),
        ("1", "", "2030", "must include a month"),
        ("31", "2", "2030", "must be a real date"),
        ("1", "1", "30", "The year must include 4 numbers"),
        ("x", "1", "2030", "must be a real date"),
    ],
)
def test_expiry_date_must_be_a_real_date(
    login, admin, provider, uploads, day, month, year, message
):
    response = login(admin).post(
        "/provider/evidence",
        data={
            "kind": "insurance",
            "document": (io.BytesIO(PDF_BYTES), "a.pdf"),
            "expires_day": day,
            "expires_month": month,
            "expires_year": year,
        },
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert message in body and 'href="#expires_day"' in body
    assert _documents(provider) == []


@pytest.mark.parametrize("days", [0, -1, -400])
def test_expiry_date_must_be_in_the_future(login, admin, provider, uploads, days):
    body = upload(login(admin), expires=clock.today() + timedelta(days=days)).get_data(as_text=True)
    assert "The expiry date must be in the future" in body
    assert _documents(provider) == []


def test_missing_kind_or_file(login, admin, provider, uploads):
    client = login(admin)
    body = client.post(
        "/provider/evidence", data={"kind": "insurance"}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Choose a file to upload" in body
    body = upload(client, kind="passport").get_data(as_text=True)
    assert "Not a valid choice" in body


def test_new_upload_archives_the_previous_one(login, admin, provider, uploads):
    client = login(admin)
    upload(client, filename="old.pdf")
    upload(client, filename="new.pdf", data=PDF_BYTES + b"% v2\n")
    old, new = _documents(provider)
    assert old.archived_at is not None and new.archived_at is None
    current = qa.current_evidence(provider.id)
    assert current["insurance"].original_filename == "new.pdf"
    page = client.get("/provider/evidence").get_data(as_text=True)
    assert "Older documents (1)" in page and "old.pdf" in page


def test_only_one_current_document_per_kind_in_the_database(provider):
    add_evidence(provider, "insurance", _future())
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        add_evidence(provider, "insurance", _future())


def test_evidence_page_lists_kinds_and_what_is_required(login, admin, provider, uploads):
    page = login(admin).get("/provider/evidence").get_data(as_text=True)
    assert "Safeguarding policy" in page and "DBS checks policy" in page
    # The regulator's certificate, for a provider not registered with one:
    assert "Only if you are registered with a care regulator" in page
    assert 'enctype="multipart/form-data"' in page


def test_download_is_an_attachment_with_the_stored_bytes(make, login, admin, provider, uploads):
    document = add_evidence(provider, "insurance", _future(), upload_folder=uploads)
    for client in (
        login(admin),
        login(make.user(roles=["reviewer"])),
        login(make.user(roles=["admin"])),
    ):
        response = client.get(f"/provider/evidence/{document.id}/download")
        assert response.status_code == 200
        assert response.data == PDF_BYTES
        assert response.headers["Content-Type"] == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"insurance-{document.id}.pdf" in disposition
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()


@pytest.mark.parametrize("who", ["person", "carer", "supporter"])
def test_download_refused_to_other_roles(make, login, provider, uploads, who):
    document = add_evidence(provider, "insurance", _future(), upload_folder=uploads)
    response = login(make.user(roles=[who])).get(f"/provider/evidence/{document.id}/download")
    assert response.status_code == 403


def test_download_refused_to_admins_of_other_providers(make, login, provider, uploads):
    document = add_evidence(provider, "insurance", _future(), upload_folder=uploads)
    stranger = make.user(roles=["provider_admin"])
    make.provider(qa_status="approved", admin=stranger)
    response = login(stranger).get(f"/provider/evidence/{document.id}/download")
    assert response.status_code == 404


def test_download_needs_login(client, provider, uploads):
    document = add_evidence(provider, "insurance", _future(), upload_folder=uploads)
    response = client.get(f"/provider/evidence/{document.id}/download")
    assert response.status_code == 302 and "/login" in response.location


def test_missing_file_or_row_is_not_found(login, admin, provider, uploads):
    document = add_evidence(provider, "insurance", _future())  # no file written
    client = login(admin)
    assert client.get(f"/provider/evidence/{document.id}/download").status_code == 404
    assert client.get("/provider/evidence/999999/download").status_code == 404
