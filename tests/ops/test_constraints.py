"""constraints.txt pins the whole set exactly: every requirement, every transitive package
that is installed, and pip and setuptools themselves."""

import re
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(\[[^\]]+\])?==([^\s;]+)", line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        pins[_name(match.group(1))] = match.group(3)
    return pins


def test_every_requirement_is_pinned_to_the_same_version_in_constraints():
    constraints = _pins(REPO / "constraints.txt")
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        for name, version in _pins(REPO / requirements).items():
            assert constraints.get(name) == version, (requirements, name)


def test_pip_and_setuptools_are_pinned_too():
    constraints = _pins(REPO / "constraints.txt")
    assert "pip" in constraints and "setuptools" in constraints


def test_every_installed_package_is_pinned_at_its_installed_version():
    constraints = _pins(REPO / "constraints.txt")
    unpinned = {}
    for dist in metadata.distributions():
        name = _name(dist.metadata["Name"])
        if constraints.get(name) != dist.version:
            unpinned[name] = (dist.version, constraints.get(name))
    assert not unpinned, f"installed but not pinned (make lock): {unpinned}"
