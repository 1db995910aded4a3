"""An injectable clock: tests that wait for time to pass advance it instead of sleeping.

Production code that reads the time through a `clock: Callable[[], datetime]` parameter
(default `gateway.rates.book.utc_now`) is handed `clock` here.
"""

from datetime import UTC, datetime, timedelta

import pytest

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


class FakeClock:
    """Now is `now` until a test moves it; call it like `utc_now`."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
