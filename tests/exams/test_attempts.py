"""Taking an exam: start, saves (idempotent, ordered by seq), resume after a restart,
one attempt per candidate, device changes, time-out with grace, invigilator actions."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from jingsai.core.errors import UserError
from jingsai.exams import services
from jingsai.exams.models import Answer, Attempt, AttemptEvent, AttemptStatus, EndedBy
from jingsai.results.models import ComponentScore
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return ex.exam(n_candidates=2)


def _start(world, index=0, **kwargs):
    user, _entry = world["candidates"][index]
    return user, services.start(user, world["session"], **kwargs)


def _save(attempt, position, seq, response, device=None, now=None):
    answers = [(position, seq, json.dumps(response, ensure_ascii=False))]
    return services.save_answers(attempt.pk, device or attempt.device, answers, now=now)


def _stored(attempt):
    return {a.position: (a.seq, a.response) for a in Answer.objects.filter(attempt=attempt)}


def test_start_draws_the_blueprint_and_stores_the_draw(world):
    _user, attempt = _start(world, device="dev-a", ip="10.0.0.5")
    items = list(attempt.items.select_related("version"))
    assert [i.version.type for i in items].count("single") == 4
    assert len(items) == attempt.item_count == 14
    assert len({i.version.question_id for i in items}) == 14
    assert attempt.max_score == 100
    assert attempt.deadline == attempt.started_at + datetime.timedelta(minutes=60)
    choice = next(i for i in items if i.version.type == "single")
    assert sorted(choice.option_order) == ["A", "B", "C", "D"]
    assert AttemptEvent.objects.filter(attempt=attempt, kind="start").exists()


def test_saves_are_idempotent_and_never_replaced_by_older_ones(world):
    _user, attempt = _start(world, device="dev-a")
    assert _save(attempt, 0, 1, "A") == 1
    assert _save(attempt, 0, 3, "C") == 1
    assert _save(attempt, 0, 2, "B") == 0  # late, out of order: ignored
    assert _save(attempt, 0, 3, "C") == 0  # resend of the stored one: accepted, nothing changes
    assert _stored(attempt) == {0: (3, "C")}
    services.save_answers(attempt.pk, attempt.device, [(1, 1, '["A","B"]'), (2, 1, "true")])
    assert _stored(attempt)[1] == (1, ["A", "B"])
    assert _stored(attempt)[2] == (1, True)


def test_a_save_from_another_device_or_after_the_grace_period_is_refused(world):
    _user, attempt = _start(world, device="dev-a")
    with pytest.raises(services.SaveRefused) as refused:
        _save(attempt, 0, 1, "A", device="dev-b")
    assert refused.value.code == "other_device"
    late = attempt.accept_until + datetime.timedelta(seconds=1)
    in_grace = attempt.deadline + datetime.timedelta(seconds=10)
    assert _save(attempt, 0, 1, "A", now=in_grace) == 1
    with pytest.raises(services.SaveRefused) as refused:
        _save(attempt, 1, 1, "A", now=late)
    assert refused.value.code == "closed"
    assert _stored(attempt) == {0: (1, "A")}


def test_resume_after_a_restart_gives_every_answer_and_the_true_time_left(world):
    user, attempt = _start(world, device="dev-a")
    _save(attempt, 0, 2, "B")
    _save(attempt, 3, 1, ["A", "D"])
    later = attempt.started_at + datetime.timedelta(minutes=25)
    again = services.start(user, world["session"], device="dev-a", now=later)
    assert again.pk == attempt.pk
    state = services.attempt_state(again, now=later)
    assert state["remaining_seconds"] == 35 * 60
    assert state["answers"] == {"0": {"response": "B", "seq": 2}, "3": {"response": ["A", "D"], "seq": 1}}
    assert [i["position"] for i in state["items"]] == list(range(14))


def test_one_attempt_per_candidate_and_a_second_device_is_recorded(world):
    user, attempt = _start(world, device="dev-a")
    second = services.start(user, world["session"], device="dev-b", ip="10.0.0.9")
    assert second.pk == attempt.pk
    assert Attempt.objects.filter(session=world["session"]).count() == 1
    assert second.device == "dev-b" and second.device_switches == 1
    assert AttemptEvent.objects.filter(attempt=attempt, kind="device").count() == 1
    with pytest.raises(services.SaveRefused):
        _save(second, 0, 1, "A", device="dev-a")
    assert _save(second, 0, 1, "A", device="dev-b") == 1


def test_the_window_the_access_code_and_the_network_are_checked(world):
    session = world["session"]
    services.update_session(ex.factories.actor(), session, access_code="8848", ip_ranges="10.1.0.0/16")
    session.refresh_from_db()
    user, _entry = world["candidates"][0]
    with pytest.raises(UserError, match=r"网络|network"):
        services.start(user, session, ip="192.168.1.3", access_code="8848")
    with pytest.raises(UserError) as wrong:
        services.start(user, session, ip="10.1.2.3", access_code="1234")
    assert wrong.value.code == "access_code"
    assert services.start(user, session, ip="10.1.2.3", access_code="8848").status == "in_progress"
    other, _entry = world["candidates"][1]
    with pytest.raises(UserError) as closed:
        services.start(other, session, ip="10.1.2.3", access_code="8848", now=session.closes_at)
    assert closed.value.code == "closed"


def test_people_who_are_not_candidates_cannot_start(world, make):
    stranger = make.user(person=make.person())
    with pytest.raises(UserError) as refused:
        services.start(stranger, world["session"])
    assert refused.value.code == "forbidden"


def test_time_out_submits_after_the_grace_period_with_the_answers_in_flight(world):
    _user, attempt = _start(world, device="dev-a")
    single = attempt.items.select_related("version").filter(version__type="single").first()
    right = next(k for k, f in single.version.answer.items() if f == "1")
    in_grace = attempt.deadline + datetime.timedelta(seconds=20)
    _save(attempt, single.position, 1, right, now=in_grace)
    assert services.sweep(now=in_grace) == 0
    assert services.sweep(now=attempt.accept_until + datetime.timedelta(seconds=1)) == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED  # no short answer was written: nothing to grade
    assert attempt.ended_by == EndedBy.TIMEOUT
    assert attempt.score == single.points
    score = ComponentScore.objects.get(entry=attempt.entry, component="theory")
    assert score.value == single.points and score.source == "exam"
    assert services.sweep(now=attempt.accept_until + datetime.timedelta(minutes=5)) == 0


def test_reading_an_overdue_attempt_finalizes_it(world):
    user, attempt = _start(world, device="dev-a")
    later = attempt.accept_until + datetime.timedelta(seconds=5)
    again = services.start(user, world["session"], device="dev-a", now=later)
    assert again.status != AttemptStatus.IN_PROGRESS
    assert again.ended_by == EndedBy.TIMEOUT


def test_extra_time_extension_and_ending_are_recorded_with_reasons(world):
    _user, entry = world["candidates"][0]
    invigilator = world["invigilator"]
    services.set_allowance(invigilator, world["session"], entry, 15, reason="视力障碍")
    _user, attempt = _start(world, device="dev-a")
    assert attempt.deadline == attempt.started_at + datetime.timedelta(minutes=75)
    with pytest.raises(UserError):
        services.extend(invigilator, attempt, 10, reason="")
    attempt = services.extend(invigilator, attempt, 10, reason="断电十分钟")
    assert attempt.deadline == attempt.started_at + datetime.timedelta(minutes=85)
    assert attempt.accept_until == attempt.deadline + datetime.timedelta(seconds=30)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + datetime.timedelta(minutes=30))
    with pytest.raises(UserError, match="收卷"):  # taking back more than is left: end it instead
        services.extend(invigilator, attempt, -30, reason="多加了")
    attempt = services.extend(invigilator, attempt, -29, reason="多加了")
    assert attempt.status == "in_progress" and attempt.deadline > timezone.now()
    ended = services.end_attempt(invigilator, attempt, reason="违纪：使用手机")
    assert ended.ended_by == EndedBy.INVIGILATOR
    kinds = list(AttemptEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert kinds == ["start", "extend", "extend", "end"]


def test_monitor_rows_show_progress_and_lost_connections(world):
    _user, attempt = _start(world, device="dev-a")
    _save(attempt, 0, 1, "A")
    _save(attempt, 1, 1, ["A"])
    Attempt.objects.filter(pk=attempt.pk).update(last_seen_at=timezone.now() - datetime.timedelta(minutes=3))
    Answer.objects.filter(attempt=attempt).update(saved_at=timezone.now() - datetime.timedelta(minutes=3))
    rows = services.attempt_progress(world["session"])
    assert len(rows) == 2
    taking = next(r for r in rows if r["attempt_id"])
    assert taking["answered"] == 2 and taking["connection_lost"]
    assert 0 < taking["remaining"] <= 3600
    assert next(r for r in rows if not r["attempt_id"])["state"] == "absent"


def test_the_api_flow_survives_a_new_client(world):
    user, _entry = world["candidates"][0]
    first = Client()
    first.force_login(user)
    started = first.post(f"/api/exams/sessions/{world['session'].pk}/start", {"device": "phone-1"},
                         content_type="application/json").json()
    token, attempt_id = started["token"], started["attempt"]
    url = f"/api/exams/attempts/{attempt_id}/answers"
    body = {"answers": [{"q": 0, "seq": 1, "r": "A"}, {"q": 5, "seq": 1, "r": ["B", "C"]}]}
    saved = Client().post(url, body, content_type="application/json", HTTP_X_ATTEMPT_TOKEN=token)
    assert saved.status_code == 200 and saved.json()["saved"] == [0, 5]
    stale = Client().post(url, {"answers": [{"q": 0, "seq": 1, "r": "D"}]}, content_type="application/json",
                          HTTP_X_ATTEMPT_TOKEN=token)
    assert stale.status_code == 200
    forged = Client().post(url, body, content_type="application/json", HTTP_X_ATTEMPT_TOKEN=token + "x")
    assert forged.status_code == 403
    second = Client()  # the server restarted, the phone reloads: a new client, same device
    second.force_login(user)
    resumed = second.post(f"/api/exams/sessions/{world['session'].pk}/start", {"device": "phone-1"},
                          content_type="application/json").json()
    assert resumed["attempt"] == attempt_id
    assert resumed["answers"]["0"] == {"response": "A", "seq": 1}
    assert 3590 <= resumed["remaining_seconds"] <= 3600
    beat = Client().post(f"/api/exams/attempts/{attempt_id}/heartbeat", {"token": resumed["token"]},
                         content_type="application/json").json()
    assert beat["status"] == "in_progress" and beat["this_device"]
    done = Client().post(f"/api/exams/attempts/{attempt_id}/submit", {}, content_type="application/json",
                         HTTP_X_ATTEMPT_TOKEN=resumed["token"])
    assert done.json()["status"] == "graded"
    late = Client().post(url, {"answers": [{"q": 1, "seq": 1, "r": "A"}]}, content_type="application/json",
                         HTTP_X_ATTEMPT_TOKEN=resumed["token"])
    assert late.status_code == 400 and late.json()["code"] == "closed"


def test_a_late_hand_in_is_a_time_out_and_counts_only_answers_saved_in_time(world):
    user, attempt = _start(world, device="dev-a")
    single = attempt.items.select_related("version").filter(version__type="single").order_by("position")
    first, second = single[0], single[1]
    right = {i.pk: next(k for k, f in i.version.answer.items() if f == "1") for i in (first, second)}
    in_grace = attempt.deadline + datetime.timedelta(seconds=10)
    late = attempt.accept_until + datetime.timedelta(minutes=2)
    _save(attempt, first.position, 1, right[first.pk], now=in_grace)
    with pytest.raises(services.SaveRefused):
        _save(attempt, second.position, 1, right[second.pk], now=late)
    done = services.submit(user, attempt, device="dev-a", now=late)
    assert done.ended_by == EndedBy.TIMEOUT
    assert done.objective_score == first.points
    assert list(AttemptEvent.objects.filter(attempt=attempt).values_list("kind", flat=True)) == ["start", "timeout"]


def test_a_hand_in_before_the_deadline_is_the_candidates_and_one_after_it_a_time_out(world):
    """The exam page hands in by itself at time-up, within the grace period: that is the
    time-out, not the candidate's own hand-in (as the results export and their page say)."""
    user, attempt = _start(world, device="dev-a")
    done = services.submit(user, attempt, device="dev-a", now=attempt.deadline - datetime.timedelta(seconds=5))
    assert done.ended_by == EndedBy.CANDIDATE
    user, attempt = _start(world, device="dev-b", index=1)
    done = services.submit(user, attempt, device="dev-b", now=attempt.deadline + datetime.timedelta(seconds=5))
    assert done.ended_by == EndedBy.TIMEOUT and done.status != "in_progress"


