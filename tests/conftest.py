import pytest

from tests.factories import World, world


@pytest.fixture
def w(db) -> World:
    return world()
