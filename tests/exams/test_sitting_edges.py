"""The theory-exam sitting: extra time set while a candidate starts, the grace period
changed mid-exam, one sitting per candidate, the stage and the competition's step after
candidates started, entry numbers across stages, the access code. Tests named
"Regression" failed before the fix their docstring describes."""

import copy
import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.core.errors import UserError
from jingsai.exams import lifecycle, services
from jingsai.exams.models import Attempt, AttemptEvent, AttemptStatus, EndedBy
from jingsai.registration.models import Entry
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return ex.exam(n_candidates=2)


# ---------------------------------------------------------------- extra time and starts


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race between two transactions")
def test_extra_time_set_while_the_candidate_starts_is_not_lost():
    """Regression: set_allowance() locked the entry (FOR NO KEY UPDATE), stored the allowance,
    then looked for a running attempt to move, while _begin() read the allowance without any
    lock that conflicted with it. When the two overlapped on PostgreSQL, the start did not see
    the uncommitted allowance and set_allowance did not see the uncommitted attempt: the
    candidate sat with the plain duration although the allowance said +15 minutes. A start
    now locks the entry first, so it waits for a change of the candidate's extra time in
    progress (or the other way round), and the deadline includes the allowance."""
    world = ex.exam()
    user, entry = world["candidates"][0]
    # What set_allowance() holds once it has locked the entry and saved the allowance,
    # before it commits (it found no running attempt: none is visible yet).
    with ex.held_by_another_transaction(
            ("SELECT 1 FROM registration_entry WHERE id = %s FOR NO KEY UPDATE", [entry.pk]),
            ("INSERT INTO exams_allowance (session_id, entry_id, extra_minutes, reason, set_at) "
             "VALUES (%s, %s, 15, '视力障碍', now())", [world["session"].pk, entry.pk])):
        attempt = services.start(user, world["session"], device="d")
    attempt = Attempt.objects.get(pk=attempt.pk)
    assert world["session"].allowances.get(entry=entry).extra_minutes == 15
    assert attempt.deadline == attempt.started_at + datetime.timedelta(minutes=75)


def test_a_change_of_grace_period_reaches_the_attempts_already_running(world):
    """Regression: update_session() lets the grace period change after candidates started (the
    network is bad, the organizer raises it to 120 s), but the running attempts keep
    accept_until = deadline + the old 30 s, so their answers in flight are still refused
    after 30 s; only an extension later recomputes accept_until with the new grace
    (_move_deadline), so an extension of +1 then -1 minute silently changes the grace.
    Now the running attempts' accept_until follows the new grace period."""
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    services.update_session(ex.factories.actor(), world["session"], grace_seconds=120, reason="考场网络差")
    attempt.refresh_from_db()
    assert attempt.accept_until == attempt.deadline + datetime.timedelta(seconds=120)
    late_in_new_grace = attempt.deadline + datetime.timedelta(seconds=90)
    assert services.save_answers(attempt.pk, "d", [(0, 1, '"A"')], now=late_in_new_grace) == 1


# ---------------------------------------------------------------- who may sit, and how often


def test_a_candidate_cannot_sit_the_same_theory_exam_in_two_sessions_at_once(world):
    """Regression: every session of a competition (without a stage) took all its approved entries
    as candidates, and the only guard was one attempt per (session, entry). With two
    sittings of the same exam (two rooms, a morning and an afternoon sitting) a candidate
    could hold two running attempts at once, see the paper twice, and the attempt graded
    last overwrote the theory score in the results. Now a candidate sits once per
    competition component: a second start is refused, naming the first sitting."""
    second_room = ex.session(world["competition"], world["paper"])
    user, entry = world["candidates"][0]
    first = services.start(user, world["session"], device="d")
    assert first.status == AttemptStatus.IN_PROGRESS
    with pytest.raises(UserError):
        services.start(user, second_room, device="d")
    assert Attempt.objects.filter(entry=entry, status=AttemptStatus.IN_PROGRESS).count() == 1


