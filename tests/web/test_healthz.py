"""/healthz tells a load balancer whether this web process can serve: the database, Redis
where the portal uses it, and how many jobs wait in the queue."""

from __future__ import annotations

import socket

import pytest

from portal.core import jobs


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_reports_database_and_an_empty_queue(app, client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "JOBS_URL", "")  # jobs run in memory in tests
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["queue"] == "ok" and response.json["queue_depth"] == 0
    assert response.json["redis"] == "not used"


def test_redis_down_takes_the_process_out_of_rotation(app, client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{_free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"] == "unavailable" and response.json["status"] == "error"
    assert response.json["database"] == "ok"


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
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
