"""Editing a question is one transaction (outside a test's own), and the wrong-answer book
decides for all its banks in one query. Tests named "Regression" failed before the fix
their docstring describes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jingsai.core import audit
from jingsai.exams import services
from jingsai.exams.models import Question
from tests import factories
from tests.exams import factories as ex

# ---------------------------------------------------------------- services.edit_question


@pytest.mark.django_db(transaction=True)
def test_editing_a_question_is_one_transaction_outside_a_test_transaction(monkeypatch):
    """Regression: a helper once stood between `@transaction.atomic` and `def edit_question`,
    so the decorator wrapped the helper and edit_question ran in autocommit (nothing else
    wraps it: no ATOMIC_REQUESTS, and neither the web editor nor the API opens a
    transaction). On PostgreSQL its first select_for_update() raised
    TransactionManagementError, so every edit was a 500; on SQLite the version was
    committed before the audit record, so a failure there left an unaudited change.
    Tests that run inside pytest's transaction (all the others) cannot see it."""
    bank = ex.bank()
    question = services.add_question(None, bank, ex.question("judge", stem="焊接前应检查焊机接地。"))
    revised = services.question_data(question.current)
    revised.stem = "焊接前必须检查焊机接地。"

    def audit_down(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(audit, "record", audit_down)
    with pytest.raises(RuntimeError, match="audit unavailable"):  # not TransactionManagementError
        services.edit_question(None, question, revised, reason="措辞")
    assert Question.objects.get(pk=question.pk).current.stem == "焊接前应检查焊机接地。"  # rolled back


def _wrong_in_new_bank(person, n):
    """A new bank (open to practice) with one true-or-false question the worker got wrong."""
    bank = ex.bank(level=1 + n % 5, occupation=f"6-18-02-{n:02d}")
    services.add_question(None, bank, ex.question("judge", stem=f"第{n}个题库的判断题。", answer="对"))
    practice = services.start_practice(person, bank, count=1)
    item = practice.items.select_related("version").get()
    services.answer_practice(person, item, False)


# ---------------------------------------------------------------- the wrong-answer book


@pytest.mark.django_db
def test_the_wrong_answer_book_does_not_query_once_per_bank():
    """Regression: views.wrong_book calls services.answers_kept_back(bank.pk) for every bank open to
    practice in the book: two queries per bank (under_way, then Bank.exists() for a bank it
    already holds), on a page every worker opens. The banks are in memory already: one
    query for "under way or a later sitting" over all of them would do."""
    person = factories.person()
    client = ex.logged_in(factories.user(person=person))
    _wrong_in_new_bank(person, 1)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/work/exams/practice/wrong/").status_code == 200
        return len(captured)

    one = queries()
    for n in range(2, 6):
        _wrong_in_new_bank(person, n)
    five = queries()
    assert five - one <= 1, f"1 bank: {one} queries; 5 banks: {five} queries"
