from django.db.models import Max, Min, Sum

from yunlou.catalogue.models import Project, Unit


def project_refresh_price_range(*, project: Project) -> Project:
    """Recompute the advertised price range and average price per m² from the units' list prices."""
    figures = Unit.objects.filter(building__project=project, list_price__gt=0).aggregate(
        low=Min("list_price"), high=Max("list_price"), total=Sum("list_price"), area=Sum("area")
    )
    project.price_min = figures["low"]
    project.price_max = figures["high"]
    project.average_unit_price = (
        Unit.price_per_sqm(figures["total"], figures["area"]) if figures["total"] and figures["area"] else None
    )
    project.save(update_fields=["price_min", "price_max", "average_unit_price", "updated_at"])
    return project