def test_changing_the_stage_of_a_session_under_way_does_not_lock_out_the_candidates_sitting_it():
    """Regression: update_session() refuses a new paper once candidates have started, but lets the
    stage change. The candidates of the old stage who are answering then stop being
    candidates: start() refuses to resume their attempt ("You are not a candidate") and
    the invigilator's live list no longer shows them, so nobody can see or end them.
    Now the stage cannot change once candidates have started, as the paper cannot."""
    w = ex.two_stage_exam(stage="qualifier")
    orgs, competition, final, session = w.orgs, w.competition, w.final, w.session
    user, _entry = ex.candidate(competition, employer=orgs["unit_a"])
    attempt = services.start(user, session, device="d")
    with pytest.raises(UserError) as refused:
        services.update_session(ex.factories.actor(), session, stage=final, reason="改为决赛")
    assert refused.value.code == "started"
    session.refresh_from_db()
    assert session.stage == w.qualifier
    assert services.start(user, session, device="d").pk == attempt.pk
    assert any(row["attempt_id"] == attempt.pk for row in services.attempt_progress(session))


def test_no_theory_exam_is_started_after_the_competition_has_moved_on_to_scoring(world):
    """Regression: The IN_PROGRESS -> SCORING guard (exams_finished) only counts attempts running at
    that moment; _begin() never looks at the competition's status. A candidate who had
    not started can start afterwards, and the SCORING -> PUBLICITY guard (exams_graded)
    counts only items awaiting a grader, so it reports nothing pending while that
    candidate is still answering: the theory score then lands in results under
    publicity. Now a start is refused once the competition has left "in progress" (and
    exams_graded waits for anyone still answering: the test after the next)."""
    from jingsai.competitions import services as competition_services

    competition = world["competition"]
    competition_services.transition(ex.factories.actor(), competition, "scoring")
    user, _entry = world["candidates"][1]
    session = type(world["session"]).objects.get(pk=world["session"].pk)  # as a request reads it
    with pytest.raises(UserError) as refused:
        services.start(user, session, device="d")
    assert refused.value.code == "closed"
    assert not Attempt.objects.filter(session=world["session"]).exists()


def test_an_entry_number_names_one_candidate_in_a_session_for_every_stage():
    """Regression: entry numbers are unique per stage only (unique_entry_number is on stage,
    number), but a session open to every stage takes candidates from several stages. The
    invigilator's allowance form and `jingsai exams allowance --entry N` went through
    candidate_by_number(), which silently took .first() of the matches: extra time meant for
    the finalist shown as number 1 in the live list went to the qualifier's number 1. Now a
    number shared across stages is refused, naming the stages, and the stage can be given
    (the form's stage field, `--stage KEY`)."""
    w = ex.two_stage_exam()  # no stage: every stage sits it
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    stayed, advanced = factories.person(employer=orgs["unit_a"]), factories.person(employer=orgs["unit_a"])
    in_qualifier = factories.entry(competition, stayed, stage=qualifier, number=1)
    factories.entry(competition, advanced, stage=qualifier, number=2)
    in_final = factories.entry(competition, advanced, stage=final, number=1)
    assert set(services.candidates(session)) == {in_qualifier, in_final}  # both shown as number 1
    with pytest.raises(UserError):
        services.candidate_by_number(session, 1)
    assert services.candidate_by_number(session, 1, "final") == in_final

    # The page asks for the stage; the command line takes --stage; the live list names it.

    from jingsai.accounts.models import Role
    from jingsai.exams.models import Allowance
    from tests.commands import run_command

    client = ex.logged_in(factories.user("jiankao2", role=Role.INVIGILATOR, competition=competition))
    page = client.get(f"/work/exams/sessions/{session.pk}/").content.decode()
    assert 'name="stage"' in page and "市级决赛" in page
    refused = client.post(f"/work/exams/sessions/{session.pk}/allowance/",
                          {"entry": 1, "minutes": 10, "reason": "听障考生"})
    assert refused.status_code == 400 and not Allowance.objects.exists()
    refused = refused.content.decode()
    assert "区级选拔赛、市级决赛" in refused and 'value="听障考生"' in refused  # what was typed stays
    client.post(f"/work/exams/sessions/{session.pk}/allowance/",
                {"entry": 1, "stage": "final", "minutes": 10, "reason": "听障考生"})
    assert Allowance.objects.get().entry == in_final
    code, _out, err = run_command("exams", "allowance", str(session.pk), "--entry", "1", "--minutes", "5",
                                  "--reason", "视障考生")
    assert code == 1 and "区级选拔赛" in err
    code, _out, err = run_command("exams", "allowance", str(session.pk), "--entry", "1", "--stage", "qualifier",
                                  "--minutes", "5", "--reason", "视障考生")
    assert code == 0, err
    assert Allowance.objects.get(entry=in_qualifier).extra_minutes == 5
    live = client.get(f"/work/exams/sessions/{session.pk}/monitor/").content.decode()
    assert "区级选拔赛" in live and "市级决赛" in live


