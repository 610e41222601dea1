from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


@pytest.fixture(name="fixture_bytes")
def fx_fixture_bytes() -> Callable[[str], bytes]:
    """Bytes of a file under tests/fixtures, by relative path."""

    def read(relative: str) -> bytes:
        return (FIXTURES / relative).read_bytes()

    return read


@pytest.fixture(name="example_bytes")
def fx_example_bytes() -> Callable[[str], bytes]:
    """Bytes of a file under examples/, by relative path."""

    def read(relative: str) -> bytes:
        return (EXAMPLES / relative).read_bytes()

    return read
