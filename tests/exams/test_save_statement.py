"""The answer-save statement on PostgreSQL: prepared once per connection (sent straight to
libpq outside a transaction, through a psycopg cursor inside one), and sent again on a new
connection when the server dropped the old one."""

import psycopg
import pytest
from django.db import connection, transaction

from jingsai.exams import services
from jingsai.exams.models import Answer
from tests.exams import factories as ex

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the prepared statement is PostgreSQL's"),
]


def _attempt():
    world = ex.exam()
    user, _entry = world["candidates"][0]
    return services.start(user, world["session"], device="dev-a")


def _prepared_saves():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements "
                       "WHERE statement LIKE 'INSERT INTO exams_answer%%' ORDER BY name")
        return cursor.fetchall()


def test_saves_are_prepared_once_and_stored_with_their_types():
    attempt = _attempt()
    assert services.save_answers(attempt.pk, "dev-a", [(0, 1, '"A"')]) == 1
    assert services.save_answers(attempt.pk, "dev-a", [(0, 2, '["B", "C"]')]) == 1
    assert services.save_answers(attempt.pk, "dev-a", [(1, 1, "true"), (2, 1, '["氩气"]'), (3, 1, "null")]) == 3
    assert services.save_answers(attempt.pk, "dev-a", [(0, 1, '"older"')]) == 0  # an older seq changes nothing
    prepared = _prepared_saves()
    assert [name for name, _statement in prepared] == ["jingsai_save_0", "jingsai_save_1"]  # one and three
    assert "UNION ALL" in prepared[1][1] and "$8" in prepared[0][1]
    stored = {a.position: (a.seq, a.response) for a in Answer.objects.filter(attempt=attempt)}
    assert stored == {0: (2, ["B", "C"]), 1: (1, True), 2: (1, ["氩气"]), 3: (1, None)}
    saved_at = Answer.objects.get(attempt=attempt, position=0).saved_at
    assert saved_at.tzinfo is not None


def test_a_connection_the_server_dropped_is_replaced_and_the_save_sent_again():
    attempt = _attempt()
    assert services.save_answers(attempt.pk, "dev-a", [(0, 1, '"A"')]) == 1
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**ex.second_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert services.save_answers(attempt.pk, "dev-a", [(0, 2, '"B"')]) == 1
    assert connection.connection.info.backend_pid != pid
    assert Answer.objects.get(attempt=attempt, position=0).response == "B"


def test_a_statement_the_server_refuses_raises_and_the_connection_goes_on():
    attempt = _attempt()
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        services.save_answers(attempt.pk, "dev-a", [(0, 1, "{not json")])
    assert services.save_answers(attempt.pk, "dev-a", [(0, 1, '"A"')]) == 1
    assert Answer.objects.get(attempt=attempt, position=0).response == "A"


def test_inside_a_transaction_the_save_is_part_of_it():
    attempt = _attempt()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert services.save_answers(attempt.pk, "dev-a", [(0, 1, '"A"')]) == 1
        assert Answer.objects.filter(attempt=attempt).count() == 1
        raise RuntimeError("rolled back")
    assert not Answer.objects.filter(attempt=attempt).exists()
    assert services.save_answers(attempt.pk, "dev-a", [(0, 1, '"B"')]) == 1  # outside, straight to libpq
    assert "jingsai_save_0" in [name for name, _statement in _prepared_saves()]
    assert Answer.objects.get(attempt=attempt, position=0).response == "B"


def test_a_refused_save_still_explains_itself():
    attempt = _attempt()
    with pytest.raises(services.SaveRefused) as refused:
        services.save_answers(attempt.pk, "dev-b", [(0, 1, '"A"')])
    assert refused.value.code == "other_device"


