"""Registration numbers: which ones each legal form needs, and their formats."""

from __future__ import annotations

import re

from marketplace.models.providers import normalise_number

# At least one of these numbers is needed for each legal form.
REGISTRATION_RULES: dict[str, tuple[str, ...]] = {
    "cooperative_society": ("fca_number",),
    "community_benefit_society": ("fca_number",),
    "cic": ("companies_house_number",),
    "charity": ("charity_number", "fca_number", "companies_house_number"),
    "worker_coop": ("fca_number", "companies_house_number"),
    "multi_stakeholder_coop": ("fca_number", "companies_house_number"),
    "employee_owned": ("companies_house_number", "fca_number"),
    "self_employed_pa": (),
}
REGISTRATION_FIELDS = {
    "fca_number": "FCA register number",
    "companies_house_number": "Companies House number",
    "charity_number": "charity number",
}
# England and Wales (6 or 7 digits, maybe "-1" for a linked charity), Scotland (SC012345),
# Northern Ireland (NIC100002 or 100002).
CHARITY_NUMBER = re.compile(r"^(\d{6,7}(-\d{1,2})?|SC\d{6}|NIC\d{6})$")

_EXAMPLES = {
    "fca_number": "like 31234R or IP12345R",
    "companies_house_number": "8 characters, like 01234567 or SC123456",
    "charity_number": "like 1234567 or SC012345",
}


def normalise_registration(attribute: str, value: str | None) -> str | None:
    """A registration number as stored (None if blank); ValueError if not in its format."""
    if attribute == "charity_number":
        if not value or not value.strip():
            return None
        cleaned = re.sub(r"\s+", "", value).upper()
        if not CHARITY_NUMBER.match(cleaned):
            raise ValueError("Charity number is not in the right format")
        return cleaned
    return normalise_number(attribute, (value or "").strip() or None)


def registration_errors(legal_form: str | None, values: dict[str, str | None]) -> dict[str, str]:
    """Field -> error for registration numbers: format first, then what the form needs."""
    errors: dict[str, str] = {}
    for attribute in REGISTRATION_FIELDS:
        try:
            normalise_registration(attribute, values.get(attribute))
        except ValueError as error:
            errors[attribute] = f"{error}: it should look {_EXAMPLES[attribute]}"
    needed = REGISTRATION_RULES.get(legal_form or "", ())
    if needed and not errors and not any((values.get(a) or "").strip() for a in needed):
        if len(needed) == 1:
            errors[needed[0]] = f"Enter your {REGISTRATION_FIELDS[needed[0]]}"
        else:
            names = " or ".join(REGISTRATION_FIELDS[a] for a in needed)
            errors[needed[0]] = f"Enter your {names}"
    return errors
