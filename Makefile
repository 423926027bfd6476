# Two commands matter (see README): `make demo` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := portal

# Debian packages: the Python toolchain, WeasyPrint's Pango, a Japanese font (IPAex: small,
# fast PDFs), HarfBuzz subsetting (without it WeasyPrint subsets CJK fonts in Python, seconds
# per page), poppler (pdftoppm/pdffonts), gettext (msgfmt), Node for the front-end assets and
# Chromium for the browser tests. npm is checked as a command: NodeSource's nodejs ships its own.
DEBIAN_PACKAGES := python3 python3-venv python3-dev build-essential libpango-1.0-0 libpangoft2-1.0-0 \
	fonts-ipaexfont fonts-ipamj-mincho libharfbuzz-subset0 poppler-utils gettext nodejs chromium

.PHONY: demo test test-midnight typecheck setup system python assets translations db serve serve-prod clean

demo: setup db serve            ## install everything, migrate, seed and start the portal

test: setup                     ## the whole test suite (unit, web, browser)
	$(BIN)/python -m pytest

# The suite again as if it started one minute after JST midnight on New Year's Day (31 Dec
# 15:00 UTC): no rule or test may depend on the hour CI happens to run at. Browser tests are
# left out (Chromium keeps the real time).
MIDNIGHT ?= 2026-12-31T15:00:30Z
test-midnight: setup            ## unit and web tests at a JST-midnight instant
	TEST_CLOCK=$(MIDNIGHT) $(BIN)/python -m pytest -m "not e2e"

# mypy on the core and the domain packages (settings in pyproject.toml); the web layer and the
# demo are read for their types only.
TYPED := portal/core portal/accounts portal/gifts portal/donations portal/shipping \
	portal/receipts portal/documents portal/support portal/statements portal/donors \
	portal/monthly portal/payments portal/incidents portal/crowdfunding portal/analytics \
	portal/erasure portal/oversight portal/handover

typecheck: python               ## the type checker on the core and domain packages
	$(BIN)/mypy $(TYPED)

setup: system python assets translations

system:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

python: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

assets: static/vendor/htmx.min.js
static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

translations: python
	$(BIN)/pybabel -q compile -d translations

db: setup
	$(BIN)/flask db upgrade
	STAFF_TOTP_REQUIRED=0 $(BIN)/flask seed-demo

# The demo signs staff in with password only (no authenticator app needed to look around);
# production keeps STAFF_TOTP_REQUIRED on (the default).
serve:
	@echo ""
	@echo "  Furusato Portal is running at http://127.0.0.1:5000/  (Ctrl+C to stop)"
	@echo ""
	JOBS_IMMEDIATE=1 STAFF_TOTP_REQUIRED=0 $(BIN)/flask run --host 127.0.0.1 --port 5000


# The production layout on this one machine: gunicorn with WEB_CONCURRENCY workers, a separate
# huey consumer, Redis for the job queue and the rate limits, PostgreSQL, TOTP required, secure
# cookies behind one trusted proxy (a TLS-terminating load balancer in production). Ctrl+C
# stops both processes. deploy/systemd/ and the Procfile start the same two processes.
PROD_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/portal
PROD_REDIS_URL ?= redis://127.0.0.1:6379/0
serve-prod: setup
	@createdb -h 127.0.0.1 -U postgres portal 2>/dev/null || true
	export DATABASE_URL="$(PROD_DATABASE_URL)" REDIS_URL="$(PROD_REDIS_URL)" \
	  STAFF_TOTP_REQUIRED=1 PRODUCTION=1 TRUSTED_PROXIES=1 SESSION_COOKIE_SECURE=1 \
	  WEB_CONCURRENCY=$${WEB_CONCURRENCY:-2} BIND=$${BIND:-127.0.0.1:8000}; \
	$(BIN)/flask --app portal db upgrade && \
	{ nice -n 10 $(BIN)/huey_consumer portal.worker.huey --workers 2 --worker-type thread & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  echo "  web: http://$$BIND/  jobs: huey consumer (pid $$worker)  health: http://$$BIND/healthz"; \
	  $(BIN)/gunicorn -c gunicorn.conf.py "portal:create_app()"; }

clean:
	rm -rf $(VENV) node_modules static/vendor instance
