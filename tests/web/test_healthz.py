"""/healthz tells a load balancer whether this web process can serve: the database, Redis
where the portal uses it, and how many jobs wait in the queue."""

from __future__ import annotations

import pytest

from portal.core import jobs
from tests.conftest import free_port, port_answers


def test_health_reports_database_and_an_empty_queue(app, client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "JOBS_URL", "")  # jobs run in memory in tests
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["queue"] == "ok" and response.json["queue_depth"] == 0
    assert response.json["redis"] == "not used"


def test_redis_down_takes_the_process_out_of_rotation(app, client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"] == "unavailable" and response.json["status"] == "error"
    assert response.json["database"] == "ok"


@pytest.mark.skipif(not port_answers(6379), reason="no Redis on 127.0.0.1:6379")
def test_queue_depth_counts_jobs_waiting_in_redis(app, client, monkeypatch) -> None:
    url = "redis://127.0.0.1:6379/13"
    huey = jobs.build_huey({"JOBS_URL": url})
    huey.flush()
    monkeypatch.setitem(app.config, "JOBS_URL", url)
    monkeypatch.setitem(app.extensions, "huey", huey)

    @huey.task(name="healthz_probe")
    def probe() -> None:  # never run: no consumer listens on this database
        pass

    try:
        probe()
        probe()
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json["redis"] == "ok"
        assert response.json["queue_depth"] == 2
    finally:
        huey.flush()
