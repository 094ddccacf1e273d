"""The exams app in the access matrix.

"in": a question bank owned by district A (open for practice), and competition EX-A of
district A whose invigilator and grader are the matrix's; the worker is a candidate there,
with an attempt running, a graded-later attempt holding a short answer, a practice round
and a wrong answer. "out": the same in district B, for another worker; B's bank is closed
to practice. Answer saves, heartbeats and hand-ins are authorised by the attempt token
alone: anyone holding it may use them, so those routes are public here, sent with a token."""

import datetime
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.accounts.services import grant_role
from jingsai.exams import services
from jingsai.exams.content import ImageData
from jingsai.exams.formats import write
from tests import factories
from tests.access.spec import ADMIN, Route
from tests.exams import factories as ex

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

VIEW_BANK = MANAGE_BANK = MANAGE = ADMIN | {"organizer"}
INVIGILATE = ADMIN | {"organizer", "invigilator"}
GRADE = ADMIN | {"grader"}
VIEW_ATTEMPT = INVIGILATE | {"worker"}
WORKER = frozenset({"worker"})
NOBODY = frozenset()
STATS = ADMIN | {"organizer", "unit_contact"}
EVERYONE = frozenset({"*"})


def _side(world, scope, district, person, level):
    actor = factories.actor()
    bank = ex.bank(owner=district, level=level)
    picture = ex.question("single", images=[ImageData(name="图1.png", data=PNG)])
    questions = [services.add_question(actor, bank, picture)]
    questions += [services.add_question(actor, bank, ex.question(t)) for t in ("single", "judge", "short")]
    competition = factories.competition(f"EX-{scope.upper()}", host=district, status="in_progress")
    fixed = [{"type": "single", "points": "10", "questions": [questions[0].number, questions[1].number]},
             {"type": "judge", "points": "10", "questions": [questions[2].number]}]
    paper = ex.paper(competition, bank, fixed, kind="fixed")
    essay = ex.paper(competition, bank, [{"type": "short", "points": "10", "questions": [questions[3].number]}],
                     kind="fixed")
    # Practice first: nobody practises on a bank while an exam drawn from it is under way.
    practice = services.start_practice(person, bank, count=4)
    item = practice.items.exclude(version__type="short").first()
    services.answer_practice(person, item, "no such option")
    if scope == "out":
        services.update_bank(actor, bank, practice_open=False)
    session = ex.session(competition, paper)
    essays = ex.session(competition, essay)
    entry = factories.entry(competition, person)
    user = person.user if hasattr(person, "user") else factories.user(f"exam-{scope}", person=person)
    attempt = services.start(user, session, device="matrix")
    # The essay paper is sat by a colleague: a candidate sits one exam of the component.
    colleague = factories.person(employer=person.employer)
    factories.entry(competition, colleague)
    graded = services.start(factories.user(f"exam-{scope}-2", person=colleague), essays, device="matrix")
    services.save_answers(graded.pk, graded.device, [(0, 1, json.dumps("先断电后救人"))])
    services.finalize(graded.pk, "candidate")
    from jingsai.exams.models import WrongAnswer

    wrong = WrongAnswer.objects.get(person=person)
    return {"bank": bank, "question": questions[0], "image": questions[0].current.images.get(),
            "competition": competition, "paper": paper, "session": session, "attempt": attempt, "entry": entry,
            "item": graded.items.get(), "essays": essays, "practice": practice, "wrong": wrong}


def extend_world(world):
    inside = _side(world, "in", world.orgs["A"], world.obj("person", "in"), 3)
    outside = _side(world, "out", world.orgs["B"], world.obj("person", "out"), 2)
    for key in inside:
        world.put(f"x_{key}", inside[key], outside[key])
    for name, role in (("invigilator", Role.INVIGILATOR), ("grader", Role.GRADER)):
        grant_role(factories.actor(), world.users[name], role, competition=inside["competition"], check=False)


def pk(kind, arg="pk"):
    return lambda world, scope: {arg: world.obj(f"x_{kind}", scope).pk}


