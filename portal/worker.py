"""The job worker's entry point: `huey_consumer portal.worker.huey`.

Builds the app from the environment (so the broker is the one the web processes use) and
registers every task under its name. The modules below define tasks.
"""

from __future__ import annotations

from portal import create_app
from portal.analytics import snapshot as analytics_snapshot  # noqa: F401  (scheduled)
from portal.core import jobs
from portal.donations import import_jobs  # noqa: F401  (tasks)
from portal.donations import snapshot as figure_snapshot  # noqa: F401  (scheduled)
from portal.donors import (
    access,  # noqa: F401  (tasks)
    notify,  # noqa: F401  (tasks, scheduled)
)
from portal.handover import jobs as handover_jobs  # noqa: F401  (tasks)
from portal.incidents import service as incidents  # noqa: F401  (tasks)
from portal.oversight import snapshot as oversight_snapshot  # noqa: F401  (scheduled)
from portal.receipts import batches  # noqa: F401  (tasks)
from portal.statements import jobs as statement_jobs  # noqa: F401  (scheduled)

app = create_app()
huey = jobs.register_all(app)