# ---------------------------------------------------------------- the door


def test_an_access_code_with_a_stray_space_still_lets_candidates_in():
    """Regression: _check_door() stripped what the candidate typed but compared it with the
    stored code unstripped, and create_session()/update_session() stored the code as given
    (the API and the command line did not trim it, only the web form did). A code saved as
    "8848 " could never be matched: nobody could start, whatever they typed, and the message
    said the code was wrong. The stored code is now trimmed when saved."""
    world = ex.exam(access_code="8848 ")
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d", access_code="8848 ")
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_ending_an_attempt_the_candidate_handed_in_a_moment_before_says_so(world, monkeypatch):
    """Regression: end_attempt() checks the attempt, then finalize() locks it and returns
    it unchanged when it was handed in meanwhile. The invigilator was told the attempt was
    ended, and the reason they gave was kept nowhere."""
    from jingsai.exams.models import EndedBy

    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    services.finalize(attempt.pk, EndedBy.CANDIDATE)  # the hand-in wins the race
    monkeypatch.setattr(services, "finalize_if_due", lambda stale, now=None: stale)  # as read before it
    with pytest.raises(UserError) as refused:
        services.end_attempt(factories.actor(), attempt, reason="作弊")
    assert refused.value.code == "ended"
    attempt.refresh_from_db()
    assert attempt.ended_by == EndedBy.CANDIDATE


def test_an_exam_room_s_ipv4_range_admits_its_clients_seen_through_an_ipv6_socket():
    """Regression: a server listening on [::] sees an IPv4 client as ::ffff:10.1.2.3, which
    the range 10.1.0.0/16 did not contain: the whole room was refused."""
    world = ex.exam(n_candidates=2, ip_ranges="10.1.0.0/16")
    (inside, _entry), (outside, _other) = world["candidates"]
    attempt = services.start(inside, world["session"], device="d", ip="::ffff:10.1.2.3")
    assert attempt.status == AttemptStatus.IN_PROGRESS
    with pytest.raises(UserError):
        services.start(outside, world["session"], device="e", ip="::ffff:10.2.0.1")


def test_a_candidate_who_advances_mid_session_comes_back_to_the_same_attempt():
    """Regression: a session open to every stage takes each person's entry in the latest
    stage they have reached. Someone who started with their qualifier entry and advanced to
    the final meanwhile was a new candidate by their final entry: coming back started a
    second attempt, and they saw the paper twice."""
    w = ex.two_stage_exam()  # open to every stage
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    person = factories.person(employer=orgs["unit_a"])
    user = factories.user(person=person)
    factories.entry(competition, person, stage=qualifier)
    first = services.start(user, session, device="d")
    factories.entry(competition, person, stage=final)  # advanced while answering
    again = services.start(user, session, device="d")
    assert again.pk == first.pk
    assert Attempt.objects.filter(person=person).count() == 1
    (row,) = [row for row in services.attempt_progress(session) if row["person_id"] == person.pk]
    assert row["attempt_id"] == first.pk and row["state"] == AttemptStatus.IN_PROGRESS  # the live list shows it


def test_the_step_to_publicity_waits_for_anyone_still_answering_without_handing_them_in(world):
    """A start that raced the step into scoring leaves someone answering: the step to
    publicity says so and waits. It does not hand the attempt in itself, even when its time
    is up, so no score lands in the middle of that step."""
    from jingsai.competitions.models import Competition

    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    Competition.objects.filter(pk=world["competition"].pk).update(status="scoring")  # as if it raced the step
    past = attempt.started_at - datetime.timedelta(hours=3)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=past, accept_until=past)
    assert "1" in lifecycle.exams_graded(world["competition"])
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_extra_time_for_a_candidate_who_advanced_while_answering_reaches_their_attempt():
    """Someone who advances while answering stays the candidate they started as: the live
    list shows their earlier entry's number and stage, extra time given by it reaches the
    attempt, and the new entry's number is no second candidate of this session."""
    w = ex.two_stage_exam()  # open to every stage
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    person = factories.person(employer=orgs["unit_a"])
    user = factories.user(person=person)
    first = factories.entry(competition, person, stage=qualifier)
    attempt = services.start(user, session, device="d")
    later = factories.entry(competition, person, stage=final)
    (row,) = [row for row in services.attempt_progress(session) if row["person_id"] == person.pk]
    assert row["entry_id"] == first.pk and row["attempt_id"] == attempt.pk
    with pytest.raises(UserError):
        services.candidate_by_number(session, later.number, "final")
    services.set_allowance(factories.actor(), session, services.candidate_by_number(session, first.number),
                           15, reason="听障考生")
    before = attempt.deadline
    attempt.refresh_from_db()
    assert attempt.deadline == before + datetime.timedelta(minutes=15)



