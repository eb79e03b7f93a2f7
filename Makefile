# techalign on a Debian machine with Python 3.11, as root, without a virtualenv.
#
#   make run    install what is missing, set up a local SQLite database with demo data, and
#               serve it on http://127.0.0.1:8000/
#   make test   lint, then the test suite on SQLite and on a throwaway PostgreSQL 15
#   make bench  the benchmark suite at S=1 (BENCH_SCALE) on SQLite and PostgreSQL; not in make test
#   make bench-quick  S=0.1 on SQLite, the parts that fit in 3 minutes, one summary table

PYTHON ?= python3
# slapd, ldap-utils: the directory of the LDAP sign-in tests; libldap2-dev, libsasl2-dev: to
# build python-ldap (no wheel on PyPI); nodejs: the OpenID provider of the sign-in tests;
# haproxy: the load balancer of the multi-node test.
APT_PACKAGES := gettext chromium fonts-noto-cjk postgresql-15 slapd ldap-utils libldap2-dev \
	libsasl2-dev nodejs haproxy
BIND ?= 127.0.0.1:8000
# Each xdist worker gets its own test database.
PYTEST := $(PYTHON) -m pytest -n 2 --dist worksteal
# pytest exits 5 when it collected no test: say so rather than leave a bare "Error 5".
NO_TESTS = { rc=$$?; [ $$rc -ne 5 ] || echo "pytest collected no tests: failing" >&2; exit $$rc; }

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_ROOT_USER_ACTION := ignore
# The packages go into the machine's Python on purpose (no virtualenv), also where Debian marks
# that Python as externally managed.
export PIP_BREAK_SYSTEM_PACKAGES := 1

.PHONY: install run test lint fmt bench bench-quick

install:
	@# A removed package whose configuration files remain is known to dpkg, but not installed.
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	    dpkg -s $$package 2>/dev/null | grep -q '^Status: install ok installed' \
	        || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	$(PYTHON) -m pip install -q -r requirements.lock
	@# npm's oidc-provider for the sign-in tests, at the versions of its lock file. Some node
	@# builds ship npm inside the nodejs package; Debian's own has it apart.
	@if [ ! -d tests/sso/provider/node_modules ]; then \
	    command -v npm >/dev/null || { apt-get update && \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm; }; \
	    cd tests/sso/provider && npm ci --no-audit --no-fund; \
	fi
	$(PYTHON) -m pip install -q --no-deps -e .
	@# The .mo files are built here, not kept in git; only ours, not those of anything under var/
	@# or bench/results/.
	@if [ -d techalign/locale ]; then cd techalign && techalign compilemessages -v 0; fi

# Generated once and kept, so sessions survive a restart of `make run`.
var/secret_key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# Plain http on 127.0.0.1: cookies cannot be marked secure there.
RUN_ENV = SECRET_KEY="$$(cat var/secret_key)" SESSION_COOKIE_SECURE=0

run: install var/secret_key
	$(RUN_ENV) techalign migrate --noinput -v 1
	$(RUN_ENV) techalign collectstatic --noinput -v 0
	$(RUN_ENV) techalign demo
	@# The worker sends notifications and fetches calendars beside the web server; it is
	@# started again whenever it exits, and stops with the server.
	$(RUN_ENV) scripts/keep-running techalign worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) techalign serve --bind $(BIND)

test: install lint
	@echo "== tests on SQLite"
	$(PYTEST) || $(NO_TESTS)
	@echo "== tests on PostgreSQL 15"
	scripts/with-postgres $(PYTEST) || $(NO_TESTS)

lint:
	ruff check .
	ruff format --check .
	@# Strict on the domain apps, normal elsewhere (pyproject.toml [tool.mypy]).
	$(PYTHON) -m mypy techalign

fmt:
	ruff check --fix .
	ruff format .

# The SQLite file is kept between runs (seeding S=1 takes minutes); PostgreSQL is seeded afresh.
BENCH_SCALE ?= 1
BENCH_DB := $(CURDIR)/bench/results/db/bench-S$(BENCH_SCALE).sqlite3
bench: export SECRET_KEY = $(shell cat var/secret_key)
bench: install var/secret_key
	@mkdir -p bench/results/db
	@echo "== bench on SQLite"
	DATABASE_URL=sqlite:///$(BENCH_DB) $(PYTHON) -m techalign.cli bench run --scale $(BENCH_SCALE)
	@echo "== bench on PostgreSQL 15"
	scripts/with-postgres $(PYTHON) -m techalign.cli bench run --scale $(BENCH_SCALE)

# Before submitting a change: S=0.1 on SQLite only (the database is kept between runs, seeded
# in about 15 s the first time), every part but the locust throughput runs and the doorstop /
# StrictDoc comparison (minutes each); prints each figure beside its target and the ratio.
QUICK_SCALE := 0.1
QUICK_PARTS := seed,api,pages,coverage,lint,slots
QUICK_DB := $(CURDIR)/bench/results/db/bench-S$(QUICK_SCALE).sqlite3
bench-quick: export SECRET_KEY = $(shell cat var/secret_key)
bench-quick: install var/secret_key
	@mkdir -p bench/results/db
	@echo "== bench-quick: S=$(QUICK_SCALE) on SQLite, $(QUICK_PARTS) (log: bench/results/quick.log)"
	@DATABASE_URL=sqlite:///$(QUICK_DB) $(PYTHON) -m techalign.cli bench run \
	    --scale $(QUICK_SCALE) --only $(QUICK_PARTS) --label quick > bench/results/quick.log \
	    || { tail -40 bench/results/quick.log; exit 1; }
	@$(PYTHON) -m bench.report --summary "$$(ls -t bench/results/sqlite-S$(QUICK_SCALE)-*-quick.json | head -1)"