def unscoped(builder):
    builder.scoped = False
    return builder


def _competition_query(world, scope):
    return f"?competition={world.obj('x_competition', scope).code}"


def _token(world, scope, **body):
    return {"token": services.attempt_token(world.obj("x_attempt", scope)), **body}


def _answers(world, scope):
    return _token(world, scope, answers=[{"q": 0, "seq": 99, "r": "A"}])


def _new_bank(world, scope):
    return {"occupation": "6-18-02-04", "level": 1, "owner": world.obj("district", scope).code}


def _question(world, scope):
    return {"type": "judge", "stem": "焊工作业前应检查焊机接地。", "answer": "对", "reason": "矩阵"}


def _upload(world, scope):
    data = write("gift", [ex.question("judge", stem="导入的判断题")])
    return {"file": SimpleUploadedFile("questions.gift", data), "format": "gift"}


def _new_paper(world, scope):
    return {"competition": world.obj("x_competition", scope).code, "bank": world.obj("x_bank", scope).pk,
            "name": "新试卷", "kind": "fixed",
            "sections": [{"type": "single", "points": "5", "questions": [world.obj("x_question", scope).number]}]}


def _new_session(world, scope):
    now = timezone.now()
    return {"competition": world.obj("x_competition", scope).code, "paper": world.obj("x_paper", scope).pk,
            "name": "补考", "opens_at": now.isoformat(), "closes_at": (now + datetime.timedelta(hours=2)).isoformat(),
            "duration_minutes": 60}


def _allowance(world, scope):
    return {"entry": world.obj("x_entry", scope).pk, "minutes": 10, "reason": "视力障碍"}


def _practice_answer(world, scope):
    return {"position": 1, "response": "A"}


def _practice_answer_form(world, scope):
    return {"pk": world.obj("x_practice", scope).pk, "position": 1}


@unscoped
def _practice_start(world, scope):
    return {"bank": world.obj("x_bank", "in").pk, "count": 5}


