"""The price list in force as a workbook: a title row, then the header the import reads, so that an export
uploaded again changes nothing. Every export is audited (DESIGN: reveals, exports and changes are logged), and
written through `ExportWorkbook`, so no name or note starts a formula."""

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import EXPORT_PRICE_LIST
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import Unit
from yunlou.catalogue.services.price_list.drafts import staff_project
from yunlou.catalogue.services.price_list.reading import LABELS
from yunlou.catalogue.services.price_versions import price_list_version_current
from yunlou.core.audit import audit_record
from yunlou.core.money import fen_to_yuan
from yunlou.core.spreadsheets import ExportWorkbook

EXPORT_COLUMNS = ["building", "entrance", "code", "floor", "floor_plan", "area", "net_area", "unit_price",
                  "total_price", "status", "note"]
WIDTHS = [10, 6, 14, 6, 12, 13, 13, 13, 16, 8, 24]


@dataclass(frozen=True)
class ExportedWorkbook:
    filename: str
    content: bytes


@transaction.atomic
def price_list_export(*, staff: Staff, project_id: int, building_id: int | None = None,
                      request: HttpRequest | None = None) -> ExportedWorkbook:
    project = staff_project(staff, project_id, EXPORT_PRICE_LIST)
    units = (
        Unit.objects.filter(building__project=project)
        .select_related("building", "floor_plan")
        .order_by("building__sort_order", "building_id", "entrance", "floor", "position")
    )
    if building_id is not None:
        units = units.filter(building_id=building_id)
    version = price_list_version_current(project=project)
    today = timezone.localdate()

    workbook = ExportWorkbook()
    sheet = workbook.sheet("一房一价")
    sheet.widths(WIDTHS)
    sheet.append([_("%(project)s price list V%(version)s (%(date)s)")
                  % {"project": project.name, "version": version, "date": f"{today:%Y-%m-%d}"}], bold=True, size=14)
    sheet.append([LABELS[key] for key in EXPORT_COLUMNS])
    for unit in units:
        sheet.append([
            str(unit.building), unit.entrance, unit.code, unit.floor,
            unit.floor_plan.name if unit.floor_plan else "", unit.area, unit.net_area,
            fen_to_yuan(unit.unit_price), fen_to_yuan(unit.list_price), unit.get_status_display(), unit.note,
        ])
    audit_record(action="price_list.export", target=project, actor=staff.user, project=project,
                 changes={"building": building_id, "version": version} if building_id else {"version": version},
                 request=request)
    filename = f"{project.name}-一房一价-V{version}-{today:%Y%m%d}.xlsx"
    return ExportedWorkbook(filename=filename, content=workbook.content())
