"""The in-memory repositories of the use-case tests offer what the PostgreSQL ones offer, with
the same parameters, so a use case tested in memory calls nothing the real one lacks."""

import inspect

import pytest

from services.intake.adapters.repository import IntakeRepository
from services.resolution.adapters.repository import ResolutionRepository
from tests.unit.fakes import MemoryIntakeRepository, MemoryResolutionRepository


def _methods(cls) -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(member).parameters)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("real", "fake"), [(IntakeRepository, MemoryIntakeRepository), (ResolutionRepository, MemoryResolutionRepository)]
)
def test_fake_has_every_method_of_the_real_repository(real, fake):
    assert _methods(fake) == _methods(real)