def _advanced_while_answering():
    """A session open to every stage; a worker starts with their qualifier entry (number 2)
    and is then given a final entry (number 1) while still answering."""
    w = ex.two_stage_exam()  # open to every stage
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    factories.entry(competition, factories.person(employer=orgs["unit_a"]), stage=qualifier, number=1)
    person = factories.person(employer=orgs["unit_a"])
    user = factories.user(person=person)
    qualifier_entry = factories.entry(competition, person, stage=qualifier, number=2)
    attempt = services.start(user, session, device="d")
    final_entry = factories.entry(competition, person, stage=final, number=1)  # advanced while answering
    invigilator = factories.user("jiankao_r3", role=Role.INVIGILATOR, competition=competition)
    client = ex.logged_in(invigilator)
    return {"competition": competition, "session": session, "person": person, "user": user,
            "attempt": attempt, "qualifier_entry": qualifier_entry, "final_entry": final_entry,
            "invigilator": invigilator, "client": client, "qualifier": qualifier, "final": final}


# ---------------------------------------------------------------- start() by person, the rest by entry


def test_changing_the_extra_time_of_a_candidate_who_advanced_does_not_count_it_twice():
    """Regression: with attempts found by person, extra time changed by the only entry the
    invigilator could name after the candidate advanced (the new one, whose allowance was
    0) moved the deadline by the whole new amount on top of what the earlier entry had
    given: 110 minutes in all instead of 90. The candidate now stays the entry they started
    with, and the live list names it."""
    w = ex.two_stage_exam(minutes=60)
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    person = factories.person(employer=orgs["unit_a"])
    user = factories.user(person=person)
    qualifier_entry = factories.entry(competition, person, stage=qualifier)
    services.set_allowance(factories.actor(), session, qualifier_entry, 20, reason="听障考生")
    attempt = services.start(user, session, device="d")
    assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=80)
    factories.entry(competition, person, stage=final)  # advanced while answering
    (row,) = [row for row in services.attempt_progress(session) if row["attempt_id"]]  # as the live list names them
    services.set_allowance(factories.actor(), session, Entry.objects.get(pk=row["entry_id"]), 30,
                           reason="听障考生，再加 10 分钟")
    attempt.refresh_from_db()
    assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=90)


def test_the_live_list_and_the_results_sheet_name_the_same_entry_and_stage_for_one_attempt():
    """Regression: with attempts found by person, the live list put the attempt of someone who
    advanced while answering on their new entry's row (市级决赛 1), while the results sheet
    and the attempts table named the attempt's own entry (区级选拔赛 2)."""
    w = _advanced_while_answering()
    rows = w["client"].get(f"/api/exams/sessions/{w['session'].pk}/monitor").json()["items"]
    (live,) = [r for r in rows if r["attempt"] == w["attempt"].pk]
    columns, sheet = services.session_results(w["session"])
    (result,) = [r for r in sheet if r[columns.index("姓名")] == w["person"].name]
    stage_name = {"qualifier": "区级选拔赛", "final": "市级决赛"}[live["stage"]]
    assert (live["entry"], stage_name) == (result[columns.index("参赛号")], result[columns.index("赛段")])
    assert live["entry_id"] == w["attempt"].entry_id


# ---------------------------------------------------------------- ending an attempt


def test_ending_an_attempt_another_invigilator_ended_a_moment_before_says_so():
    """Regression: end_attempt() told whether it had ended the attempt by `ended_by`. When
    another invigilator had ended it a moment before, the second was told it worked and
    their reason was kept nowhere. finalize() now says whether this call did the hand-in."""
    world = ex.exam(n_candidates=1)
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    first = factories.actor()
    services.finalize(attempt.pk, EndedBy.INVIGILATOR, actor=first, reason="使用手机")  # the other one won
    with pytest.raises(UserError) as refused:  # `attempt` as read before (what end_attempt's caller holds)
        services.end_attempt(factories.user("jiankao_b", role=Role.INVIGILATOR, competition=world["competition"]),
                             attempt, reason="代考")
    assert refused.value.code == "ended"
    assert not AttemptEvent.objects.filter(attempt=attempt, detail__reason="代考").exists()


