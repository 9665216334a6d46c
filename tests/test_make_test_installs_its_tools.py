"""`make test` on a machine with only Python 3.11: every program outside Python that the suite runs (chromium for
the browser tests, poppler's pdftoppm and pdftotext for the contracts, …) must be one that `make test` installs
itself through scripts/debian-packages — not only `.ci/run`. A test that starts calling a new program fails here
until the Makefile lists it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = [
    re.compile(r"""subprocess\.(?:run|Popen|check_output|check_call)\(\s*\[\s*["']([A-Za-z0-9_.-]+)["']"""),
    re.compile(r"""shutil\.which\(\s*["']([A-Za-z0-9_.-]+)["']\s*\)"""),
]


def _make_variable(makefile: str, name: str) -> str:
    match = re.search(rf"^{name}\s*:=\s*((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert match, f"{name} is not set in the Makefile"
    return match.group(1).replace("\\\n", " ")


def _installed_by_make_test() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/debian-packages" in recipe and "$(TEST_PACKAGES)" in recipe, "make test installs nothing"
    packages = _make_variable(makefile, "TEST_PACKAGES").replace("$(FONT_PACKAGES)",
                                                                 _make_variable(makefile, "FONT_PACKAGES"))
    return {pair.split("=", 1)[0] for pair in packages.split()}


def _programs_the_suite_runs() -> dict[str, str]:
    programs = {}
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("yunlou/**/tests/**/*.py"), ROOT / "conftest.py"]:
        text = path.read_text()
        for pattern in CALLS:
            for program in pattern.findall(text):
                programs.setdefault(program, str(path.relative_to(ROOT)))
    return programs


def test_every_program_the_tests_run_is_installed_by_make_test():
    installed = _installed_by_make_test()
    programs = _programs_the_suite_runs()
    assert {"chromium", "pdftoppm", "pdftotext"} <= set(programs)  # the scan finds what it should
    missing = {program: where for program, where in programs.items() if program not in installed}
    assert not missing, f"make test does not install these (add them to TEST_PACKAGES): {missing}"


def test_make_test_starts_the_redis_the_live_update_tests_need():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/redis-up" in recipe
    assert {"redis-server", "redis-cli"} <= _installed_by_make_test()