def test_a_late_start_ends_when_the_window_closes_and_extra_time_moves_what_the_candidate_sees(world):
    session = world["session"]
    start = session.closes_at - datetime.timedelta(minutes=10)
    _user, attempt = _start(world, device="dev-a", now=start)
    assert attempt.deadline == session.closes_at  # 10 minutes, not the paper's 60
    assert services.remaining_seconds(attempt, start) == 600
    attempt = services.extend(world["invigilator"], attempt, 5, reason="网络中断五分钟")
    later = start + datetime.timedelta(minutes=2)
    assert services.remaining_seconds(attempt, later) == 13 * 60


def _png(marker):
    return b"\x89PNG\r\n\x1a\n" + marker.encode() * 8


def test_the_attempt_shows_pictures_in_order_with_queries_that_do_not_grow_with_the_paper():
    """attempt_state() works out every item's pictures and section title for the whole
    paper at once; each item still shows its own pictures, in the author's order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jingsai.exams.content import ImageData

    orgs = ex.factories.tree()
    competition = ex.factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    ex.fill_bank(bank, per_type=4, kps=("焊接安全",))
    pictured = services.add_question(ex.factories.actor(), bank, ex.question(
        "judge", stem="看图判断", images=[ImageData("z.png", _png("z")), ImageData("a.png", _png("a"))]))
    plain = services.add_question(ex.factories.actor(), bank, ex.question("single", stem="无图"))
    paper = ex.paper(competition, bank, [
        {"type": "judge", "points": "5", "questions": [pictured.number], "title": "看图题"},
        {"type": "single", "points": "5", "questions": [plain.number]},
    ], kind="fixed")
    session = ex.session(competition, paper)
    user, _entry = ex.candidate(competition, employer=orgs["unit_a"])
    attempt = services.start(user, session, device="dev-a")
    stored = [image.pk for image in pictured.current.pictures()]
    state = services.attempt_state(attempt, image_url=lambda pk: f"/img/{pk}")
    by_stem = {item["stem"]: item for item in state["items"]}
    assert by_stem["看图判断"]["images"] == [f"/img/{pk}" for pk in stored]
    assert [pictured.current.images.get(pk=pk).name for pk in stored] == ["z.png", "a.png"]
    assert by_stem["无图"]["images"] == []
    assert by_stem["看图判断"]["section"] == "看图题"
    assert by_stem["无图"]["section"] == "单选"

    with CaptureQueriesContext(connection) as small:
        services.attempt_state(attempt)
    big_session = ex.session(competition, ex.paper(competition, bank))
    other, _entry = ex.candidate(competition, employer=orgs["unit_a"])  # a candidate sits the exam once
    big = Attempt.objects.select_related("session").get(pk=services.start(other, big_session, device="dev-b").pk)
    with CaptureQueriesContext(connection) as large:
        services.attempt_state(big)
    assert big.item_count > attempt.item_count
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_first_view_of_a_new_attempt_shows_what_was_stored_without_reading_it_back(world):
    """start() keeps the items it drew for the attempt's first view; that view is the one
    read back from the database, and later views read the database again. The first view
    does not look for answers either: none can have come before it gave out the token."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _user, attempt = _start(world, device="dev-a")
    with CaptureQueriesContext(connection) as first:
        fresh = services.attempt_state(attempt)
    assert not any("exams_attemptitem" in query["sql"] for query in first.captured_queries)
    assert not any("exams_answer" in query["sql"] for query in first.captured_queries)
    assert fresh["answers"] == {}
    _save(attempt, 0, 1, "A", device="dev-a")
    with CaptureQueriesContext(connection) as again:
        stored = services.attempt_state(Attempt.objects.get(pk=attempt.pk))
    assert any("exams_attemptitem" in query["sql"] for query in again.captured_queries)
    assert stored["answers"] == {"0": {"response": "A", "seq": 1}}
    assert fresh["items"] == stored["items"]
    assert len(fresh["items"]) == attempt.item_count > 0
    assert services.attempt_state(attempt)["items"] == stored["items"]  # read back this time


