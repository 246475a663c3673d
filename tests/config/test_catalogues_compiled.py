"""Every committed .mo holds exactly what its .po says.

Django reads only the compiled catalogue: a .po edited (or merged) without recompiling
leaves pages in English while the translation test, which reads the .po, passes.
"""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("locale/ja/LC_MESSAGES/django.po")) + sorted(
    ROOT.glob("*/locale/ja/LC_MESSAGES/django.po")
)


def _messages(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext's msgfmt")
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_compiled_catalogue_matches_its_source(po: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
    assert _messages(po.with_suffix(".mo")) == _messages(fresh), (
        f"{po.relative_to(ROOT)}: run make messages (or compilemessages) and commit the .mo"
    )
