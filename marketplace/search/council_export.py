"""/councils/<code>/providers.csv: the council's listed providers as a spreadsheet, for
preferred-provider lists and direct-payment support services that take files, not APIs."""

from __future__ import annotations

import csv
import io
from typing import Any

from marketplace import directory, geo, links
from marketplace.models import Carer, Provider
from marketplace.openreferral.services import stable_id
from marketplace.vocabulary import label

COLUMNS = (
    "Name",
    "Type of organisation",
    "FCA Mutuals Register number",
    "Companies House number",
    "Charity number",
    "Care regulator",
    "Regulator registration number",
    "Regulator rating",
    "Quality assured since",
    "Based in",
    "Care council where registered",
    "Postcode districts covered in this council",
    "Service radius (km)",
    "Help offered",
    "Languages",
    "Listed carers",
    "Typical hourly rate (GBP)",
    "Email",
    "Phone",
    "Website",
    "CoopCare page",
    "Open Referral service id",
)
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (CSV injection): such values are sent with a leading apostrophe, which shows as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(provider: Provider, carers: list[Carer], council_code: str) -> list[str]:
    area = next(
        (a for a in directory.covered_councils(provider) if a.council.code == council_code), None
    )
    registered = ""
    if provider.care_council_code:
        try:
            registered = geo.care_council(provider.care_council_code).name
        except KeyError:
            registered = provider.care_council_code
    found = directory.registration(provider)
    approved = (
        directory.as_utc(provider.approved_at).date().isoformat() if provider.approved_at else ""
    )
    rate = ""
    if provider.hourly_rate_pence is not None:
        pounds, pence = divmod(provider.hourly_rate_pence, 100)
        rate = f"{pounds}.{pence:02d}"
    values = [
        provider.name,
        provider.legal_form_label,
        provider.fca_number,
        provider.companies_house_number,
        provider.charity_number,
        found.regulator if found else "",
        found.number if found else "",
        found.rating if found and found.rating else "",
        approved,
        provider.district,
        registered,
        " ".join(area.districts) if area else "",
        f"{provider.service_radius_km:g}" if provider.service_radius_km else "",
        "; ".join(label("skill", s) for s in provider.skills or []),
        "; ".join(label("language", code) for code in provider.languages or []),
        len(carers),
        rate,
        provider.contact_email,
        provider.contact_phone,
        provider.website,
        links.absolute(f"/providers/{provider.id}"),
        stable_id("service", provider.id),
    ]
    return [_cell(v) for v in values]


def council_csv(code: str, providers: list[Provider]) -> str:
    """The CSV text (UTF-8 with a byte order mark, so Excel shows £ and accents)."""
    carers = directory.listed_carers_by_provider([p.id for p in providers])
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for provider in providers:
        writer.writerow(_row(provider, carers[provider.id], code))
    return out.getvalue()
