"""The API: a question's PUT refuses a save made on content changed since (as the edit
page does), the live list comes a page at a time, and listing papers costs the same
number of queries however many papers there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jingsai.core.models import AuditRecord
from jingsai.exams import services
from jingsai.exams.models import Question, QuestionVersion
from tests import factories

from . import factories as ex

pytestmark = pytest.mark.django_db


def _body(question, **changes):
    current = question.current
    return {"type": current.type, "stem": current.stem, "options": [o["text"] for o in current.options],
            "answer": current.answer, "knowledge_point": current.knowledge_point.name,
            "difficulty": current.difficulty, "explanation": current.explanation, **changes}


def _put(client, question, body, **headers):
    return client.put(f"/api/exams/questions/{question.pk}", body, content_type="application/json", **headers)


@pytest.fixture
def edited():
    """An organizer's client, a question of the bank as the organizer read it through the
    API, and the same question changed by someone else since."""
    world = ex.exam_with_organizer_client()
    client = world["client"]
    question = Question.objects.filter(bank=world["bank"], type="single").order_by("number").first()
    read = client.get(f"/api/exams/questions/{question.pk}")
    assert read.status_code == 200, read.content
    data = services.question_data(question.current)
    data.explanation = "别人的解析"
    services.edit_question(None, question, data)
    return client, Question.objects.get(pk=question.pk), read


def test_a_question_s_get_gives_its_digest_as_a_field_and_an_etag():
    world = ex.exam_with_organizer_client()
    question = Question.objects.filter(bank=world["bank"]).first()
    read = world["client"].get(f"/api/exams/questions/{question.pk}")
    digest = services.question_digest(question.current)
    assert read.json()["digest"] == digest
    assert read["ETag"] == f'"{digest}"'


def test_a_put_with_an_if_match_of_changed_content_is_refused_with_412(edited):
    """Regression: the API's PUT had no stale-edit check; a client that read a question,
    then saved its change over someone else's later one, silently undid theirs."""
    client, question, read = edited
    records = AuditRecord.objects.count()
    refused = _put(client, question, _body(question, stem="我的题干", explanation=""), HTTP_IF_MATCH=read["ETag"])
    assert refused.status_code == 412, refused.content
    assert refused.json()["code"] == "stale"
    assert "已有他人修改了它" in refused.json()["detail"]  # in the user's language
    question.refresh_from_db()
    assert question.current.explanation == "别人的解析" and question.current.stem != "我的题干"
    assert AuditRecord.objects.count() == records


def test_a_put_with_a_base_of_changed_content_is_refused_with_409(edited):
    client, question, read = edited
    refused = _put(client, question, _body(question, stem="我的题干", base=read.json()["digest"]))
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "stale"
    assert "已有他人修改了它" in refused.json()["detail"]
    assert Question.objects.get(pk=question.pk).current.stem != "我的题干"


def test_a_put_on_the_current_content_is_saved_and_answers_the_new_digest(edited):
    client, question, _read = edited
    fresh = client.get(f"/api/exams/questions/{question.pk}")
    saved = _put(client, question, _body(question, stem="我的题干"), HTTP_IF_MATCH=fresh["ETag"])
    assert saved.status_code == 200, saved.content
    question.refresh_from_db()
    assert question.current.stem == "我的题干" and question.current.explanation == "别人的解析"
    assert saved.json()["digest"] == services.question_digest(question.current) != fresh.json()["digest"]
    assert saved["ETag"] == f'"{saved.json()["digest"]}"'
    # The digest it answered is good for the next save, as a base this time; the old one is not.
    again = _put(client, question, _body(question, stem="再改", base=saved.json()["digest"]))
    assert again.status_code == 200, again.content
    stale = _put(client, question, _body(question, stem="三改", base=saved.json()["digest"]))
    assert stale.status_code == 409, stale.content


def test_if_match_and_base_must_both_name_the_current_content(edited):
    client, question, read = edited
    current = client.get(f"/api/exams/questions/{question.pk}")
    one_stale = _put(client, question, _body(question, stem="我的题干", base=read.json()["digest"]),
                     HTTP_IF_MATCH=current["ETag"])
    assert one_stale.status_code == 412, one_stale.content
    several = _put(client, question, _body(question, stem="我的题干"),
                   HTTP_IF_MATCH=f'{read["ETag"]}, W/{current["ETag"]}')
    assert several.status_code == 200, several.content


def test_a_put_without_a_digest_is_still_saved(edited):
    """The choice documented on the endpoint: scripts that put a question without reading
    it first keep working (the save is made on whatever is there)."""
    client, question, _read = edited
    for headers in ({}, {"HTTP_IF_MATCH": "*"}):
        saved = _put(client, question, _body(question, stem=f"无条件{len(headers)}"), **headers)
        assert saved.status_code == 200, saved.content
    assert QuestionVersion.objects.get(pk=Question.objects.get(pk=question.pk).current_id).stem == "无条件1"


# ---------------------------------------------------------------- the live list, a page at a time


