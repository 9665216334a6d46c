from django.db.models import Max, Min, Sum

from yunlou.catalogue.models import ON_SALE_STATUSES, Project, Unit


def project_refresh_price_range(*, project: Project) -> Project:
    """Recompute the advertised price range and average price per m² from the units on sale.

    Units held back from sale (销控), and units of buildings without a presale permit, do not count: buyers
    must not see prices of units nobody can buy.
    With no unit on sale yet (a project before its launch) the range the developer entered stays.
    """
    figures = Unit.objects.filter(building__project=project, status__in=ON_SALE_STATUSES, list_price__gt=0,
                                  building__presale_permit__isnull=False).aggregate(
        low=Min("list_price"), high=Max("list_price"), total=Sum("list_price"), area=Sum("area")
    )
    if figures["low"] is None:
        return project
    project.price_min = figures["low"]
    project.price_max = figures["high"]
    project.average_unit_price = Unit.price_per_sqm(figures["total"], figures["area"])
    project.save(update_fields=["price_min", "price_max", "average_unit_price", "updated_at"])
    return project