# ---------------------------------------------------------------- exam room ranges


def test_an_exam_room_range_written_as_ipv4_mapped_ipv6_still_admits_its_clients():
    """Regression: once ::ffff:a.b.c.d was read as a.b.c.d, a room whose range was written the
    way the server logs its clients (::ffff:10.1.0.0/112) refused everyone: both forms of
    the address are tried now."""
    world = ex.exam(n_candidates=1, ip_ranges="::ffff:10.1.0.0/112")
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d", ip="::ffff:10.1.2.3")
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_a_component_a_theory_exam_records_into_cannot_be_removed_from_the_rules(world):
    """Regression: the competition's rules could drop the component a theory exam hands its
    scores to. Every hand-in of that exam then failed on recording the score, the attempt
    stayed in progress for ever, and the step to scoring waited on it with no word why."""
    import copy

    from jingsai.competitions import services as competitions
    from jingsai.core.errors import Rejected

    competition = world["competition"]
    raw = copy.deepcopy(competition.spec)
    assert world["session"].component in {c["key"] for c in raw["components"]}
    raw["components"] = [dict(c, weight="1") for c in raw["components"] if c["key"] != world["session"].component]
    for key in ("ranking", "awards"):  # rules that may name the dropped component
        raw.pop(key, None)
    with pytest.raises(Rejected) as refused:
        competitions.load_competition(factories.actor(), raw, check=False, reason="改赛制")
    assert any(p.code == "component_in_use" for p in refused.value.problems), refused.value.problems


def _borrowed_allowance():
    """Extra time given by the qualifier entry; the worker advances before starting and
    starts with the final entry. Regression: the start read the new entry's allowance only,
    and the 20 minutes were lost."""
    w = ex.two_stage_exam(minutes=60)
    person = factories.person(employer=w.orgs["unit_a"])
    user = factories.user(person=person)
    qualifier_entry = factories.entry(w.competition, person, stage=w.qualifier)
    services.set_allowance(factories.actor(), w.session, qualifier_entry, 20, reason="听障考生")
    final_entry = factories.entry(w.competition, person, stage=w.final)  # advanced before starting
    attempt = services.start(user, w.session, device="d")
    assert attempt.entry_id == final_entry.pk
    assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=80)
    return w, attempt


@pytest.mark.parametrize(("minutes", "total"), [(30, 90), (0, 60)])
def test_extra_time_taken_over_from_an_earlier_entry_changes_from_what_it_was(minutes, total):
    """Regression: the start took the qualifier entry's 20 minutes; changing the extra time
    by the entry the live list names (the final one) moved the deadline by the whole new
    amount, from that entry's own 0: 30 gave 60 + 20 + 30, and 0 could not take the 20
    back (the qualifier entry that holds them is no candidate to change)."""
    w, attempt = _borrowed_allowance()
    (row,) = [row for row in services.attempt_progress(w.session) if row["attempt_id"]]
    services.set_allowance(factories.actor(), w.session, Entry.objects.get(pk=row["entry_id"]), minutes,
                           reason="调整延时")
    attempt.refresh_from_db()
    assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=total)


def test_an_ipv4_client_is_admitted_by_a_range_written_in_ipv4_mapped_form():
    """Regression: Both forms are tried for a client seen as ::ffff:a.b.c.d, but a client seen as plain
    a.b.c.d (an IPv4-only listener, or a proxy's X-Forwarded-For) is refused by the same
    room's range written as ::ffff:10.1.0.0/112."""
    room = SimpleNamespace(ip_ranges="::ffff:10.1.0.0/112")
    assert services._client_allowed(room, "::ffff:10.1.2.3")
    assert services._client_allowed(room, "10.1.2.3")


