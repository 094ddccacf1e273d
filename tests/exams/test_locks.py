"""Row locks that keep concurrent work apart, on PostgreSQL (SQLite runs one writer at a
time): an edit waits for a start that is storing the same question version."""

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from jingsai.exams import services
from jingsai.exams.models import Question
from tests.exams import factories as ex

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


def test_an_edit_waits_for_a_start_that_is_storing_the_version_it_would_change_in_place():
    bank = ex.bank()
    question = services.add_question(None, bank, ex.question("judge", stem="焊前检查接地。"))
    version_id = Question.objects.get(pk=question.pk).current_id
    other = psycopg.connect(**ex.second_connection_params())
    try:
        # What a start's INSERT of an attempt item takes on the version it refers to, until it commits.
        other.execute("SELECT 1 FROM exams_questionversion WHERE id = %s FOR KEY SHARE", [version_id])
        data = services.question_data(Question.objects.get(pk=question.pk).current)
        data.stem = "焊前必须检查接地。"
        with pytest.raises(OperationalError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            services.edit_question(None, question, data, reason="勘误")
    finally:
        other.rollback()
        other.close()
    assert Question.objects.get(pk=question.pk).current.stem == "焊前检查接地。"
    assert services.edit_question(None, question, data, reason="勘误").stem == "焊前必须检查接地。"
