"""Cost of one chat poll with no news (204, empty body) vs one with news, through the WSGI app.

Run: DATABASE_URL=sqlite:////tmp/x.sqlite3 .venv/bin/python bench/support_poll.py
(after `flask db upgrade heads && flask seed-demo`). Prints milliseconds per request.
"""

from __future__ import annotations

import os
import time

import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import User
from portal.extensions import db
from portal.support.models import Conversation

app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
with app.app_context():
    user = db.session.scalar(sa.select(User).where(User.email == "supplier@demo.example"))
    conv = db.session.scalar(
        sa.select(Conversation).where(Conversation.supplier_id == user.supplier_id)
    )
    version = f"{conv.last_public_message_id}.{conv.staff_read_upto}"
    conv_id = conv.id
client = app.test_client()
client.post(
    "/login",
    data={
        "email": "supplier@demo.example",
        "password": os.environ.get("DEMO_PASSWORD", "demo-password"),
    },
)
N = 500
for label, v in (("no news (204)", version), ("news (200 + fragment)", "0.0")):
    t0 = time.perf_counter()
    for _ in range(N):
        r = client.get(f"/supplier/support/{conv_id}/poll?v={v}", headers={"HX-Request": "true"})
    ms = (time.perf_counter() - t0) * 1000 / N
    print(f"{label}: {ms:.2f} ms/request, status {r.status_code}, body {len(r.data)} bytes")
