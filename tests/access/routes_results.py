"""Results routes: organizers of the host run the results; a result and a certificate sit at
the contestant's unit and with the worker; publicity and verification are public."""

from django.core.files.uploadedfile import SimpleUploadedFile

from jingsai.results import services
from jingsai.results.models import Certificate
from tests import factories
from tests.access.spec import ADMIN, Route, on
from tests.results import factories as rf
from tests.results.helpers import end_publicity
from tests.results.test_marks_import import xlsx

HOSTS = ADMIN | {"organizer"}
READERS = ADMIN | {"organizer", "unit_contact", "worker"}


def _final_competition(world, scope):
    """A competition of district A ("in") or B ("out") with final results: the world's
    worker of that district first, an answered objection, certificates."""
    host = world.obj("district", scope)
    competition = rf.competition(host, code=f"RES-{'A' if scope == 'in' else 'B'}")
    person = world.obj("person", scope)
    entry = factories.entry(competition, person)
    services.set_component_score(None, entry, "theory", 95)
    services.set_component_score(None, entry, "practical", 95)
    rf.scored(competition, [(80, 80), (70, 70)], unit=world.obj("org", scope))
    stage = competition.stages.get()
    services.compute(None, stage)
    services.publish(None, stage)
    objection = services.submit_objection(competition, name="路人", contact="13800000000", text="请复核第二名成绩。")
    services.answer_objection(None, objection, answer="成绩无误。", outcome="dismissed")
    end_publicity(stage)
    services.finalize(None, stage)
    services.issue_certificates(None, competition, layout="classic")
    result = competition.computations.get().results.get(entry=entry)
    certificate = Certificate.objects.get(result=result, kind="award")
    return competition, result, certificate, objection


def extend_world(world):
    made = {scope: _final_competition(world, scope) for scope in ("in", "out")}
    for index, kind in enumerate(("results_competition", "result", "certificate", "objection")):
        world.put(kind, made["in"][index], made["out"][index])


def _code(world, scope):
    return {"code": world.obj("results_competition", scope).code}


def _stage(world, scope):
    return {**_code(world, scope), "key": "final"}


def _list(world, scope):
    return {**_code(world, scope), "kind": "promotions"}


def _verify(world, scope):
    return {"code": world.obj("certificate", scope).code}


def _computation(world, scope):
    return f"?computation={world.obj('result', scope).computation_id}"


def _marks(world, scope):
    return {"file": SimpleUploadedFile("成绩.xlsx", xlsx(["身份证号", "theory"], [["110105194912310021", 1]])),
            "stage": "final"}


OBJECTION = {"name": "路人", "contact": "13800000000", "text": "请复核第二名的成绩。"}

ROUTES = {
    "results:index": Route(allow=HOSTS),
    "results:mine": Route(allow={"worker"}),
    "results:explanation": Route(allow=READERS, kwargs=on("result")),
    "results:answer": Route(allow=HOSTS, method="post", kwargs=on("objection")),
    "results:certificate_pdf": Route(allow=READERS, kwargs=on("certificate")),
    "results:revoke": Route(allow=HOSTS, method="post", kwargs=on("certificate")),
    "results:competition": Route(allow=HOSTS, kwargs=_code),
    "results:compute": Route(allow=HOSTS, method="post", kwargs=_code),
    "results:publish": Route(allow=HOSTS, method="post", kwargs=_code),
    "results:withdraw": Route(allow=HOSTS, method="post", kwargs=_code),
    "results:finalize": Route(allow=HOSTS, method="post", kwargs=_code),
    "results:export": Route(allow=HOSTS, kwargs=_code),
    "results:list": Route(allow=HOSTS, kwargs=_list),
    "results:marks": Route(allow=HOSTS, kwargs=_code),
    "results:marks_template": Route(allow=HOSTS, kwargs=_code),
    "results:certificates": Route(allow=HOSTS, kwargs=_code),
    "results:preview": Route(allow=HOSTS, kwargs=_code),
    "results:stage": Route(allow=HOSTS, kwargs=_stage),
    "results:changes": Route(allow=HOSTS, kwargs=_stage),
    "results:organizations": Route(allow=HOSTS, kwargs=_stage),
    "results_public:verify_form": Route(public=True),
    "results_public:verify": Route(public=True, kwargs=_verify),
    "results_public:results": Route(public=True, kwargs=_code),
    "results_public:objection": Route(public=True, method="post", kwargs=_code),
    "results_public:export": Route(public=True, kwargs=_code),
    "GET /api/results/verify/{code}": Route(public=True, kwargs=_verify),
    "GET /api/results/mine": Route(allow={"worker"}),
    "GET /api/results/results/{pk}": Route(allow=READERS, kwargs=on("result")),
    "GET /api/results/results/{pk}/explanation": Route(allow=READERS, kwargs=on("result")),
    "POST /api/results/objections/{pk}/answer": Route(allow=HOSTS, kwargs=on("objection"),
                                                      data={"answer": "已复核。", "outcome": "dismissed"}),
    "GET /api/results/certificates/{pk}/pdf": Route(allow=READERS, kwargs=on("certificate")),
    "POST /api/results/certificates/{pk}/revoke": Route(allow=HOSTS, kwargs=on("certificate"),
                                                        data={"reason": "复核更正"}),
    "GET /api/results/competitions/{code}/computations": Route(allow=HOSTS, kwargs=_code),
    "POST /api/results/competitions/{code}/compute": Route(allow=HOSTS, kwargs=_code),
    "GET /api/results/competitions/{code}/results": Route(allow=HOSTS, kwargs=_code),
    "GET /api/results/competitions/{code}/changes": Route(allow=HOSTS, kwargs=_code, query=_computation),
    "POST /api/results/competitions/{code}/publish": Route(allow=HOSTS, kwargs=_code),
    "POST /api/results/competitions/{code}/withdraw": Route(allow=HOSTS, kwargs=_code),
    "POST /api/results/competitions/{code}/finalize": Route(allow=HOSTS, kwargs=_code),
    "GET /api/results/competitions/{code}/objections": Route(allow=HOSTS, kwargs=_code),
    "POST /api/results/competitions/{code}/objections": Route(public=True, kwargs=_code, data=OBJECTION),
    "GET /api/results/competitions/{code}/export": Route(allow=HOSTS, kwargs=_code),
    "GET /api/results/competitions/{code}/lists/{kind}": Route(allow=HOSTS, kwargs=_list),
    "POST /api/results/competitions/{code}/marks": Route(allow=HOSTS, kwargs=_code, data=_marks, multipart=True),
    "GET /api/results/competitions/{code}/organizations": Route(allow=HOSTS, kwargs=_code),
    "GET /api/results/competitions/{code}/certificates": Route(allow=HOSTS, kwargs=_code),
    "POST /api/results/competitions/{code}/certificates": Route(allow=HOSTS, kwargs=_code),
}
