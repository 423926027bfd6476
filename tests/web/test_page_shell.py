"""What every page carries: the favicon, and an htmx settle step the CSP allows."""

import json
import re

from portal.core.roles import Role


def test_favicon_is_served_and_linked(client) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/login").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert link
    with client.get(link.group(1)) as linked:
        assert linked.status_code == 200


def test_htmx_settle_step_applies_no_inline_style(client, make_user, login) -> None:
    # htmx settles "style" by default, and the CSP (style-src 'self') refuses inline styles:
    # a console error on every swap and every chat poll.
    login(make_user(Role.OPERATOR))
    page = client.get("/staff/").get_data(as_text=True)
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert meta
    settle = json.loads(meta.group(1))["attributesToSettle"]
    assert "style" not in settle and "class" in settle
