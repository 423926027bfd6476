"""Portal CSV importers: one generic engine, one declarative mapping file per portal."""

from portal.donations.importers.engine import (  # noqa: F401
    PORTALS,
    ImportResult,
    import_file,
    load_mapping,
    rejected_csv,
)
