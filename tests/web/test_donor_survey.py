"""Donor satisfaction survey (#7): after a resolved conversation staff may send it; the donor
answers from the mail without signing in, once."""

from __future__ import annotations

import re

from portal.core.roles import Role
from portal.support.models import Conversation
from tests.web.test_donor_support import donor_client, open_conversation  # noqa: F401


def test_resolved_donor_conversation_gets_the_survey_and_the_answer_is_stored(
    app,
    client,
    session,
    login,
    make_user,
    donor_client,  # noqa: F811
    mailbox,
):
    conv_id = open_conversation(donor_client)
    login(make_user(Role.OPERATOR))
    assert client.post(f"/support/{conv_id}/survey").status_code == 409  # not resolved yet
    client.post(f"/support/{conv_id}/status", data={"to": "closed"})
    assert mailbox.messages == []  # resolving never sends it by itself
    assert client.post(f"/support/{conv_id}/survey").status_code == 303

    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["To"] == "hanako@example.jp"
    assert "アンケート" in mailbox.messages[0]["Subject"]
    link = re.search(r"https?://\S+/donor/survey/(\S+)", mailbox.body())
    assert link, mailbox.body()
    path = "/donor/survey/" + link.group(1)

    stranger = app.test_client()  # no donor session: the link itself is enough
    page = stranger.get(path)
    assert page.status_code == 200
    assert "受領証明書について" in page.get_data(as_text=True)
    assert session.get(Conversation, conv_id).satisfaction is None  # opening answers nothing

    bad = stranger.post(path, data={"score": "9"})
    assert bad.status_code == 422
    assert "1から5で選んでください。" in bad.get_data(as_text=True)

    done = stranger.post(path, data={"score": "5"})
    assert done.status_code == 200
    assert "ご回答ありがとうございました。" in done.get_data(as_text=True)
    assert session.get(Conversation, conv_id).satisfaction == 5

    # Once only: the link is used up, a second answer changes nothing.
    assert stranger.post(path, data={"score": "1"}).status_code == 410
    assert session.get(Conversation, conv_id).satisfaction == 5
    assert stranger.get("/donor/survey/not-a-token").status_code == 410
