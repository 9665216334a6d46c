# `make demo` and `make test` work on a fresh machine: each creates .venv and installs into it first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test install lint fonts messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Chinese text in drawings, posters and screenshots needs a CJK font; install one when it is missing
# and we may (root with apt-get). Without it the demo still runs, with boxes for Chinese in images.
fonts:
	@fc-list ':lang=zh' file 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	  else echo "note: no CJK font found; install fonts-noto-cjk for Chinese text in generated images"; fi; }

demo: install fonts
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (showroom at /, consultant workbench at /m/, staff pages at /staff/, API at /api/v1/docs)"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Re-extract and compile translations after changing user-facing strings (needs GNU gettext).
messages: install
	cd yunlou && ../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/*'
	cd yunlou && ../$(BIN)/django-admin compilemessages

bench: install
	$(BIN)/python bench/grid.py
	$(BIN)/python bench/showroom.py

clean:
	rm -rf $(VENV) db.sqlite3 media artifacts staticfiles