def test_a_component_a_frozen_marking_scheme_records_into_cannot_be_removed():
    """Regression: the check looked at stored scores and exam sessions only: the practical
    component that judging is marking (frozen scheme, scores not yet written) could be
    dropped, and every later write of the judged scores then failed."""
    from django.utils import timezone

    from jingsai.competitions import services as competitions
    from jingsai.core.errors import Rejected
    from jingsai.judging.models import MarkingScheme, SchemeStatus

    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    MarkingScheme.objects.create(competition=competition, component="practical", status=SchemeStatus.FROZEN,
                                 frozen_at=timezone.now())
    raw = copy.deepcopy(competition.spec)
    raw["components"] = [dict(c, weight="1") for c in raw["components"] if c["key"] != "practical"]
    for key in ("ranking", "awards", "marking_scheme"):
        raw.pop(key, None)
    with pytest.raises(Rejected) as refused:
        competitions.load_competition(factories.actor(), raw, check=False, reason="改赛制")
    assert any(p.code == "component_in_use" for p in refused.value.problems), refused.value.problems


def test_someone_whose_entry_is_withdrawn_while_answering_stays_on_the_live_list(world):
    """Regression: the live list (page and API) was built from candidates() alone, so a
    person who had started and whose entry was then withdrawn vanished from it while their
    attempt ran on, out of the invigilator's sight and reach. They now stay, after the
    candidates, with their entry's status, and the invigilator can end the attempt."""
    from jingsai.registration import services as registration

    (user, entry), (_other, _e) = world["candidates"]
    # A qualifying theory exam may run before the competition is under way, while the host
    # can still withdraw entries.
    type(world["competition"]).objects.filter(pk=world["competition"].pk).update(status="registration_closed")
    attempt = services.start(user, world["session"], device="d1")
    registration.withdraw(factories.actor(), [entry], reason="本人申请退赛")
    rows = services.attempt_progress(world["session"])
    row = next(r for r in rows if r["attempt_id"] is not None)
    assert row["entry_id"] == entry.pk and row["state"] == "in_progress" and row["candidate"] is False
    assert [r["candidate"] for r in rows] == [True, False]  # after the candidates
    invigilator = world["invigilator"]
    client = ex.logged_in(invigilator)
    page = client.get(f"/work/exams/sessions/{world['session'].pk}/monitor/").content.decode()
    assert "报名状态：已退赛" in page and f"/attempts/{attempt.pk}/actions/" in page
    api_rows = client.get(f"/api/exams/sessions/{world['session'].pk}/monitor").json()["items"]
    assert [(r["entry_id"], r["entry_status"]) for r in api_rows if r["attempt"]] == [(entry.pk, "withdrawn")]
    ended = services.end_attempt(invigilator, attempt, reason="报名已撤回")
    assert ended.status != AttemptStatus.IN_PROGRESS and ended.ended_by == EndedBy.INVIGILATOR


# ---------------------------------------------------------------- from a review of the sitting (2026-12-07)


def test_an_access_code_typed_with_full_width_digits_lets_the_candidate_in():
    """Regression: the code was compared as typed, so "８８４８" from a Chinese input method
    in full-width mode was refused for "8848", as it is not at login or in the live list."""
    world = ex.exam(access_code="８８４８Ａb")
    assert world["session"].access_code == "8848Ab"  # stored in its plain form
    user, _entry = world["candidates"][0]
    with pytest.raises(UserError):
        services.start(user, world["session"], device="d", access_code="8848ab")  # still case-sensitive
    assert services.start(user, world["session"], device="d", access_code=" ８８４８Ａb").status == "in_progress"


def test_a_later_close_gives_a_candidate_capped_by_it_their_whole_duration_and_keeps_extra_time(world):
    """Regression: a change of the session's close or duration never reached the attempts
    already running (only a new grace period did): a candidate who started ten minutes
    before the close, capped at it, kept the old close when the organizer moved it an hour
    later (the start had been delayed); moved earlier, the candidates answered past it."""
    session = world["session"]
    (late, late_entry), (early, _e) = world["candidates"]
    organizer = ex.factories.actor()
    services.set_allowance(organizer, session, late_entry, 15, reason="视力障碍")
    started = session.closes_at - datetime.timedelta(minutes=10)
    capped = services.start(late, session, device="a", now=started)
    assert capped.deadline == session.closes_at + datetime.timedelta(minutes=15)
    whole = services.start(early, session, device="b")
    services.update_session(organizer, session, closes_at=session.closes_at + datetime.timedelta(hours=1),
                            reason="开考推迟")
    capped.refresh_from_db()
    assert capped.deadline == started + datetime.timedelta(minutes=60 + 15)  # the whole hour, and the extra time
    assert capped.accept_until == capped.deadline + datetime.timedelta(seconds=session.grace_seconds)
    assert Attempt.objects.get(pk=whole.pk).deadline == whole.deadline  # its hour was never capped: unchanged
    event = capped.events.get(kind=AttemptEvent.Kind.EXTEND)
    assert event.detail == {"reason": "开考推迟", "seconds": 50 * 60, "minutes": 50}
    # A close moved by less than whole minutes shows its seconds on the attempt's record.
    services.update_session(organizer, session, closes_at=started + datetime.timedelta(minutes=60, seconds=-30),
                            reason="提前收卷")
    assert Attempt.objects.get(pk=capped.pk).deadline == capped.deadline - datetime.timedelta(seconds=30)
    page = ex.logged_in(world["invigilator"]).get(f"/work/exams/attempts/{capped.pk}/").content.decode()
    assert "提前收卷 -30 秒" in page and "开考推迟 50 分钟" in page


