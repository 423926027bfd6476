"""The ceiling for bench/load.py: a bare Flask hello-world, served by the same gunicorn.conf.py
(same workers, threads, keep-alive, access log) and driven by the same client threads.

    .venv/bin/gunicorn -c gunicorn.conf.py bench.hello_app:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