def test_the_attempt_shows_each_item_as_drawn_and_stored(world):
    """attempt_state() reads the items as plain values; what it shows is what the stored
    items, versions and sections say, item by item (options in the drawn order, blanks,
    points, section titles), and an item whose section was removed still shows."""
    from jingsai.exams.models import AttemptItem

    _user, attempt = _start(world, device="dev-a")
    stored = list(AttemptItem.objects.filter(attempt=attempt).select_related("version", "section"))
    assert [view["position"] for view in services.attempt_state(attempt)["items"]] == list(range(len(stored)))
    assert services.attempt_state(attempt)["items"] == services.item_views(stored)
    fill = next(item for item in stored if item.version.type == "fill")
    assert services.attempt_state(attempt)["items"][fill.position]["blanks"] == len(fill.version.answer) > 0
    shuffled = next(item for item in stored if len(item.option_order) > 1)
    shown = services.attempt_state(attempt)["items"][shuffled.position]["options"]
    assert [option["key"] for option in shown] == shuffled.option_order
    AttemptItem.objects.filter(pk=shuffled.pk).update(section=None)
    assert services.attempt_state(attempt)["items"][shuffled.position]["section"] == ""


def _indexes(table):
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: tuple(c["columns"]) for name, c in constraints.items()
            if (c["index"] or c["unique"]) and not c["primary_key"]}


