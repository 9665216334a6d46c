"""Every interface string has its Chinese, and the compiled catalogues match their sources."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.mark.parametrize("language", ["zh_Hans"])
def test_every_message_is_translated(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in catalogue if not entry.translated() and not entry.obsolete]
    assert missing == []


@pytest.mark.parametrize("language", ["zh_Hans"])
def test_compiled_catalogue_matches_its_source(language, tmp_path):
    folder = LOCALE / language / "LC_MESSAGES"
    source = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(folder / "django.po")) if e.translated()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(folder / "django.mo")) if e.msgid}
    assert {k: v for k, v in source.items() if k[1]} == compiled
