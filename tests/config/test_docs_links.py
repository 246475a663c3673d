"""README and docs point only at what a clone of this repository holds."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_names_a_file_in_the_repository(document: Path) -> None:
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        resolved = (document.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{document.name} points outside: {target}"
        assert resolved.exists(), f"{document.name} links to a missing file: {target}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_no_document_names_a_path_outside_the_repository(document: Path) -> None:
    text = document.read_text()
    for outside in ("../shared", "/work/", "council-minutes"):
        assert outside not in text, f"{document.name} mentions {outside}"