def test_the_tables_a_start_and_a_save_write_carry_no_index_they_do_not_need():
    # A start stores a whole paper of items at once and every save writes an answer: each
    # index is work then. Lookups by attempt use the unique (attempt, position) index;
    # the grading queue has a partial index that a drawn item enters only if a grader
    # must mark it.
    items = _indexes("exams_attemptitem")
    by_attempt = [name for name, columns in items.items() if columns == ("attempt_id",)]
    assert by_attempt == ["attemptitem_awaiting_grading"]
    assert ("attempt_id", "position") in items.values()
    assert len(items) == 4  # besides the primary key: (attempt, position), section, version, awaiting grading
    assert list(_indexes("exams_answer").values()) == [("attempt_id", "position")]


def test_extra_time_given_after_the_time_is_up_hands_the_attempt_in_and_does_not_reopen_it(world):
    """The candidate's time and grace ran out while nothing swept: extra time set now must
    not move the deadline into the future and let saves in again."""
    _user, entry = world["candidates"][0]
    _user, attempt = _start(world, device="dev-a")
    past = timezone.now() - datetime.timedelta(minutes=10)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=past, accept_until=past + datetime.timedelta(seconds=30))
    services.set_allowance(world["invigilator"], world["session"], entry, 15, reason="视力障碍")
    attempt.refresh_from_db()
    assert attempt.status != AttemptStatus.IN_PROGRESS and attempt.ended_by == EndedBy.TIMEOUT
    assert attempt.accept_until < timezone.now()
    with pytest.raises(services.SaveRefused):
        _save(attempt, 0, 1, "A")
    with pytest.raises(UserError):  # and an extension cannot reopen it either
        services.extend(world["invigilator"], attempt, 10, reason="断电")