def test_the_live_list_api_comes_a_page_at_a_time_with_the_whole_hall_s_counts():
    """Regression: the API's live list gave every candidate in one answer, polled every few
    seconds: at 2,000 candidates a big answer for each invigilator each time. It is paged as
    the other lists are (page, page_size; items and count), and `totals` still counts the
    whole hall, whatever the page and the filters."""
    world = ex.exam(n_candidates=5)
    (first, _e), (second, second_entry), *_rest = world["candidates"]
    services.start(first, world["session"], device="d1")
    services.submit(second, services.start(second, world["session"], device="d2"), device="d2")
    client = ex.logged_in(world["invigilator"])
    url = f"/api/exams/sessions/{world['session'].pk}/monitor"
    whole = {"absent": 3, "in_progress": 1, "lost": 0, "handed_in": 1, "elsewhere": 0}
    pages = [client.get(url, {"page": n, "page_size": 2}).json() for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all(p["count"] == 5 and p["totals"] == whole for p in pages), pages
    every = [row["entry_id"] for p in pages for row in p["items"]]
    assert sorted(every) == sorted(entry.pk for _u, entry in world["candidates"])
    # Without page_size, the same 100 rows a page as the page shows and the other lists give.
    first_page = client.get(url).json()
    assert [row["entry_id"] for row in first_page["items"]] == every and first_page["count"] == 5
    # The filters keep their rows and their count; the totals stay the hall's.
    handed_in = client.get(url, {"group": "handed_in"}).json()
    assert [row["entry_id"] for row in handed_in["items"]] == [second_entry.pk]
    assert handed_in["count"] == 1 and handed_in["totals"] == whole
    found = client.get(url, {"q": str(second_entry.number)}).json()
    assert found["count"] == 1 and found["totals"] == whole
    past = client.get(url, {"page": 4, "page_size": 2}).json()
    assert past["items"] == [] and past["count"] == 5
    assert client.get(url, {"page_size": 0}).status_code == 422


# ---------------------------------------------------------------- papers, listed


def _papers_listed(client, competition):
    with CaptureQueriesContext(connection) as queries:
        listed = client.get("/api/exams/papers", {"competition": competition.code})
    assert listed.status_code == 200, listed.content
    return listed.json(), len(queries)


def test_listing_papers_costs_the_same_queries_for_one_paper_as_for_five():
    """Regression: each paper listed read its sections, its total, its fixed questions'
    numbers and the bank's whole question pool again (PaperOut's resolvers): listing N
    papers made N times the queries. They are read once for the whole list, whatever the
    number of papers and of their banks: here 1 and then 5 blueprints, and 1 and then 5
    fixed papers (of another competition), some of each short of questions now."""
    world = ex.exam_with_organizer_client()
    client, bank, union = world["client"], world["bank"], world["orgs"]["union"]
    other_bank = ex.bank(owner=union, occupation="6-18-02-05")
    ex.fill_bank(other_bank, per_type=3)
    numbers = list(Question.objects.filter(bank=bank, type="single").order_by("number")
                   .values_list("number", flat=True))
    blueprints = world["competition"]  # the world's paper is a blueprint
    fixed = factories.competition(host=union, status="in_progress")
    ex.paper(fixed, bank, kind="fixed", sections=[{"type": "single", "points": "10", "questions": numbers[:3]}])
    one_blueprint, queries_for_one_blueprint = _papers_listed(client, blueprints)
    one_fixed, queries_for_one_fixed = _papers_listed(client, fixed)
    assert len(one_blueprint) == len(one_fixed) == 1

    ex.paper(blueprints, bank, sections=[{"type": "judge", "count": 3, "points": "2"}])
    ex.paper(blueprints, other_bank)
    short_blueprint = ex.paper(blueprints, other_bank, sections=[{"type": "short", "count": 6, "points": "1"}])
    ex.paper(blueprints, other_bank, sections=[{"type": "fill", "count": 2, "points": "5"}])
    services.set_question_active(None, Question.objects.filter(bank=other_bank, type="short").first(), False)
    ex.paper(fixed, bank, kind="fixed", sections=[{"type": "single", "points": "5", "questions": numbers[3:5]}])
    short_fixed = ex.paper(fixed, bank, kind="fixed", sections=[
        {"type": "single", "points": "5", "questions": numbers[5:7]}])
    services.set_question_active(None, Question.objects.get(bank=bank, number=numbers[6]), False)
    other_numbers = list(Question.objects.filter(bank=other_bank, type="judge").values_list("number", flat=True))
    ex.paper(fixed, other_bank, kind="fixed", sections=[{"type": "judge", "points": "5", "questions": other_numbers}])
    ex.paper(fixed, other_bank, kind="fixed", sections=[
        {"type": "judge", "points": "5", "questions": other_numbers[:2]}])
    five_blueprints, queries_for_five_blueprints = _papers_listed(client, blueprints)
    five_fixed, queries_for_five_fixed = _papers_listed(client, fixed)
    assert len(five_blueprints) == len(five_fixed) == 5
    assert queries_for_five_blueprints == queries_for_one_blueprint
    assert queries_for_five_fixed == queries_for_one_fixed
    # What each says is what the paper's own endpoint says, and the shortages are each paper's own.
    for listed in five_blueprints + five_fixed:
        assert listed == client.get(f"/api/exams/papers/{listed['id']}").json()
    assert [p["id"] for p in five_blueprints if p["shortages"]] == [short_blueprint.pk]
    assert [p["id"] for p in five_fixed if p["shortages"]] == [short_fixed.pk]
    by_id = {p["id"]: p for p in five_fixed}
    assert str(numbers[6]) in by_id[short_fixed.pk]["shortages"][0]
    assert by_id[short_fixed.pk]["sections"][0]["questions"] == numbers[5:7]
    assert sorted(p["sections"][0]["questions"] for p in five_fixed) == sorted(
        [numbers[:3], numbers[3:5], numbers[5:7], other_numbers, other_numbers[:2]])
