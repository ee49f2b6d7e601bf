"""Fixtures shared by the test modules; larger families live in their own plugin modules."""

import pytest

pytest_plugins: list[str] = ["tests.op_fixtures", "tests.admin_fixtures", "tests.mock_op"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (discovery, key sets, used states)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """A request with ``Accept-Language: nl`` leaves Dutch active in the thread: reset it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (``item.rep_call``), so a fixture's
    teardown can tell whether its test failed (the browser tests take a screenshot)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