def test_a_session_for_every_stage_counts_an_advanced_worker_once_at_their_latest_stage():
    from tests import factories

    w = ex.two_stage_exam()  # no stage: every stage sits it
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    advanced, stayed = factories.person(employer=orgs["unit_a"]), factories.person(employer=orgs["unit_a"])
    factories.entry(competition, advanced, stage=qualifier)
    in_final = factories.entry(competition, advanced, stage=final)
    stayed_entry = factories.entry(competition, stayed, stage=qualifier)
    assert set(services.candidates(session)) == {in_final, stayed_entry}
    assert services.candidate_entry(session, advanced.pk) == in_final
    assert len(services.attempt_progress(session)) == 2


def test_the_sweep_goes_on_past_an_attempt_it_cannot_hand_in(world, monkeypatch):
    _user, first = _start(world, 0, device="dev-a")
    _user, second = _start(world, 1, device="dev-b")
    past = timezone.now() - datetime.timedelta(minutes=1)
    Attempt.objects.filter(pk=first.pk).update(accept_until=past - datetime.timedelta(seconds=1))
    Attempt.objects.filter(pk=second.pk).update(accept_until=past)
    real = services._push_score

    def refuse_the_first(attempt, actor):
        if attempt.pk == first.pk:
            raise UserError("此阶段成绩已定稿。")
        return real(attempt, actor)

    monkeypatch.setattr(services, "_push_score", refuse_the_first)
    assert services.sweep() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == AttemptStatus.IN_PROGRESS  # rolled back whole, tried again at the next sweep
    assert second.status != AttemptStatus.IN_PROGRESS and second.ended_by == EndedBy.TIMEOUT


