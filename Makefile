# The two commands of the README: `make up` (set up and run the stack), `make test` (set up and test).
# A fresh machine needs only Python 3.11+ and make: everything else comes pinned from uv.lock.
PYTHON ?= python3
VENV   := .venv
UV     := $(VENV)/bin/uv
UV_VERSION := 0.13.8

.PHONY: setup up test lint typecheck unit audit bench events clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

# The portal's browser libraries (HTMX) come from the npm registry, pinned and sha512-checked
# against services/portal/vendor.lock.json; never fetched at run time or test time.
PORTAL_VENDOR := services/portal/static/vendor/.fetched
$(PORTAL_VENDOR): $(VENV)/.synced services/portal/vendor.lock.json
	$(VENV)/bin/python -m services.portal.vendor
	@touch $@

setup: $(VENV)/.synced $(PORTAL_VENDOR)

# The browser tests drive Debian's Chromium; Playwright never downloads a browser.
CHROMIUM := /usr/bin/chromium
# apt verifies signatures as the unprivileged _apt user, which fails where /tmp is not world-writable.
APT_OPTS := -o APT::Sandbox::User=root
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get $(APT_OPTS) update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get $(APT_OPTS) install -y -qq chromium fonts-noto-core

up: setup
	$(VENV)/bin/hawkari up

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: setup
	$(UV) run --frozen mypy

unit: setup $(CHROMIUM)
	$(UV) run --frozen pytest

# pip-audit asks PyPI's advisory API about every version pinned in uv.lock (exported as a
# requirements file, dev tools included); hawkari.audit reads its report. A known vulnerability
# always fails. A package that could not be looked up (the per-version API unreachable, e.g. behind
# a registry mirror) fails with AUDIT=strict and is otherwise counted in a loud warning.
# AUDIT=skip skips the step, loudly.
AUDIT ?= vulnerabilities
AUDIT_REQUIREMENTS := $(VENV)/audit-requirements.txt
AUDIT_REPORT := $(VENV)/audit-report.json
audit: setup
ifeq ($(AUDIT),skip)
	@echo "audit: SKIPPED (AUDIT=skip): the locked dependencies were NOT checked for known vulnerabilities"
else
	$(UV) export --frozen --no-hashes --no-emit-project --quiet -o $(AUDIT_REQUIREMENTS)
	@$(UV) run --frozen pip-audit --no-deps --disable-pip --progress-spinner off --format json \
		-r $(AUDIT_REQUIREMENTS) -o $(AUDIT_REPORT) 2>/dev/null || true
	@$(UV) run --frozen python -m hawkari.audit $(AUDIT_REPORT) $(AUDIT)
endif

test: lint typecheck unit audit

events: setup
	$(VENV)/bin/hawkari events export

clean:
	rm -rf $(VENV) .hawkari .pytest_cache .mypy_cache .ruff_cache
