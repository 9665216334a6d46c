"""一房一价: price lists as sales offices send them, in and out.

- `reading`: open .xlsx / .xls / .csv (UTF-8 or GBK), bounded, and find the table under its title rows;
- `cells`: read one value as people write it (5#楼, 5幢2单元1201, ¥2,860,000.00, 286.5万, full-width digits);
- `planning`: check every row against the project and work out what would change (reads only);
- `drafts`: upload → preview → confirm (one transaction, a new price-list version) or discard;
- `export`: the price list in force, in the layout the import reads back unchanged.
"""

from yunlou.catalogue.services.price_list.cells import MAX_PRICE_FEN, Layout
from yunlou.catalogue.services.price_list.drafts import price_list_confirm, price_list_discard, price_list_upload
from yunlou.catalogue.services.price_list.export import ExportedWorkbook, price_list_export
from yunlou.catalogue.services.price_list.reading import MAX_FILE_BYTES, MAX_ROWS

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PRICE_FEN",
    "MAX_ROWS",
    "ExportedWorkbook",
    "Layout",
    "price_list_confirm",
    "price_list_discard",
    "price_list_export",
    "price_list_upload",
]
