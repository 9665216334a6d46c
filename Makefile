# `make demo` and `make test` work on a fresh machine: each creates .venv and installs into it first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test install lint messages bench clean

# Debian packages each target drives, as <command or font:zh>=<package>: the browser for browser tests,
# poppler for looking at generated PDFs, Redis for the live-update tests (started when none runs), a CJK font for Chinese in drawn images, posters and screenshots.
# Installed when missing if we may (root with apt-get); otherwise the target stops and says what to install.
FONT_PACKAGES := fc-list=fontconfig font:zh=fonts-noto-cjk
TEST_PACKAGES := chromium=chromium pdftoppm=poppler-utils pdftotext=poppler-utils redis-server=redis-server \
	redis-cli=redis-tools $(FONT_PACKAGES)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	@scripts/debian-packages "make demo" $(FONT_PACKAGES)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (showroom at /, consultant workbench at /m/, staff pages at /staff/, API at /api/v1/docs)"
	DJANGO_DEBUG=1 PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	@scripts/debian-packages "make test" $(TEST_PACKAGES)
	@scripts/redis-up "make test"
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Re-extract and compile translations after changing user-facing strings (needs GNU gettext).
messages: install
	@scripts/debian-packages "make messages" msgfmt=gettext
	cd yunlou && ../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/*'
	cd yunlou && ../$(BIN)/django-admin compilemessages

bench: install
	@scripts/debian-packages "make bench" wrk=wrk chromium=chromium
	$(BIN)/python bench/grid.py
	$(BIN)/python bench/showroom.py
	$(BIN)/python bench/launch.py
	$(BIN)/python bench/referral.py

clean:
	rm -rf $(VENV) db.sqlite3 media artifacts staticfiles