ROUTES = {
    "exams:banks": Route(allow=VIEW_BANK),
    "exams:bank_create": Route(allow=MANAGE_BANK),
    "exams:bank_template": Route(allow=MANAGE_BANK),
    "exams:bank": Route(allow=VIEW_BANK, kwargs=pk("bank")),
    "exams:bank_settings": Route(allow=MANAGE_BANK, kwargs=pk("bank"), method="post",
                                 data={"name": "改名后的题库", "practice_open": "on", "reason": "改名"}),
    "exams:bank_import": Route(allow=MANAGE_BANK, kwargs=pk("bank")),
    "exams:bank_export": Route(allow=MANAGE_BANK, kwargs=pk("bank")),
    "exams:question_create": Route(allow=MANAGE_BANK, kwargs=pk("bank")),
    "exams:question": Route(allow=VIEW_BANK, kwargs=pk("question")),
    "exams:question_edit": Route(allow=MANAGE_BANK, kwargs=pk("question")),
    "exams:question_toggle": Route(allow=MANAGE_BANK, kwargs=pk("question"), method="post", data={"active": "0"}),
    # A picture of exam content: the bank's keepers, and those shown a question using it.
    "exams:image": Route(allow=VIEW_BANK | {"worker", "invigilator", "grader"}, kwargs=pk("image")),
    "exams:sessions": Route(allow=INVIGILATE | GRADE),
    "exams:paper_create": Route(allow=MANAGE, query=_competition_query),
    "exams:paper": Route(allow=MANAGE, kwargs=pk("paper")),
    "exams:session_create": Route(allow=MANAGE, query=_competition_query),
    "exams:session": Route(allow=INVIGILATE, kwargs=pk("session")),
    "exams:session_edit": Route(allow=MANAGE, kwargs=pk("session")),
    "exams:allowance": Route(allow=INVIGILATE, kwargs=pk("session"), method="post"),
    "exams:monitor": Route(allow=INVIGILATE, kwargs=pk("session")),
    "exams:session_results": Route(allow=INVIGILATE, kwargs=pk("session")),
    "exams:item_analysis": Route(allow=MANAGE, kwargs=pk("session")),
    "exams:item_analysis_xlsx": Route(allow=MANAGE, kwargs=pk("session")),
    "exams:grade": Route(allow=GRADE, kwargs=pk("essays")),
    "exams:attempt": Route(allow=VIEW_ATTEMPT, kwargs=pk("attempt")),
    "exams:attempt_actions": Route(allow=INVIGILATE, kwargs=pk("attempt")),
    "exams:attempt_extend": Route(allow=INVIGILATE, kwargs=pk("attempt"), method="post"),
    "exams:attempt_end": Route(allow=INVIGILATE, kwargs=pk("attempt"), method="post"),
    "exams:attempt_void": Route(allow=MANAGE, kwargs=pk("attempt"), method="post", data={"reason": "电脑死机"}),
    "exams:mine": Route(allow=WORKER),
    "GET /api/exams/mine": Route(allow=WORKER),
    "exams:take": Route(allow=WORKER, allow_out=NOBODY, kwargs=pk("session")),
    "exams:start": Route(allow=WORKER, allow_out=NOBODY, kwargs=pk("session"), method="post"),
    "exams:submit": Route(allow=WORKER, allow_out=NOBODY, kwargs=pk("session"), method="post"),
    "exams:practice": Route(allow=WORKER),
    "exams:practice_start": Route(allow=WORKER, method="post", data=_practice_start),
    "exams:practice_round": Route(allow=WORKER, allow_out=NOBODY, kwargs=pk("practice")),
    "exams:practice_answer": Route(allow=WORKER, allow_out=NOBODY, kwargs=_practice_answer_form, method="post"),
    "exams:wrong_book": Route(allow=WORKER),
    "exams:wrong_remove": Route(allow=WORKER, allow_out=NOBODY, kwargs=pk("wrong"), method="post"),
    "exams:practice_stats": Route(allow=STATS),
    "exams:practice_stats_xlsx": Route(allow=STATS),
    "GET /api/exams/ping": Route(public=True),
    "POST /api/exams/attempts/{attempt_id}/answers": Route(public=True, kwargs=pk("attempt", "attempt_id"),
                                                           data=_answers),
    "POST /api/exams/attempts/{attempt_id}/heartbeat": Route(public=True, kwargs=pk("attempt", "attempt_id"),
                                                             data=_token),
    "POST /api/exams/attempts/{attempt_id}/submit": Route(public=True, kwargs=pk("attempt", "attempt_id"),
                                                          data=_token),
    "GET /api/exams/banks": Route(allow=VIEW_BANK),
    "POST /api/exams/banks": Route(allow=MANAGE_BANK, data=_new_bank),
    "GET /api/exams/banks/{bank_id}": Route(allow=VIEW_BANK, kwargs=pk("bank", "bank_id")),
    "PATCH /api/exams/banks/{bank_id}": Route(allow=MANAGE_BANK, kwargs=pk("bank", "bank_id"),
                                             data={"name": "改名后的题库", "reason": "改名"}),
    "GET /api/exams/banks/{bank_id}/questions": Route(allow=VIEW_BANK, kwargs=pk("bank", "bank_id")),
    "POST /api/exams/banks/{bank_id}/questions": Route(allow=MANAGE_BANK, kwargs=pk("bank", "bank_id"),
                                                       data=_question),
    "POST /api/exams/banks/{bank_id}/import": Route(allow=MANAGE_BANK, kwargs=pk("bank", "bank_id"), data=_upload,
                                                    multipart=True),
    "GET /api/exams/banks/{bank_id}/export": Route(allow=MANAGE_BANK, kwargs=pk("bank", "bank_id")),
    "GET /api/exams/questions/{question_id}": Route(allow=VIEW_BANK, kwargs=pk("question", "question_id")),
    "PUT /api/exams/questions/{question_id}": Route(allow=MANAGE_BANK, kwargs=pk("question", "question_id"),
                                                    data=_question),
    "POST /api/exams/questions/{question_id}/retire": Route(allow=MANAGE_BANK, kwargs=pk("question", "question_id"),
                                                            data={"reason": "有争议"}),
    "POST /api/exams/questions/{question_id}/restore": Route(allow=MANAGE_BANK,
                                                             kwargs=pk("question", "question_id"), data={}),
    "GET /api/exams/papers": Route(allow=MANAGE, query=_competition_query),
    "POST /api/exams/papers": Route(allow=MANAGE, data=_new_paper),
    "GET /api/exams/papers/{paper_id}": Route(allow=MANAGE, kwargs=pk("paper", "paper_id")),
    "GET /api/exams/sessions": Route(allow=INVIGILATE, query=_competition_query),
    "POST /api/exams/sessions": Route(allow=MANAGE, data=_new_session),
    "GET /api/exams/sessions/{session_id}": Route(allow=INVIGILATE, kwargs=pk("session", "session_id")),
    "PATCH /api/exams/sessions/{session_id}": Route(allow=MANAGE, kwargs=pk("session", "session_id"),
                                                    data={"name": "新名称", "reason": "改名"}),
    "GET /api/exams/sessions/{session_id}/monitor": Route(allow=INVIGILATE, kwargs=pk("session", "session_id")),
    "GET /api/exams/sessions/{session_id}/items": Route(allow=MANAGE, kwargs=pk("session", "session_id")),
    "GET /api/exams/sessions/{session_id}/results": Route(allow=INVIGILATE, kwargs=pk("session", "session_id")),
    "GET /api/exams/sessions/{session_id}/allowances": Route(allow=INVIGILATE, kwargs=pk("session", "session_id")),
    "POST /api/exams/sessions/{session_id}/allowances": Route(allow=INVIGILATE, kwargs=pk("session", "session_id"),
                                                              data=_allowance),
    "POST /api/exams/sessions/{session_id}/start": Route(allow=WORKER, allow_out=NOBODY,
                                                         kwargs=pk("session", "session_id"), data={"device": "m"}),
    "GET /api/exams/attempts/{attempt_id}": Route(allow=VIEW_ATTEMPT, kwargs=pk("attempt", "attempt_id")),
    "POST /api/exams/attempts/{attempt_id}/extend": Route(allow=INVIGILATE, kwargs=pk("attempt", "attempt_id"),
                                                          data={"minutes": 5, "reason": "断网"}),
    "POST /api/exams/attempts/{attempt_id}/end": Route(allow=INVIGILATE, kwargs=pk("attempt", "attempt_id"),
                                                       data={"reason": "违纪"}),
    "POST /api/exams/attempts/{attempt_id}/void": Route(allow=MANAGE, kwargs=pk("attempt", "attempt_id"),
                                                        data={"reason": "电脑死机"}),
    "GET /api/exams/grading": Route(allow=GRADE),
    "GET /api/exams/sessions/{session_id}/grading/next": Route(allow=GRADE, kwargs=pk("essays", "session_id")),
    "POST /api/exams/grading/{item_id}": Route(allow=GRADE, kwargs=pk("item", "item_id"), data={"score": "6"}),
    "POST /api/exams/practice": Route(allow=WORKER, data=_practice_start),
    "GET /api/exams/practice/wrong": Route(allow=WORKER),
    "POST /api/exams/practice/wrong/{entry_id}/remove": Route(allow=WORKER, allow_out=NOBODY,
                                                             kwargs=pk("wrong", "entry_id")),
    "GET /api/exams/practice/stats": Route(allow=STATS),
    "GET /api/exams/practice/{practice_id}": Route(allow=WORKER, allow_out=NOBODY,
                                                   kwargs=pk("practice", "practice_id")),
    "POST /api/exams/practice/{practice_id}/answers": Route(allow=WORKER, allow_out=NOBODY,
                                                            kwargs=pk("practice", "practice_id"),
                                                            data=_practice_answer),
}
