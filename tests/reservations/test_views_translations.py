"""The Japanese catalogue is complete for everything a resident can see.

Two checks: the committed .po has no untranslated or fuzzy entry that comes from
resident-facing code, and a fresh extraction of that code (makemessages into a temporary
directory) finds no string that the compiled catalogue fails to translate, so a new
{% translate %} without its Japanese fails here rather than on a resident's phone.
Other apps (staff, exports, audit) keep their own catalogues: the first check does not read
them, the runtime check covers them too (a staff member is a Japanese reader as well).
"""

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
RESIDENT_SOURCES = (
    "reservations/",
    "citizens/",
    "config/",
    "templates/reservations/",
    "templates/base.html",
    "templates/errors/",
)
STAFF_SOURCES = (
    "core/",
    "staff/",
    "exports/",
    "audit/",
    "templates/staff/",
    "templates/exports/",
    "templates/audit/",
    "templates/admin/",
)
# Words that are the same in Japanese.
SAME_IN_JAPANESE = {"CSV"}


def parse_po(text: str):
    """(msgctxt, msgid, msgid_plural, [msgstr…], flags, references) per entry."""
    entries = []
    for block in text.split("\n\n"):
        fields = {}
        key = None
        flags, refs = set(), []
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#:"):
                refs.extend(line[2:].split())
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key:
                fields[key] += _unquote(line)
            elif match := re.match(
                r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line
            ):
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        entries.append(
            (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs, flags, refs)
        )
    return entries


def _unquote(quoted: str) -> str:
    return quoted[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def resident_facing(refs) -> bool:
    return any(ref.split(":")[0].startswith(RESIDENT_SOURCES) for ref in refs)


def test_catalogue_has_no_untranslated_or_fuzzy_resident_string():
    problems = []
    for _ctx, msgid, _plural, strs, flags, refs in parse_po(PO.read_text(encoding="utf-8")):
        if not resident_facing(refs):
            continue
        if "fuzzy" in flags:
            problems.append(f"fuzzy: {msgid!r}")
        if not strs or any(not s for s in strs):
            problems.append(f"untranslated: {msgid!r} ({refs[0]})")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
@pytest.mark.parametrize(
    "sources", [RESIDENT_SOURCES, STAFF_SOURCES], ids=["resident pages", "staff pages"]
)
def test_every_ui_string_is_translated_at_runtime(sources, tmp_path, monkeypatch):
    for source in sources:
        origin = ROOT / source
        target = tmp_path / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif origin.exists():
            shutil.copy(origin, target)
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[str(tmp_path / "locale")]):
        call_command("makemessages", locale=["ja"], verbosity=0)
    extracted = parse_po(
        (tmp_path / "locale" / "ja" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    )
    assert len(extracted) > 100, "the extraction found the UI strings"
    missing = []
    with translation.override("ja"):
        for ctx, msgid, plural, _strs, _flags, refs in extracted:
            if plural:
                ok = translation.ngettext(msgid, plural, 1) != msgid and (
                    translation.ngettext(msgid, plural, 2) != plural
                )
            elif ctx:
                ok = translation.pgettext(ctx, msgid) != msgid
            else:
                ok = translation.gettext(msgid) != msgid
            if not ok and msgid not in SAME_IN_JAPANESE:
                missing.append(f"{msgid!r} ({refs[0] if refs else '?'})")
    assert not missing, "not translated into Japanese (run make messages):\n" + "\n".join(missing)


def test_no_catalogue_turns_the_label_suffix_into_an_honorific():
    # A mail once wrote "{{ name }}{% translate ":" %}" for 「山田 様」; Django's forms use
    # the same ":" after every label, and staff forms read 「生年月日 様」.
    from django.utils import translation

    with translation.override("ja"):
        assert "様" not in translation.gettext(":")
