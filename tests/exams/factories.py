"""Builders for exam tests: a bank with questions of every type, papers, sessions and
candidates, all through the services."""

import contextlib
import datetime
import threading
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.exams import services
from jingsai.exams.content import QuestionData
from tests import factories


def question(type="single", stem=None, kp="焊接安全", difficulty=3, **fields):
    defaults = {
        "single": {"options": ["直流正接", "直流反接", "交流", "脉冲"], "answer": "B"},
        "multiple": {"options": ["护目镜", "绝缘手套", "化纤衣物", "防护面罩"], "answer": "ABD"},
        "judge": {"answer": "对"},
        "fill": {"answer": [["氩气", "Ar"]]},
        "short": {"answer": "先切断电源，再救人。"},
    }[type]
    return QuestionData(type=type, stem=stem or f"{type}题干{factories._next()}", knowledge_point=kp,
                        difficulty=difficulty, **{**defaults, **fields})


def bank(owner=None, occupation="6-18-02-04", level=3, **fields):
    owner = owner or factories.org("BANK-OWNER" + str(factories._next()))
    return services.create_bank(factories.actor(), occupation=occupation, level=level, owner=owner, **fields)


def fill_bank(bank, per_type=6, kps=("焊接安全", "焊接工艺")):
    out = []
    for kp in kps:
        for qtype in ("single", "multiple", "judge", "fill", "short"):
            for i in range(per_type):
                out.append(services.add_question(factories.actor(), bank, question(qtype, kp=kp,
                                                                                   difficulty=1 + i % 5)))
    return out


def paper(competition, bank, sections=None, kind="blueprint", **fields):
    sections = sections or [
        {"type": "single", "count": 4, "points": "5"},
        {"type": "multiple", "count": 2, "points": "10"},
        {"type": "judge", "count": 4, "points": "5"},
        {"type": "fill", "count": 2, "points": "10"},
        {"type": "short", "count": 2, "points": "10"},
    ]
    return services.save_paper(factories.actor(), competition=competition, bank=bank, name="理论试卷", kind=kind,
                               sections=sections, **fields)


def session(competition, paper, *, opens=None, minutes=60, **fields):
    now = timezone.now()
    opens = opens or now - datetime.timedelta(minutes=5)
    return services.create_session(
        factories.actor(), competition, paper=paper, name=fields.pop("name", "理论考试"), opens_at=opens,
        closes_at=fields.pop("closes_at", opens + datetime.timedelta(hours=3)), duration_minutes=minutes, **fields,
    )


def candidate(competition, **fields):
    """(user, entry): a worker with an approved entry and a login."""
    person = factories.person(**fields)
    entry = factories.entry(competition, person)
    return factories.user(person=person), entry


def exam(n_candidates=1, **session_fields):
    """A competition with a filled bank, a blueprint paper (total 100 points), an open
    session and candidates. Returns a dict."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    the_bank = bank(owner=orgs["union"])
    fill_bank(the_bank)
    the_paper = paper(competition, the_bank)
    the_session = session(competition, the_paper, **session_fields)
    people = [candidate(competition, employer=orgs["unit_a"]) for _ in range(n_candidates)]
    invigilator = factories.user(role=Role.INVIGILATOR, competition=competition)
    graders = [factories.user(role=Role.GRADER, competition=competition) for _ in range(3)]
    return {"orgs": orgs, "competition": competition, "bank": the_bank, "paper": the_paper,
            "session": the_session, "candidates": people, "invigilator": invigilator, "graders": graders,
            "total": Decimal(100)}


def second_connection_params():
    """psycopg.connect() arguments for a second PostgreSQL connection to the test
    database, beside Django's (to hold a lock, or end Django's backend)."""
    params = dict(connection.get_connection_params())
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    return params


@contextlib.contextmanager
def held_by_another_transaction(*statements, commit_after=1.5):
    """Run `statements` ((sql, params) pairs) in a second PostgreSQL connection and commit
    them `commit_after` seconds later, while the body runs: another request in the middle
    of its transaction, holding its locks, that the body must wait for."""
    import psycopg

    other = psycopg.connect(**second_connection_params())
    try:
        for sql, params in statements:
            other.execute(sql, params)
        committer = threading.Timer(commit_after, other.commit)
        committer.start()
        try:
            yield
        finally:
            committer.join()
    finally:
        other.close()


def logged_in(user):
    """A test client with `user` logged in."""
    client = Client()
    client.force_login(user)
    return client


def exam_with_organizer_client(n_candidates=1):
    """exam_with_organizer(), with the organizer's test client under "client"; a server
    error comes back as a 500 answer, not raised."""
    data = exam_with_organizer(n_candidates=n_candidates)
    data["client"] = logged_in(data["organizer"])
    data["client"].raise_request_exception = False
    return data


def exam_with_organizer(n_candidates=2):
    """exam(), with an organizer of the host union under "organizer"."""
    from jingsai.accounts.models import Role

    data = exam(n_candidates=n_candidates)
    data["organizer"] = factories.user(role=Role.ORGANIZER, org=data["orgs"]["union"])
    return data


def two_stage_exam(stage=None, **session_fields):
    """A competition in progress with a qualifier (区级选拔赛, by district, the top one
    advancing) and a final (市级决赛), a filled bank, and an exam session: open to every
    stage, or for `stage` ("qualifier" or "final"). Returns a SimpleNamespace: orgs,
    competition, qualifier, final, bank, session."""
    from types import SimpleNamespace

    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress", stages=[
        {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "市级决赛"}])
    qualifier, final = competition.stages.order_by("order")
    the_bank = bank(owner=orgs["union"])
    fill_bank(the_bank, per_type=3)
    the_session = session(competition, paper(competition, the_bank),
                          stage={"qualifier": qualifier, "final": final}.get(stage), **session_fields)
    return SimpleNamespace(orgs=orgs, competition=competition, qualifier=qualifier, final=final, bank=the_bank,
                           session=the_session)


def apps_after(migration):
    """The models as an exams migration leaves them: what its data function is given."""
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).project_state(("exams", migration)).apps


def create_table(model):
    """The table of a model that is no longer in the schema (a historical model of
    apps_after()), created inside the test's transaction and gone with it: the schema
    editor itself will not run inside a transaction on SQLite."""
    editor = connection.schema_editor()
    editor.deferred_sql = []  # indexes and foreign keys, which the test does without
    sql, params = editor.table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
