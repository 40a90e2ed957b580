"""The test harness itself: which tests get a rolled-back database session."""

from conftest import TESTS_ROOT, is_pure_test


def test_only_the_folder_below_tests_makes_a_test_pure() -> None:
    assert is_pure_test(TESTS_ROOT / "payments" / "test_ledger.py")
    assert is_pure_test(TESTS_ROOT / "e2e" / "test_pages_accessibility.py")
    assert not is_pure_test(TESTS_ROOT / "marketplace" / "test_models.py")
    # A file whose name merely contains a pure folder's name is not pure either.
    assert not is_pure_test(TESTS_ROOT / "marketplace" / "payments_test.py")


def test_marketplace_tests_get_a_session(db_session) -> None:
    # Regression: a checkout in a folder named "payments" (or "matching") once made every
    # test pure, so marketplace tests ran without their session.
    assert db_session is not None