def test_a_shorter_duration_reaches_the_running_attempts_but_never_ends_one_at_once(world):
    session = world["session"]
    (first, _e1), (second, _e2) = world["candidates"]
    now = timezone.now()
    type(session).objects.filter(pk=session.pk).update(opens_at=now - datetime.timedelta(hours=1))
    session.refresh_from_db()
    one = services.start(first, session, device="a", now=now - datetime.timedelta(minutes=20))
    two = services.start(second, session, device="b", now=now - datetime.timedelta(minutes=50))
    with pytest.raises(UserError) as refused:  # the second started 50 minutes ago: 45 would end it now
        services.update_session(ex.factories.actor(), session, duration_minutes=45, reason="改时长")
    assert refused.value.code == "no_time_left" and "1 名考生" in str(refused.value.message)
    session.refresh_from_db()
    assert session.duration_minutes == 60 and Attempt.objects.get(pk=two.pk).deadline == two.deadline
    services.update_session(ex.factories.actor(), session, duration_minutes=55, reason="改时长")
    assert Attempt.objects.get(pk=one.pk).deadline == one.deadline - datetime.timedelta(minutes=5)
    assert Attempt.objects.get(pk=two.pk).deadline == two.deadline - datetime.timedelta(minutes=5)


@pytest.mark.parametrize("body", ['{"token": 5}', '{"token": true}', "[1]", '"x"'])
@pytest.mark.parametrize("path", ["answers", "heartbeat", "submit"])
def test_a_body_that_is_not_an_object_or_a_token_that_is_not_text_is_refused_not_a_crash(world, body, path):
    """Regression: the attempt endpoints answered 500 to a JSON body that is not an object
    (a list, a string) sent without the token header, and to a token that is a number."""
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    client = Client(raise_request_exception=False)
    response = client.post(f"/api/exams/attempts/{attempt.pk}/{path}", body, content_type="application/json")
    assert response.status_code in (400, 403), response.status_code
    assert response.json()["detail"] in ("请求内容必须是 JSON 对象。", "答题凭证缺失或无效，请刷新考试页面。")


def test_odd_text_in_an_answer_is_stored_as_near_as_can_be_and_the_others_of_the_batch_with_it(world):
    """Regression: a position of Infinity was a 500, and an answer holding a NUL (which
    PostgreSQL's jsonb refuses) or half of a character (a lone surrogate, which cannot be
    encoded) was a 500 that sank the whole batch; the exam page would have sent that batch
    again for ever, saving nothing more. Now the NUL is dropped and the half character
    becomes U+FFFD."""
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    client = Client(raise_request_exception=False)
    url, token = f"/api/exams/attempts/{attempt.pk}/answers", services.attempt_token(attempt)
    response = client.post(url, '{"answers": [{"q": Infinity, "seq": 1, "r": "A"}]}',
                           content_type="application/json", HTTP_X_ATTEMPT_TOKEN=token)
    assert response.status_code == 400
    response = client.post(url, '{"answers": [{"q": 0, "seq": 1, "r": "A"}, {"q": 1, "seq": 1, "r": "a\\u0000b"},'
                                ' {"q": 2, "seq": 1, "r": ["x\\ud83d", "\\ud83d\\ude00"]}]}',
                           content_type="application/json", HTTP_X_ATTEMPT_TOKEN=token)
    assert response.status_code == 200, response.content
    stored = dict(attempt.answers.values_list("position", "response"))
    assert stored == {0: "A", 1: "ab", 2: ["x\ufffd", "😀"]}
