"""The UK's four care regulators, and the public registers a reviewer checks numbers on.

Which regulator a provider answers to follows the nation of its service address:
the Care Quality Commission in England, the Care Inspectorate in Scotland, Care
Inspectorate Wales, and the Regulation and Quality Improvement Authority in Northern
Ireland. Each has its own registration number, its own rating words (RQIA gives no
rating at all) and its own background check scheme for staff.

Nothing here checks a number against a register: CoopCare has no feed from any of
them. :func:`register_links` gives the reviewer the page where a person checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from marketplace.choices import (
    CareInspectorateGrade,
    CIWRating,
    CQCRating,
    Nation,
    RQIAInspection,
)

if TYPE_CHECKING:
    from marketplace.models import Provider


@dataclass(frozen=True)
class Regulator:
    code: str
    name: str  # "Care Quality Commission"
    short_name: str  # "CQC"
    nation: Nation
    number_label: str  # what the regulator calls the number we ask for
    number_pattern: re.Pattern[str]
    number_example: str
    number_hint: str
    ratings: dict[str, str]  # stored value -> label, "not yet rated" included
    rating_name: str  # "CQC rating"
    rating_question: str
    rating_hint: str
    who_must_register: str
    checks_scheme: str  # the staff background check used in this nation
    register_name: str
    register_url: str  # the search page of the public register
    number_url: str | None = None  # a page for one number, when the register has one

    def number_problem(self, number: str | None) -> str | None:
        """Why a registration number is not in this regulator's format, or None."""
        if not number:
            return f"Enter your {self.number_label}, like {self.number_example}"
        if not self.number_pattern.match(number):
            return f"Enter your {self.number_label} in the right format: {self.number_hint}"
        return None

    def rating_label(self, rating: str | None) -> str | None:
        return self.ratings.get(rating or "")


REGULATORS: dict[str, Regulator] = {
    regulator.code: regulator
    for regulator in (
        Regulator(
            code="cqc",
            name="Care Quality Commission",
            short_name="CQC",
            nation=Nation.ENGLAND,
            number_label="CQC location ID",
            number_pattern=re.compile(r"^1-\d{9,11}$"),
            number_example="1-1234567890",
            number_hint="it starts with 1- and then has 9 to 11 digits, like 1-1234567890",
            ratings=CQCRating.labels(),
            rating_name="CQC rating",
            rating_question="Your latest CQC rating",
            rating_hint="The overall rating on your CQC page. Choose not yet rated if CQC "
            "has not inspected you since you registered.",
            who_must_register="Providers of personal care in England must register with "
            "the Care Quality Commission (CQC).",
            checks_scheme="DBS",
            register_name="the CQC website",
            register_url="https://www.cqc.org.uk/search/services",
            number_url="https://www.cqc.org.uk/location/{number}",
        ),
        Regulator(
            code="care_inspectorate",
            name="Care Inspectorate",
            short_name="Care Inspectorate",
            nation=Nation.SCOTLAND,
            number_label="Care Inspectorate care service number",
            number_pattern=re.compile(r"^CS\d{10}$"),
            number_example="CS2003001025",
            number_hint="it starts with CS and then has 10 digits, like CS2003001025",
            ratings=CareInspectorateGrade.labels(),
            rating_name="Care Inspectorate grade",
            rating_question="Your lowest grade in your latest Care Inspectorate inspection",
            rating_hint="The Care Inspectorate grades each key question from 6 (excellent) "
            "to 1 (unsatisfactory). Choose the lowest one, or not yet graded.",
            who_must_register="Support services in Scotland, including care at home, must "
            "register with the Care Inspectorate.",
            checks_scheme="PVG",
            register_name="the Care Inspectorate's register of care services",
            register_url="https://www.careinspectorate.com/index.php/care-services",
        ),
        Regulator(
            code="ciw",
            name="Care Inspectorate Wales",
            short_name="CIW",
            nation=Nation.WALES,
            number_label="CIW service ID",
            number_pattern=re.compile(r"^SIN-\d{8}-[A-Z]{4}$"),
            number_example="SIN-00009093-CGLK",
            number_hint="it looks like SIN-00009093-CGLK: SIN, 8 digits and 4 letters",
            ratings=CIWRating.labels(),
            rating_name="CIW rating",
            rating_question="Your latest CIW rating",
            rating_hint="The lowest rating in your latest CIW inspection report. Choose not "
            "yet rated if CIW has not rated you.",
            who_must_register="Domiciliary support services in Wales must register with "
            "Care Inspectorate Wales (CIW).",
            checks_scheme="DBS",
            register_name="Care Inspectorate Wales's directory of services",
            register_url="https://digital.careinspectorate.wales/directory",
        ),
        Regulator(
            code="rqia",
            name="Regulation and Quality Improvement Authority",
            short_name="RQIA",
            nation=Nation.NORTHERN_IRELAND,
            number_label="RQIA service ID",
            number_pattern=re.compile(r"^\d{4,6}$"),
            number_example="11081",
            number_hint="the 4 to 6 digit service ID on your RQIA registration certificate, "
            "like 11081",
            ratings=RQIAInspection.labels(),
            rating_name="RQIA inspection",
            rating_question="Has RQIA inspected your service?",
            rating_hint="RQIA does not give ratings. It publishes an inspection report.",
            who_must_register="Domiciliary care agencies in Northern Ireland must register "
            "with the Regulation and Quality Improvement Authority (RQIA).",
            checks_scheme="AccessNI",
            register_name="RQIA's service search",
            register_url="https://www.rqia.org.uk/inspections/",
        ),
    )
}
REGULATOR_CODES = tuple(REGULATORS)
BY_NATION = {regulator.nation: regulator for regulator in REGULATORS.values()}
# The first letter of a GSS area code (care councils) names the nation.
_NATION_BY_CODE_LETTER = {"E": Nation.ENGLAND, "S": Nation.SCOTLAND, "W": Nation.WALES}
_NATION_BY_COUNTRY = {
    "E": Nation.ENGLAND,
    "S": Nation.SCOTLAND,
    "W": Nation.WALES,
    "N": Nation.NORTHERN_IRELAND,
}


