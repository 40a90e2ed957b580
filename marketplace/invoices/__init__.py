"""Provider invoices: raised in the provider area (/provider/invoices), answered and paid
by the person's side (/invoices/<id>, linked from the budget page)."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("invoices", __name__, url_prefix="/invoices")
provider_bp = Blueprint("provider_invoices", __name__, url_prefix="/provider")
authz.nav_link("provider_invoices.index", "Invoices", "provider_area.use")


@bp.app_template_global("invoices_of")
def invoices_of(budget):
    """A budget's invoices, for the budget page (those waiting for someone first)."""
    from marketplace.invoices.services import budget_invoices

    return budget_invoices(budget)


@bp.app_template_global("invoice_status")
def invoice_status(invoice):
    from marketplace.invoices.services import status_label

    return status_label(invoice)


from marketplace.invoices import views  # noqa: E402,F401
