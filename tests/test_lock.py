"""The dependency locks (scripts/lock writes them): every range of pyproject.toml is pinned in them, with hashes,
the two locks agree, and this environment is what the test lock says (scripts/test installs it).

scripts/test --newest runs the suite on the newest versions the ranges allow instead, without the last test."""

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[1]
SERVICE_LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"


def pins(lock: Path) -> dict[str, list[tuple[Version, Marker | None, int]]]:
    """Per package: its pinned versions, each with its environment marker and its number of hashes."""
    found: dict[str, list[tuple[Version, Marker | None, int]]] = {}
    for entry in lock.read_text().replace("\\\n", " ").splitlines():
        if not entry.strip() or entry.lstrip().startswith("#"):
            continue
        requirement_text, *hashes = entry.split("--hash=")
        requirement = Requirement(requirement_text.strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{lock.name}: {entry.split()[0]} is not pinned"
        name = canonicalize_name(requirement.name)
        found.setdefault(name, []).append((Version(specifier.version), requirement.marker, len(hashes)))
    return found


def applying(entries: list[tuple[Version, Marker | None, int]]) -> list[Version]:
    """The versions of a package the lock installs here (its markers evaluated for this interpreter)."""
    return [version for version, marker, _ in entries if marker is None or marker.evaluate()]


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    texts = list(project["project"]["dependencies"])
    for extra in extras:
        texts += project["project"]["optional-dependencies"][extra]
    texts += project["build-system"]["requires"]
    return [Requirement(text) for text in texts]


def test_every_range_of_pyproject_is_pinned_within_it() -> None:
    for lock, extras in [(SERVICE_LOCK, ()), (TEST_LOCK, ("test",))]:
        locked = pins(lock)
        for requirement in declared(*extras):
            versions = applying(locked.get(canonicalize_name(requirement.name), []))
            assert versions, f"{lock.name} does not pin {requirement.name}: run scripts/lock"
            for version in versions:
                assert requirement.specifier.contains(version, prereleases=True), (
                    f"{lock.name} pins {requirement.name} {version}, outside {requirement}: run scripts/lock"
                )


def test_every_pin_has_its_hashes_and_both_locks_agree() -> None:
    service, test = pins(SERVICE_LOCK), pins(TEST_LOCK)
    for lock, locked in [(SERVICE_LOCK, service), (TEST_LOCK, test)]:
        for name, entries in locked.items():
            assert all(hashes >= 1 for _, _, hashes in entries), f"{lock.name}: {name} has no --hash"
    for name, entries in service.items():
        assert applying(test.get(name, [])) == applying(entries), f"the locks pin {name} differently"


def test_this_environment_is_the_lock() -> None:
    """What scripts/test installed is what the lock says, for every package it pins here."""
    installed = {canonicalize_name(dist.metadata["Name"]): Version(dist.version) for dist in metadata.distributions()}
    for name, entries in pins(TEST_LOCK).items():
        for version in applying(entries):
            assert installed.get(name) == version, f"{name}: {installed.get(name)} installed, the lock pins {version}"
