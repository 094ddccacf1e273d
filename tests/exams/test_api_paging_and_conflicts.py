"""The API: a question's PUT refuses a save made on content changed since (as the edit
page does), the live list comes a page at a time, and listing papers costs the same
number of queries however many papers there are."""

import pytest

from jingsai.core.models import AuditRecord
from jingsai.exams import services
from jingsai.exams.models import Question, QuestionVersion

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
