# kenshin's front door. Every target uses the project's own virtualenv (.venv).
PYTHON ?= python3
VENV := .venv
# make run PORT=8030 serves on another port.
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench messages lock audit clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt pip setuptools
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

# The mail worker runs beside the server and prints each mail on the console (the
# development mail backend); Ctrl-C stops both. Links in that mail follow PORT.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Residents: http://127.0.0.1:$(PORT)/   (English: http://127.0.0.1:$(PORT)/en/)"
	@echo "Staff: create the first administrator, then sign in at http://127.0.0.1:$(PORT)/staff/login/ and enrol a phone:"
	@echo "  $(BIN)/python manage.py createstaff --username admin --role administrator --role health_centre --superuser"
	@echo ""
	export SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}"; \
	  $(BIN)/python manage.py send_notifications --loop --interval 5 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

# Extract the residents' UI strings into locale/ja and compile every catalogue (needs GNU
# gettext). staff/, exports/ and audit/ keep their own catalogues in <app>/locale/ja; a test
# (tests/reservations/test_views_translations.py) fails if any UI string lacks Japanese.
APP_CATALOGUES := staff exports audit waitingroom vouchers waitlist lottery reception
messages: install
	$(BIN)/python manage.py makemessages -l ja --ignore '.venv/*' --ignore 'tests/*' \
	  --ignore 'bench/*' $(foreach app,$(APP_CATALOGUES),--ignore '$(app)/*' --ignore 'templates/$(app)/*')
	$(BIN)/python manage.py compilemessages -l ja --ignore '.venv/*'

# Re-pin every transitive dependency (pip and setuptools included) after changing
# requirements*.txt; tests/ops/test_constraints.py fails when a package is left unpinned.
lock:
	rm -rf /tmp/kenshin-lock && $(PYTHON) -m venv /tmp/kenshin-lock
	/tmp/kenshin-lock/bin/pip install --quiet --upgrade pip setuptools
	/tmp/kenshin-lock/bin/pip install --quiet -r requirements-dev.txt
	(echo "# Full pinned set (pip freeze --all of requirements-dev.txt). Regenerate with: make lock"; \
	 /tmp/kenshin-lock/bin/pip freeze --all) > constraints.txt

# The vulnerability audit of the pinned set (skips, saying so, when offline).
audit: install
	bash tools/pip_audit.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache .mypy_cache staticfiles
