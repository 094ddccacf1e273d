"""What judging asks of the competition lifecycle (its guards, registered at start-up)."""

import pytest

from jingsai.competitions import lifecycle
from jingsai.judging import lifecycle as judging_guards
from jingsai.judging.services import appeals, marking, venue
from tests import factories
from tests.judging import factories as jf
from tests.judging.test_marking import mark_all

pytestmark = pytest.mark.django_db


def test_the_guards_are_registered(w):
    w.competition.status = "scoring"
    assert any("尚未解密" in m for m in lifecycle.blockers(w.competition, "publicity"))


def test_results_go_public_only_from_unblinded_marks_and_final_only_with_appeals_ruled(w):
    assert "尚未解密" in judging_guards.stages_unblinded(w.competition)
    for contestant in jf.contestants(w.stage):
        mark_all(w, contestant)
        marking.sign_off(w.chief.user, contestant)
    marking.confirm_unblinding(w.chief.user, w.stage)
    marking.unblind(w.actor, w.stage)
    assert judging_guards.stages_unblinded(w.competition) is None
    venue.end_stage(w.actor, w.stage)
    appeal = appeals.file_appeal(factories.user("c1", person=w.entries[0].person), w.entries[0], text="异议")
    assert "仲裁组裁决" in judging_guards.appeals_decided(w.competition)
    appeals.decide(w.actor, appeal, upheld=True, ruling="重新评分")
    assert judging_guards.appeals_decided(w.competition) is None
    assert "重新签字确认" in judging_guards.stages_unblinded(w.competition)


def test_a_competition_without_judging_is_not_held_back(db):
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="scoring")
    assert judging_guards.stages_unblinded(competition) is None