def test_a_cleared_answer_is_stored_as_empty_and_not_counted_as_answered(world):
    _user, attempt = _start(world, device="dev-a")
    payload = {"answers": [{"q": 0, "seq": 1, "r": "A"}, {"q": 1, "seq": 1, "r": []}, {"q": 2, "seq": 1, "r": "  "},
                           {"q": 3, "seq": 1, "r": ["", " "]}, {"q": 4, "seq": 1, "r": False}]}
    services.save_answers(attempt.pk, "dev-a", services.parse_answers(payload))
    assert {p: r for p, (_s, r) in _stored(attempt).items()} == {0: "A", 1: None, 2: None, 3: None, 4: False}
    row = next(r for r in services.attempt_progress(world["session"]) if r["attempt_id"])
    assert row["answered"] == 2
    services.save_answers(attempt.pk, "dev-a", services.parse_answers({"answers": [{"q": 0, "seq": 2, "r": []}]}))
    row = next(r for r in services.attempt_progress(world["session"]) if r["attempt_id"])
    assert row["answered"] == 1
    ended = services.end_attempt(world["invigilator"], attempt, reason="测试")
    assert AttemptEvent.objects.get(attempt=ended, kind="end").detail["answered"] == 1


def test_the_live_list_is_shared_for_a_few_seconds_but_shows_starts_and_hand_ins_at_once(world):
    """Every invigilator of a hall refreshes the same list every five seconds: live_list()
    computes it once for all of them for LIVE_LIST_SECONDS. A save may show that late; a
    start, extra time and a hand-in show at once, and the time left is always as of now."""
    (first, _e1), (second, _e2) = world["candidates"]
    attempt = services.start(first, world["session"], device="d1")
    now = timezone.now()
    rows = services.live_list(world["session"], now=now)
    assert [r["answered"] for r in rows if r["attempt_id"]] == [0]
    _save(attempt, 0, 1, "A")
    later = now + datetime.timedelta(seconds=2)
    (shared,) = [r for r in services.live_list(world["session"], now=later) if r["attempt_id"]]
    assert shared["answered"] == 0  # computed before the save, and shared
    assert shared["remaining"] == max(0, int((attempt.deadline - later).total_seconds()))  # the time is as of now
    assert [r["answered"] for r in services.attempt_progress(world["session"]) if r["attempt_id"]] == [1]
    services.start(second, world["session"], device="d2")
    rows = services.live_list(world["session"])
    assert sorted(r["state"] for r in rows) == ["in_progress", "in_progress"]  # the start shows at once
    assert [r["answered"] for r in rows if r["attempt_id"] == attempt.pk] == [1]
    services.extend(world["invigilator"], attempt, 10, reason="停电")
    attempt.refresh_from_db()
    (extended,) = [r for r in services.live_list(world["session"]) if r["attempt_id"] == attempt.pk]
    assert extended["deadline"] == attempt.deadline
    services.submit(first, attempt, device="d1")
    (handed_in,) = [r for r in services.live_list(world["session"]) if r["attempt_id"] == attempt.pk]
    assert handed_in["state"] != "in_progress" and handed_in["remaining"] is None


