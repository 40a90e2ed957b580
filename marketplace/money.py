"""Money is integer pence, GBP, everywhere: one parser for what people type, one formatter.

(The pure matching core has its own tiny formatter in matching/wording.py because it may
not import marketplace; it agrees with this one for the rates it shows.)
"""

from __future__ import annotations

import re
from decimal import Decimal

_AMOUNT = re.compile(r"\d+(\.\d{1,2})?")


def parse_pounds(
    text: str | None,
    *,
    what: str = "amount",
    maximum_pence: int | None = None,
    blank_message: str | None = None,
) -> int | None:
    """What a person typed ('£21.50', '21.5', ' 1,000 ') -> pence (2150, 2150, 100000).

    Blank is None when ``blank_message`` is None (an optional amount), otherwise a
    ValueError with that message. Anything else that is not a positive amount of pounds
    and pence, at most ``maximum_pence``, raises ValueError with a message for the person
    naming ``what`` ("hourly rate").
    """
    cleaned = (text or "").strip().replace(",", "")
    cleaned = re.sub(r"^£\s*", "", cleaned)
    if not cleaned:
        if blank_message is not None:
            raise ValueError(blank_message)
        return None
    if cleaned.startswith("-"):
        raise ValueError(f"The {what} cannot be less than £0")
    if not _AMOUNT.fullmatch(cleaned):
        raise ValueError(f"Enter the {what} in pounds and pence, like £21.50")
    pence = int(Decimal(cleaned) * 100)
    if pence <= 0:
        raise ValueError(f"The {what} must be more than £0")
    if maximum_pence is not None and pence > maximum_pence:
        raise ValueError(f"The {what} must be {format_pence(maximum_pence, short=True)} or less")
    return pence


def format_pence(
    pence: int | None, *, for_input: bool = False, short: bool = False, missing: str = "not given"
) -> str:
    """Integer pence for people: 185000 -> '£1,850.00'; -250 -> '-£2.50'; None -> ``missing``.

    ``for_input`` gives what goes back into a form field ('1850.00', '' for None);
    ``short`` drops '.00' from whole pounds ('£500'), as in messages.
    """
    if pence is None:
        return "" if for_input else missing
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    if for_input:
        return f"{sign}{pounds}.{rest:02d}"
    if short and rest == 0:
        return f"{sign}£{pounds:,}"
    return f"{sign}£{pounds:,}.{rest:02d}"
