"""Shared set-up of the exam-page browser tests."""

from jingsai.accounts.models import Role
from tests import factories
from tests.exams import factories as ex

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def sitting(sections):
    """An exam open now on a paper of `sections` (questions in bank order, not shuffled),
    with one candidate 王考生 (login kaosheng, unit_a) and an invigilator (login jiankao)."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    ex.fill_bank(bank, per_type=3, kps=("焊接安全",))
    paper = ex.paper(competition, bank, sections, shuffle_questions=False)
    session = ex.session(competition, paper, minutes=30)
    person = factories.person(employer=orgs["unit_a"], name="王考生")
    factories.entry(competition, person)
    factories.user("kaosheng", person=person)
    invigilator = factories.user("jiankao", role=Role.INVIGILATOR, competition=competition)
    return {"session": session, "competition": competition, "invigilator": invigilator}