def nation_of(postcode: str | None, care_council_code: str | None = None) -> Nation | None:
    """The nation a postcode (or postcode district) is in, from the shipped postcode data.

    Northern Ireland postcodes have no care council in the data, so the postcode comes
    first; the council code is the fall-back. None when neither says.
    """
    from marketplace import geo

    if postcode:
        try:
            country = geo.lookup(postcode).country
        except geo.GeoError:
            country = None
        if country in _NATION_BY_COUNTRY:
            return _NATION_BY_COUNTRY[country]
    if care_council_code:
        return _NATION_BY_CODE_LETTER.get(care_council_code[:1])
    return None


def regulator_for(provider: Provider) -> Regulator | None:
    """The regulator for the nation of the provider's service address (None: not known yet)."""
    nation = nation_of(provider.postcode or provider.district, provider.care_council_code)
    return BY_NATION.get(nation) if nation else None


def get(code: str | None) -> Regulator | None:
    return REGULATORS.get(code or "")


def public_summary(provider: Provider) -> dict[str, str]:
    """The provider page's line about its care regulator: {"title", "text"}."""
    regulator = get(provider.regulator) if provider.regulated else regulator_for(provider)
    if regulator is None:
        return {"title": "Care regulator", "text": "Not given"}
    title = f"{regulator.name} ({regulator.short_name})"
    if regulator.short_name == regulator.name:
        title = regulator.name
    if not provider.regulated or not provider.regulator_number:
        return {"title": title, "text": f"Not registered with the {regulator.name}"}
    text = f"{regulator.number_label} {provider.regulator_number}"
    rating = regulator.rating_label(provider.regulator_rating)
    if rating:
        text += f", {regulator.rating_name}: {rating}"
    return {"title": title, "text": text}


# ---------------------------------------------------------------------------
# Public registers, for a person to check a number on
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterLink:
    what: str  # "Companies House number 01234567"
    register: str  # "Companies House"
    url: str
    how: str  # what the person does there, in a sentence


COMPANIES_HOUSE_URL = "https://find-and-update.company-information.service.gov.uk/company/{number}"
FCA_MUTUALS_URL = "https://mutuals.fca.org.uk/"
CHARITY_REGISTERS = {
    # England and Wales: the Charity Commission
    "england_wales": (
        "the Charity Commission's register of charities",
        "https://register-of-charities.charitycommission.gov.uk/charity-search/-/charity-details/{number}",
    ),
    "scotland": (
        "the Scottish Charity Register (OSCR)",
        "https://www.oscr.org.uk/about-charities/search-the-register/charity-details?number={number}",
    ),
    "northern_ireland": (
        "the Charity Commission for Northern Ireland's register",
        "https://www.charitycommissionni.org.uk/charity-details/?regid={number}&subid=0",
    ),
}


def charity_register(number: str) -> tuple[str, str]:
    """(register name, page) for a charity number: SC… is Scotland, NIC… Northern Ireland."""
    if number.startswith("SC"):
        name, url = CHARITY_REGISTERS["scotland"]
        return name, url.format(number=quote(number))
    if number.startswith("NIC") or (number.isdigit() and len(number) == 6 and number[0] == "1"):
        # Northern Ireland numbers are NIC100002 or the bare 100002 (6 digits from 100000).
        name, url = CHARITY_REGISTERS["northern_ireland"]
        return name, url.format(number=quote(number.removeprefix("NIC")))
    name, url = CHARITY_REGISTERS["england_wales"]
    return name, url.format(number=quote(number.split("-", 1)[0]))


def register_links(provider: Provider) -> list[RegisterLink]:
    """One link per number the provider gave, to the public register that holds it."""
    links: list[RegisterLink] = []
    if provider.companies_house_number:
        number = provider.companies_house_number
        links.append(
            RegisterLink(
                f"Companies House number {number}",
                "Companies House",
                COMPANIES_HOUSE_URL.format(number=quote(number)),
                "Check the company name matches, its status is active and it is the "
                "legal form they gave.",
            )
        )
    if provider.fca_number:
        links.append(
            RegisterLink(
                f"FCA register number {provider.fca_number}",
                "the FCA Mutuals Public Register",
                FCA_MUTUALS_URL,
                f"Search for {provider.fca_number}. Check the society's name matches and "
                "its status is registered.",
            )
        )
    if provider.charity_number:
        register, url = charity_register(provider.charity_number)
        links.append(
            RegisterLink(
                f"Charity number {provider.charity_number}",
                register,
                url,
                "Check the charity's name matches and it is still registered.",
            )
        )
    regulator = get(provider.regulator)
    if provider.regulated and regulator and provider.regulator_number:
        number = provider.regulator_number
        url = (
            regulator.number_url.format(number=quote(number))
            if regulator.number_url
            else regulator.register_url
        )
        how = "Check the name, address and the rating they gave match."
        if not regulator.number_url:
            how = f"Search for {number}. " + how
        if regulator.code == "rqia":
            how = (
                f"Search for {number}. Check the name and address match and read the latest report."
            )
        links.append(
            RegisterLink(f"{regulator.number_label} {number}", regulator.register_name, url, how)
        )
    return links