def test_without_redis_every_server_process_shares_the_live_list(world, tmp_path, monkeypatch):
    """Without Redis the cache is files under var/ (see the settings), which every server
    process of the machine reads: a list one process computed, another serves; a start in
    one shows at once in the other. Two cache objects over one folder stand for the two
    processes (each process's own memory, as before, failed both)."""
    from django.core.cache.backends.filebased import FileBasedCache

    one, two = (FileBasedCache(str(tmp_path / "cache"), {}) for _process in range(2))
    (first, _e1), (second, _e2) = world["candidates"]
    attempt = services.start(first, world["session"], device="d1")
    monkeypatch.setattr(services, "cache", one)
    assert [r["answered"] for r in services.live_list(world["session"]) if r["attempt_id"]] == [0]
    _save(attempt, 0, 1, "A")
    monkeypatch.setattr(services, "cache", two)
    assert [r["answered"] for r in services.live_list(world["session"]) if r["attempt_id"]] == [0]  # one's list
    services.start(second, world["session"], device="d2")
    monkeypatch.setattr(services, "cache", one)
    rows = services.live_list(world["session"])
    assert sorted(r["state"] for r in rows) == ["in_progress", "in_progress"]  # two's start, at once
    assert [r["answered"] for r in rows if r["attempt_id"] == attempt.pk] == [1]


def test_a_hand_in_and_the_live_list_do_not_depend_on_the_cache_being_up(world, monkeypatch):
    """Regression: the live list's version is bumped in the hand-in's transaction; with the
    cache (Redis) down, that raised, and the hand-in rolled back."""
    from django.core.cache import cache

    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d1")

    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    for name in ("get", "set", "incr"):
        monkeypatch.setattr(cache, name, down)
    handed_in = services.submit(user, attempt, device="d1")
    assert handed_in.status != AttemptStatus.IN_PROGRESS
    rows = services.live_list(world["session"])
    assert [r["state"] for r in rows if r["attempt_id"]] == [handed_in.status]


def test_the_live_list_finds_an_entry_number_and_not_every_unit_with_those_digits():
    rows = [{"number": 17, "name": "王五", "unit": "第一车间"}, {"number": 3, "name": "李四", "unit": "17号车间"},
            {"number": 170, "name": "张三", "unit": "机修车间"}]
    assert [r["number"] for r in services.find_in_live_list(rows, "17")] == [17]
    assert [r["number"] for r in services.find_in_live_list(rows, " 017 ")] == [17]
    assert [r["number"] for r in services.find_in_live_list(rows, "１７")] == [17]  # typed full-width
    assert [r["number"] for r in services.find_in_live_list(rows, "17号")] == [3]
    assert [r["number"] for r in services.find_in_live_list(rows, "张")] == [170]
    assert services.find_in_live_list(rows, "") == rows


def test_a_start_and_extra_time_are_not_reported_failed_when_their_time_out_cannot_be_queued(
        world, monkeypatch, django_capture_on_commit_callbacks):
    """Regression: the time-out task is queued after the start (or the extra time) commits;
    with the queue (Redis) down that raised, and the candidate got an error for a start that
    had happened (a retry then counted as a second device), the invigilator for extra time
    already given (a retry added it twice). The sweep hands the attempt in on time anyway."""
    from types import SimpleNamespace

    from django_tasks import default_task_backend

    from jingsai.exams import tasks

    def down(*args, **kwargs):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(default_task_backend, "supports_defer", True)
    monkeypatch.setattr(tasks, "finalize_task", SimpleNamespace(using=lambda **kw: SimpleNamespace(enqueue=down)))
    user, _entry = world["candidates"][0]
    with django_capture_on_commit_callbacks(execute=True):
        attempt = services.start(user, world["session"], device="d1")
    with django_capture_on_commit_callbacks(execute=True):
        services.extend(world["invigilator"], attempt, 10, reason="停电")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=world["session"].duration_minutes + 10)
