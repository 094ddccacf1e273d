"""The exams API: question banks, papers, sessions, the candidate's attempt, grading and
practice.

A candidate's attempt is driven by its attempt token (returned by the start endpoint),
sent as the `X-Attempt-Token` header or a `token` field: saving answers, heartbeats and
handing in need nothing else, so the hot path reads no session and no user. Answers are
`{"answers": [{"q": position, "seq": n, "r": response}]}`; `seq` (1 to 2^31-1) counts up
per question on the client, and a save never replaces a stored answer with one of a lower
`seq`. The exam page uses milliseconds since the attempt began, on the server's clock, so
that changes from two tabs or two devices are ordered by when they were made."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition, Stage
from jingsai.core import spreadsheets
from jingsai.core.errors import UserError
from jingsai.core.http import direct, xlsx_response
from jingsai.core.middleware import client_ip
from jingsai.core.pagination import Pages
from jingsai.orgs.models import Organization
from jingsai.registration.models import Entry

from . import analysis, content, services
from .formats import CONTENT_TYPES, FORMATS, SUFFIXES
from .models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    Bank,
    ExamSession,
    Paper,
    PracticeItem,
    PracticeSet,
    Question,
    QuestionType,
    WrongAnswer,
    picture_links,
)

router = Router(tags=["exams"])


def image_url(image):
    """The address of a question picture, given the picture or its id."""
    return reverse("exams:image", args=[getattr(image, "pk", image)])


# ---------------------------------------------------------------- the hot path


def _token(request, body=None):
    # META, not request.headers: building the headers mapping for one header cost 6 µs a save
    token = request.META.get("HTTP_X_ATTEMPT_TOKEN") or (body or {}).get("token") or ""  # read_token checks its type
    found = services.read_token(token)
    if found is None:
        raise UserError(_("The attempt token is missing or invalid; reload the exam page."), code="forbidden")
    return found


def _body(request):
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise UserError(_("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise UserError(_("The request body must be a JSON object."))
    return body


@router.get("/ping", auth=None)
def ping(request):
    """A trivial endpoint: the baseline bench/exam_load.py compares answer saves with."""
    return {"ok": True}


@direct
@router.post("/attempts/{int:attempt_id}/answers", auth=None)
def save_answers(request, attempt_id: int):
    body = _body(request)
    token_attempt, device = _token(request, body)
    if token_attempt != attempt_id:
        raise UserError(_("The attempt token belongs to another attempt."), code="forbidden")
    answers = services.parse_answers(body)
    services.save_answers(attempt_id, device, answers)
    return {"saved": [position for position, _s, _r in answers]}


@router.post("/attempts/{attempt_id}/heartbeat", auth=None)
def heartbeat(request, attempt_id: int):
    token_attempt, device = _token(request, _body(request))
    if token_attempt != attempt_id:
        raise UserError(_("The attempt token belongs to another attempt."), code="forbidden")
    return services.heartbeat(attempt_id, device)


@router.post("/attempts/{attempt_id}/submit", auth=None)
def submit(request, attempt_id: int):
    token_attempt, device = _token(request, _body(request))
    if token_attempt != attempt_id:
        raise UserError(_("The attempt token belongs to another attempt."), code="forbidden")
    attempt = get_object_or_404(Attempt.objects.select_related("session"), pk=attempt_id)
    user = request.user if request.user.is_authenticated else None
    attempt = services.submit(user, attempt, device=device)
    submitted = attempt.submitted_at.isoformat() if attempt.submitted_at else None
    return {"status": attempt.status, "submitted_at": submitted}


# ---------------------------------------------------------------- banks and questions


class BankOut(Schema):
    id: int
    occupation: str
    level: int
    name: str
    owner: str
    practice_open: bool
    questions: int

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.code

    @staticmethod
    def resolve_questions(obj):
        return obj.questions.filter(is_active=True).count()


class BankIn(Schema):
    occupation: str
    level: int
    owner: str
    name: str = ""
    practice_open: bool = True


class QuestionIn(Schema):
    type: QuestionType
    stem: str
    options: list[str] = []
    answer: object = None
    explanation: str = ""
    knowledge_point: str = ""
    difficulty: int = 3
    title: str = ""
    images: list[int] | None = Field(None, description=(
        "the question's pictures, in the order they are to be shown: ids of pictures in the bank (image_ids "
        "of a version); left out, an edit keeps the pictures the question has, in their order"))
    explanation_images: list[int] | None = Field(None, description=(
        "the explanation's pictures, in their order: ids of pictures in the bank (explanation_image_ids of a "
        "version); left out, an edit keeps those the explanation has, in their order"))
    reason: str = ""


class VersionOut(Schema):
    number: int
    type: str
    stem: str
    options: list
    answer: object
    explanation: str
    knowledge_point: str | None
    difficulty: int
    title: str
    images: list[str] = Field(description="the addresses of the pictures, in the order they are shown")
    image_ids: list[int] = Field(description="the same pictures by id, which a question's images takes")
    explanation_images: list[str] = Field(description="the addresses of the explanation's pictures, in order")
    explanation_image_ids: list[int] = Field(description="the same pictures by id, which a question's "
                                                         "explanation_images takes")
    created_at: datetime

    @staticmethod
    def resolve_knowledge_point(obj):
        return obj.knowledge_point.name if obj.knowledge_point_id else None

    @staticmethod
    def resolve_images(obj):
        return [image_url(i) for i in obj.pictures()]

    @staticmethod
    def resolve_image_ids(obj):
        return [i.pk for i in obj.pictures()]

    @staticmethod
    def resolve_explanation_images(obj):
        return [image_url(link.image_id) for link in obj.explanation_image_links.all()]

    @staticmethod
    def resolve_explanation_image_ids(obj):
        return [link.image_id for link in obj.explanation_image_links.all()]


class QuestionOut(Schema):
    id: int
    bank: int
    number: int
    is_active: bool
    times_drawn: int
    current: VersionOut

    @staticmethod
    def resolve_bank(obj):
        return obj.bank_id


class QuestionDetail(QuestionOut):
    versions: list[VersionOut]
    digest: str = Field(description="a digest of the current version's content, also sent as the ETag header: "
                                    "PUT takes it back (If-Match, or `base`) to refuse a save over a later change")

    @staticmethod
    def resolve_versions(obj):
        return obj.versions.select_related("knowledge_point").prefetch_related(picture_links(),
                                                                                "explanation_image_links")

    @staticmethod
    def resolve_digest(obj):
        return services.question_digest(obj.current)


class QuestionEdit(QuestionIn):
    base: str | None = Field(None, description="the `digest` of the question as it was read (GET): the save is "
                                               "refused (409) if its content has changed since")


class ImportResult(Schema):
    format: str
    added: dict
    duplicates: int
    skipped: int


def _bank(user, bank_id, perm="exams.view_bank"):
    bank = get_object_or_404(Bank.objects.select_related("owner"), pk=bank_id)
    permissions.require(user, perm, bank)
    return bank


def _question_data(data):
    return content.QuestionData(
        type=data.type, stem=data.stem, options=list(data.options), answer=data.answer,
        explanation=data.explanation, knowledge_point=data.knowledge_point, difficulty=data.difficulty,
        title=data.title, images=list(data.images or []), explanation_images=list(data.explanation_images or []),
    )


@router.get("/banks", response=list[BankOut])
def list_banks(request):
    permissions.require(request.user, "exams.view_bank")
    return permissions.filter_queryset(request.user, "exams.view_bank", Bank.objects.select_related("owner"))


@router.post("/banks", response={201: BankOut})
def create_bank(request, data: BankIn):
    owner = Organization.objects.filter(code=data.owner).first()
    if owner is None:
        raise UserError(_("No organization has the code “%(code)s”.") % {"code": data.owner})
    permissions.require(request.user, "exams.manage_bank", owner)
    bank = services.create_bank(request.user, occupation=data.occupation, level=data.level, owner=owner,
                                name=data.name, practice_open=data.practice_open)
    return Status(201, bank)


@router.get("/banks/{bank_id}", response=BankOut)
def get_bank(request, bank_id: int):
    return _bank(request.user, bank_id)


class BankPatch(Schema):
    name: str | None = None
    practice_open: bool | None = None
    reason: str = ""


@router.patch("/banks/{bank_id}", response=BankOut)
def update_bank(request, bank_id: int, data: BankPatch):
    """Rename the bank, or open or close it for practice."""
    bank = _bank(request.user, bank_id, "exams.manage_bank")
    fields = data.dict(exclude_unset=True, exclude={"reason"})
    bank, _changes = services.update_bank(request.user, bank, reason=data.reason, **fields)
    return bank


@router.get("/banks/{bank_id}/questions", response=list[QuestionOut])
@paginate(Pages, page_size=100)
def list_questions(request, bank_id: int, type: QuestionType | None = None, knowledge_point: str = "",
                   q: str = "", retired: bool = False):
    bank = _bank(request.user, bank_id)
    questions = bank.questions.filter(is_active=not retired).select_related(
        "current__knowledge_point").prefetch_related(picture_links("current__"), "current__explanation_image_links")
    if type:
        questions = questions.filter(type=type)
    if knowledge_point:
        questions = questions.filter(knowledge_point__name=knowledge_point)
    if q:
        questions = questions.filter(current__stem__contains=q)
    return questions.order_by("number")


@router.post("/banks/{bank_id}/questions", response={201: QuestionOut})
def add_question(request, bank_id: int, data: QuestionIn):
    bank = _bank(request.user, bank_id, "exams.manage_bank")
    question = services.add_question(request.user, bank, _question_data(data), reason=data.reason)
    return Status(201, question)


@router.post("/banks/{bank_id}/import", response=ImportResult)
def import_questions(request, bank_id: int, file: File[UploadedFile], format: Form[str] = ""):
    bank = _bank(request.user, bank_id, "exams.manage_bank")
    if format and format not in FORMATS:
        raise UserError(_("Unknown format “%(format)s”: use xlsx, moodle-xml or gift.") % {"format": format})
    return services.import_questions(request.user, bank, file.read(), filename=file.name, fmt=format or None)


@router.get("/banks/{bank_id}/export")
def export_questions(request, bank_id: int, format: str = "xlsx"):
    bank = _bank(request.user, bank_id, "exams.manage_bank")
    data = services.export_questions(bank, format)
    response = HttpResponse(data, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = content_disposition_header(
        True, f"题库-{bank.occupation}-{bank.level}{SUFFIXES[format]}"
    )
    return response


def _question(user, question_id, perm="exams.view_bank"):
    question = get_object_or_404(
        Question.objects.select_related("bank__owner", "current__knowledge_point"), pk=question_id
    )
    permissions.require(user, perm, question.bank)
    return question


def _tagged(response, question):
    """The question, its digest set as the response's ETag (a strong one, quoted)."""
    response["ETag"] = f'"{services.question_digest(question.current)}"'
    return question


def _if_match(request):
    """The digests an If-Match header names (its quotes and any W/ taken off), or None
    without one or with `*` (any current content will do)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    return [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()]


@router.get("/questions/{question_id}", response=QuestionDetail)
def get_question(request, response: HttpResponse, question_id: int):
    """The question with every version. Its `digest` (also the ETag header) changes with the
    current version's content, which is what PUT replaces."""
    return _tagged(response, _question(request.user, question_id))


@router.put("/questions/{question_id}", response={200: QuestionDetail, 409: dict, 412: dict})
def edit_question(request, response: HttpResponse, question_id: int, data: QuestionEdit):
    """Replace the question's content (its pictures and the explanation's stay unless
    `images` and `explanation_images` name them). Send what it was changed from, as the edit
    page does, so that a save made on content someone has changed since is refused rather
    than undoing their change: the `digest` (or ETag) of GET, as an If-Match header (refused
    with 412) or as `base` (refused with 409); nothing is saved then, and the answer's `code`
    is `stale`. Without either the save is made whatever changed since (last write wins), as
    before these existed, for the scripts and clients that edit questions without reading
    them first; a client that shows a question to someone to edit should send one. The
    answer carries the new digest and ETag."""
    question = _question(request.user, question_id, "exams.manage_bank")
    q = _question_data(data)
    if data.images is None:
        q.images = [image.pk for image in question.current.pictures()]
    if data.explanation_images is None:
        q.explanation_images = services.explanation_images([question.current_id]).get(question.current_id, [])
    tags = _if_match(request)
    # The digests the save may be made on: with both an If-Match and a base, only one both name.
    accepted = tags if data.base is None else [data.base] if tags is None or data.base in tags else []
    try:
        services.edit_question(request.user, question, q, reason=data.reason, base=accepted)
    except UserError as error:
        if error.code != "stale":
            raise
        # If-Match is HTTP's precondition (412); a `base` in the body is a conflict with the content (409).
        return Status(412 if tags else 409, {"detail": str(error.message), "code": error.code})
    return _tagged(response, _question(request.user, question_id))


class RetireIn(Schema):
    reason: str = ""


@router.post("/questions/{question_id}/retire", response=QuestionDetail)
def retire_question(request, question_id: int, data: RetireIn):
    """Take a question out of use: it is kept, with every version and the attempts that drew
    it, but no longer drawn for a paper or offered for practice, and it leaves the
    wrong-answer books until it is restored. Doing it twice changes nothing."""
    question = _question(request.user, question_id, "exams.manage_bank")
    services.set_question_active(request.user, question, False, reason=data.reason)
    return _question(request.user, question_id)


@router.post("/questions/{question_id}/restore", response=QuestionDetail)
def restore_question(request, question_id: int, data: RetireIn):
    """Bring a retired question back into use."""
    question = _question(request.user, question_id, "exams.manage_bank")
    services.set_question_active(request.user, question, True, reason=data.reason)
    return _question(request.user, question_id)


# ---------------------------------------------------------------- papers


class SectionIn(Schema):
    type: QuestionType
    count: int = 0
    points: Decimal
    knowledge_point: str = ""
    difficulty: int | None = None
    title: str = ""
    questions: list[int] = []


class PaperIn(Schema):
    competition: str
    bank: int
    name: str
    kind: Paper.Kind = Paper.Kind.BLUEPRINT
    sections: list[SectionIn]
    shuffle_questions: bool = True
    shuffle_options: bool = True
    multiple_scoring: Paper.MultipleScoring = Paper.MultipleScoring.ALL_OR_NOTHING

    def paper_fields(self):
        """The keyword arguments of services.save_paper besides competition and bank."""
        return {"name": self.name, "kind": self.kind, "sections": [s.dict() for s in self.sections],
                "shuffle_questions": self.shuffle_questions, "shuffle_options": self.shuffle_options,
                "multiple_scoring": self.multiple_scoring}


class SectionOut(Schema):
    title: str
    type: str
    knowledge_point: str | None
    difficulty: int | None
    count: int
    points: Decimal
    questions: list[int] = Field(description="a fixed paper's questions by their numbers in the bank, as given")

    @staticmethod
    def resolve_knowledge_point(obj):
        return obj.knowledge_point.name if obj.knowledge_point_id else None

    @staticmethod
    def resolve_questions(obj):
        """The numbers the section was given (services.paper_sections)."""
        return obj.numbers


class PaperOut(Schema):
    id: int
    competition: str
    bank: int
    name: str
    kind: str
    shuffle_questions: bool
    shuffle_options: bool
    multiple_scoring: str
    total: Decimal
    sections: list[SectionOut]
    shortages: list[str]

    @staticmethod
    def resolve_competition(obj):
        return obj.competition.code

    @staticmethod
    def resolve_bank(obj):
        return obj.bank_id

    # What follows comes from services.describe_papers, which reads it for a list of papers at once.

    @staticmethod
    def resolve_total(obj):
        return obj.described_total

    @staticmethod
    def resolve_sections(obj):
        return obj.described_sections

    @staticmethod
    def resolve_shortages(obj):
        return [str(m) for m in obj.described_shortages]


def _competition(user, code, perm="exams.manage"):
    competition = get_object_or_404(Competition.objects.select_related("host"), code=code)
    permissions.require(user, perm, competition)
    return competition


@router.get("/papers", response=list[PaperOut])
def list_papers(request, competition: str):
    found = _competition(request.user, competition)
    return services.describe_papers(found.exam_papers.select_related("competition"))


@router.post("/papers", response={201: PaperOut})
def create_paper(request, data: PaperIn):
    competition = _competition(request.user, data.competition)
    bank = _bank(request.user, data.bank)
    paper = services.save_paper(request.user, competition=competition, bank=bank, **data.paper_fields())
    return Status(201, services.describe_papers([paper])[0])


@router.get("/papers/{paper_id}", response=PaperOut)
def get_paper(request, paper_id: int):
    paper = get_object_or_404(Paper.objects.select_related("competition__host"), pk=paper_id)
    permissions.require(request.user, "exams.manage", paper)
    return services.describe_papers([paper])[0]


# ---------------------------------------------------------------- sessions


class SessionIn(Schema):
    competition: str
    paper: int
    name: str
    stage: str = ""
    component: str = "theory"
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    grace_seconds: int = 30
    ip_ranges: str = ""
    access_code: str = ""
    graders_per_answer: int = 2
    disagreement_percent: int = 20
    show_score: bool = True


class SessionPatch(Schema):
    name: str | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    duration_minutes: int | None = None
    grace_seconds: int | None = None
    ip_ranges: str | None = None
    access_code: str | None = None
    graders_per_answer: int | None = None
    disagreement_percent: int | None = None
    show_score: bool | None = None
    reason: str = ""

    def changes(self):
        """The fields given, for services.update_session (the API and `jingsai exams update-session`)."""
        return {k: v for k, v in self.dict(exclude={"reason"}).items() if v is not None}


WINDOW = "where the sitting's window stands now: not_open, open or closed (ExamSession.window)"


class SessionOut(Schema):
    id: int
    competition: str
    stage: str | None
    paper: int
    name: str
    component: str
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    grace_seconds: int
    ip_ranges: str
    graders_per_answer: int
    disagreement_percent: int
    show_score: bool
    candidates: int
    window: str = Field(description=WINDOW)

    @staticmethod
    def resolve_competition(obj):
        return obj.competition.code

    @staticmethod
    def resolve_window(obj):
        return obj.window().value

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.key if obj.stage_id else None

    @staticmethod
    def resolve_paper(obj):
        return obj.paper_id

    @staticmethod
    def resolve_candidates(obj):
        return services.candidates(obj).count()


class AllowanceIn(Schema):
    entry: int = Field(description="the entry's id (entry_id in the live list), not its number")
    minutes: int
    reason: str


class StartIn(Schema):
    device: str = ""
    access_code: str = ""


class MinutesIn(Schema):
    minutes: int
    reason: str


class ReasonIn(Schema):
    reason: str


class CandidateRow(Schema):
    """A candidate as the live list and the list of extra time name them."""

    entry: int = Field(description="the candidate's entry number (numbers repeat from stage to stage)")
    entry_id: int = Field(description="the entry's id, which POST .../allowances takes")
    stage: str = Field(description="the entry's stage (its key)")
    name: str


class MonitorRow(CandidateRow):
    unit: str
    state: str
    attempt: int | None
    answered: int
    items: int | None
    remaining_seconds: int | None
    last_seen: datetime | None
    connection_lost: bool
    device_switches: int
    voided: bool = Field(description="an earlier attempt of the candidate in this session was voided by the "
                                     "organizers (POST .../void): they sit again, and `attempt` is the new one")
    elsewhere: str = Field("", description="the name of another sitting of the exam in which the candidate sat or "
                                           "is sitting it (they sit it once): group `elsewhere`")
    entry_status: str = Field(description="the entry's registration status; someone who started and whose entry "
                                          "was then withdrawn or disqualified stays on the list, after the "
                                          "candidates, with that status")


def _session(user, session_id, perm="exams.manage"):
    session = get_object_or_404(
        ExamSession.objects.select_related("competition__host", "paper", "stage"), pk=session_id
    )
    permissions.require(user, perm, session)
    return session


@router.get("/sessions", response=list[SessionOut])
def list_sessions(request, competition: str):
    found = _competition(request.user, competition, "exams.invigilate")
    return found.exam_sessions.select_related("competition", "stage")


@router.post("/sessions", response={201: SessionOut})
def create_session(request, data: SessionIn):
    competition = _competition(request.user, data.competition)
    paper = get_object_or_404(Paper, pk=data.paper, competition=competition)
    stage = get_object_or_404(Stage, competition=competition, key=data.stage) if data.stage else None
    fields = data.dict(exclude={"competition", "paper", "stage"})
    session = services.create_session(request.user, competition, paper=paper, stage=stage, **fields)
    return Status(201, session)


@router.get("/sessions/{session_id}", response=SessionOut)
def get_session(request, session_id: int):
    return _session(request.user, session_id, "exams.invigilate")


@router.patch("/sessions/{session_id}", response=SessionOut)
def update_session(request, session_id: int, data: SessionPatch):
    session = _session(request.user, session_id)
    services.update_session(request.user, session, reason=data.reason, **data.changes())
    return _session(request.user, session_id)


class OptionCount(Schema):
    key: str | bool = Field(description="the option's key; true or false for a true-or-false question")
    text: str
    chosen: int = Field(description="how many chose it (a multiple-choice answer counts for each option in it)")
    correct: bool


class ItemStats(Schema):
    question: int = Field(description="the question's number in its bank")
    version: int
    type: str
    knowledge_point: str
    stem: str = Field(description="the question's first 60 characters")
    points: Decimal = Field(description="its points on the paper (the mean, where sections differ)")
    drawn: int = Field(description="graded attempts that drew this version (blank answers included)")
    mean_score: Decimal
    difficulty: Decimal = Field(description="P: the mean score as a share of the points; 1 = everyone right")
    discrimination: Decimal | None = Field(description="D: P among the best 27% of attempts less P among the "
                                                       "weakest 27%; null with too few attempts")
    flag: str = Field(description="'negative' (D below 0: check the key), 'none_right' (nobody right: check the "
                                  "key), 'weak' (D below 0.2, unless everyone was right) or empty")
    options: list[OptionCount] = Field(description="choice questions: how often each option was chosen")
    unanswered: int
    other: int = Field(description="choice questions: answers that name none of the options (graded wrong)")


class KnowledgePointStats(Schema):
    knowledge_point: str = Field(description="its name, as a path; empty for questions of no knowledge point")
    questions: int = Field(description="question versions drawn")
    drawn: int = Field(description="items drawn, over all of them")
    difficulty: Decimal = Field(description="P over every point the questions carried")
    discrimination: Decimal | None = Field(description="D over the questions: the best group's P less the weakest "
                                                       "group's; null with too few attempts")
    flagged: int = Field(description="questions flagged among them")


class ItemAnalysisOut(Schema):
    attempts: int = Field(description="graded attempts counted (voided ones and those being graded are not)")
    group: int = Field(description="attempts in each of the best and the weakest groups; 0 below "
                                   f"{analysis.MIN_ATTEMPTS} attempts")
    items: list[ItemStats]
    knowledge_points: list[KnowledgePointStats] = Field(description="the items summed by knowledge point, the "
                                                                    "hardest first")


@router.get("/sessions/{session_id}/items", response=ItemAnalysisOut)
def item_analysis(request, session_id: int):
    """Item analysis (试题分析) of the sitting: each question's difficulty and discrimination,
    and for choice questions the options chosen. Organizers only (it shows the keys)."""
    session = _session(request.user, session_id)
    count, group, rows = analysis.item_statistics(session)
    return {"attempts": count, "group": group, "items": [
        {"question": r.question_number, "version": r.version_number, "type": r.type,
         "knowledge_point": r.knowledge_point, "stem": r.stem, "points": r.points, "drawn": r.drawn,
         "mean_score": r.mean_score, "difficulty": r.difficulty, "discrimination": r.discrimination,
         "flag": r.flag, "options": r.options, "unanswered": r.unanswered, "other": r.other} for r in rows],
        "knowledge_points": [
            {"knowledge_point": k.name, "questions": k.questions, "drawn": k.drawn, "difficulty": k.difficulty,
             "discrimination": k.discrimination, "flagged": k.flagged} for k in analysis.by_knowledge_point(rows)]}


class ResultRow(Schema):
    entry: int = Field(description="the entry number")
    stage: str = Field(description="the stage's key: in a session open to every stage, entry numbers repeat "
                                   "from stage to stage")
    name: str
    unit: str
    status: str = Field(description="submitted (awaiting the grading of short answers) or graded; in_progress "
                                    "while the candidate still has time")
    started_at: datetime
    submitted_at: datetime | None
    ended_by: str = Field(description="candidate, timeout or invigilator; empty while in progress")
    objective_score: Decimal | None = Field(description="the automatically graded questions' points")
    score: Decimal | None = Field(description="the paper's points, once graded")
    max_score: Decimal
    theory_score: Decimal | None = Field(description="the score on the competition's theory component scale, "
                                                     "once graded: what flows into the results")
    device_switches: int


@router.get("/sessions/{session_id}/results", response=list[ResultRow])
def session_results(request, session_id: int, format: str = "json"):
    """The sheet of scores (理论考试成绩): every attempt that counts, by stage and entry
    number, after handing in those whose time is up. Voided attempts are left out.
    `format=xlsx` gives the same sheet as the session's page, as a workbook."""
    session = _session(request.user, session_id, "exams.invigilate")
    if format == "xlsx":
        columns, rows = services.session_results(session)
        return xlsx_response(spreadsheets.xlsx_bytes(columns, rows, sheet_name="理论考试成绩"),
                             f"理论考试-{session.pk}.xlsx")
    if format != "json":
        raise UserError(_("Unknown format “%(format)s”: use json or xlsx.") % {"format": format})
    return [
        {"entry": a.entry.number, "stage": a.entry.stage.key, "name": a.entry.person.name, "unit": a.entry.unit.name,
         "status": a.status, "started_at": a.started_at, "submitted_at": a.submitted_at, "ended_by": a.ended_by,
         "objective_score": a.objective_score, "score": a.score, "max_score": a.max_score,
         "theory_score": services.theory_score(a) if a.status == AttemptStatus.GRADED else None,
         "device_switches": a.device_switches}
        for a in services.session_scored_attempts(session)]


class LiveRows(list):
    """The live list's rows to page (as services.live_list gives them), with `totals`: each
    group's count over the whole list."""

    def __init__(self, rows, totals):
        super().__init__(rows)
        self.totals = totals


class LivePages(Pages):
    """The project's pages (page, page_size; items and count) of the live list, with its
    `totals` beside them. Only the page's rows are made into MonitorRow's."""

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="the rows the filters keep, over every page")
        totals: dict[str, int] = Field(description="how many candidates are in each group (absent, in_progress, "
                                                   "lost, handed_in, elsewhere), over the whole list: neither "
                                                   "the page nor the filters change them")

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        return {**page, "items": [_monitor_row(row) for row in page["items"]], "totals": queryset.totals}


def _monitor_row(row):
    return {"entry": row["number"], "entry_id": row["entry_id"], "stage": row["stage_key"], "name": row["name"],
            "unit": row["unit"], "state": row["state"], "attempt": row["attempt_id"], "answered": row["answered"],
            "items": row["item_count"], "remaining_seconds": row["remaining"], "last_seen": row["last_seen"],
            "connection_lost": row["connection_lost"], "device_switches": row["device_switches"],
            "entry_status": row["entry_status"], "voided": row.get("voided", False),
            "elsewhere": row.get("elsewhere", "")}


@router.get("/sessions/{session_id}/monitor", response=list[MonitorRow])
@paginate(LivePages, page_size=100)
def monitor(request, session_id: int, group: str = "", q: str = ""):
    """The live list: every candidate, then anyone who started and is no longer a candidate,
    100 rows a page (`page`, from 1; `page_size` up to 100), as the page shows it: `items`
    are the page's rows, `count` the rows over every page, and `totals` each group's count
    over the whole list (the filters and the page leave them as they are), so that a client
    polling the first page still has the hall's figures. `group` keeps one group's rows
    (absent, in_progress, lost: answering and not heard from for 60 seconds, handed_in,
    elsewhere: sat the exam in another sitting), as the page's filters do; `q` finds a
    candidate by entry number (digits), or by a part of the name or the unit's name. Shared
    by everyone watching the session for up to 3 seconds: answers saved and a device's last
    sign may be that old; the time left is as of the request."""
    session = _session(request.user, session_id, "exams.invigilate")
    if group and group not in services.LIVE_GROUPS:
        raise UserError(_("group must be one of %(groups)s.") % {"groups": ", ".join(services.LIVE_GROUPS)})
    rows = services.live_list(session)
    totals = services.live_totals(rows)
    rows = services.find_in_live_list(rows, q[:50])
    return LiveRows([row for row in rows if not group or row["group"] == group], totals)


class AllowanceOut(CandidateRow):
    extra_minutes: int
    reason: str
    set_at: datetime
    given_in: int = Field(description="the session in which it was given: this one, or another sitting of the "
                                      "exam (a make-up), whose extra time follows the person unless set here")
    given_in_name: str


@router.get("/sessions/{session_id}/allowances", response=list[AllowanceOut])
def list_allowances(request, session_id: int):
    """The extra time that counts in the session, by entry number."""
    session = _session(request.user, session_id, "exams.invigilate")
    return [{"entry": a.shown_entry.number, "entry_id": a.shown_entry.pk, "stage": a.shown_entry.stage.key,
             "name": a.entry.person.name, "extra_minutes": a.extra_minutes, "reason": a.reason, "set_at": a.set_at,
             "given_in": a.session_id, "given_in_name": a.session.name}
            for a in services.session_allowances(session)]


@router.post("/sessions/{session_id}/allowances")
def set_allowance(request, session_id: int, data: AllowanceIn):
    session = _session(request.user, session_id, "exams.invigilate")
    entry = get_object_or_404(Entry, pk=data.entry, competition_id=session.competition_id)
    allowance = services.set_allowance(request.user, session, entry, data.minutes, reason=data.reason)
    # handed_in: the candidate has handed in, so the extra time counts only if they sit again
    return {"entry": entry.pk, "extra_minutes": allowance.extra_minutes,
            "handed_in": services.handed_in(session, entry)}


class MyAttemptOut(Schema):
    id: int
    status: str
    score: str | None = Field(description="once graded, where the exam shows scores")
    max_score: str | None


class MyExamOut(Schema):
    session: int
    name: str
    competition: str
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    window: str = Field(description=WINDOW)
    attempt: MyAttemptOut | None = Field(description="yours in this sitting: null before you start")


@router.get("/mine", response=list[MyExamOut])
def my_exams(request):
    """Your theory exams, as your list of exams shows them: those you can still take first,
    soonest first, then those that are over, latest first. Start one with
    POST /api/exams/sessions/{session}/start; GET /api/exams/attempts/{id} gives an attempt."""
    permissions.require(request.user, "exams.take")
    out = []
    for row in services.my_exams(request.user.person_id):
        session, attempt = row["session"], row["attempt"]
        scored = attempt is not None and attempt.score_shown_to_candidate()
        out.append({
            "session": session.pk, "name": session.name, "competition": session.competition.name,
            "opens_at": session.opens_at, "closes_at": session.closes_at,
            "duration_minutes": session.duration_minutes, "window": session.window().value,
            "attempt": None if attempt is None else {
                "id": attempt.pk, "status": attempt.status, "score": str(attempt.score) if scored else None,
                "max_score": str(attempt.max_score) if scored else None}})
    return out


@router.post("/sessions/{session_id}/start")
def start(request, session_id: int, data: StartIn):
    session = get_object_or_404(ExamSession.objects.select_related("competition", "paper"), pk=session_id)
    permissions.require(request.user, "exams.take")
    attempt = services.start(request.user, session, device=data.device, ip=client_ip(request),
                             access_code=data.access_code, user_agent=request.headers.get("User-Agent", ""))
    state = services.attempt_state(attempt, image_url=image_url)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        state["token"] = services.attempt_token(attempt)
    return state


def _attempt(user, attempt_id, perm="exams.view_attempt"):
    attempt = get_object_or_404(
        Attempt.objects.select_related("session__competition__host", "session__paper", "entry__unit"), pk=attempt_id
    )
    permissions.require(user, perm, attempt)
    return attempt


@router.get("/attempts/{attempt_id}")
def get_attempt(request, attempt_id: int):
    """The attempt as its candidate answers it: the questions as drawn, the saved answers and
    the time left. On review, where the page shows them (the organizers always; invigilators,
    and the candidate once handed in if the exam shows scores, while no exam drawn from the
    bank is under way), `answers_shown` is true and each item carries its `score` (null
    until graded), the right `answer`, the `explanation` and the addresses of the
    explanation's pictures (`explanation_images`, in order)."""
    attempt = services.finalize_if_due(_attempt(request.user, attempt_id))
    state = services.attempt_state(attempt, image_url=image_url)
    own = attempt.person_id == request.user.person_id
    if attempt.score_shown_to_candidate() if own else attempt.status == AttemptStatus.GRADED:
        state["score"] = str(attempt.score)
        state["max_score"] = str(attempt.max_score)
    shown = services.review_shows_answers(request.user, attempt)
    state["answers_shown"] = shown
    if shown:
        _with_answers(state["items"], attempt)
    return state


def _with_answers(views, attempt):
    """Each item's score and its services.answer_keys() (right answer, explanation and its
    pictures), added to its view (services.item_view), in two queries for the whole attempt."""
    drawn = {item.position: item for item in attempt.items.select_related("version").only(
        "position", "score", "version_id", "version__type", "version__answer", "version__explanation")}
    keys = services.answer_keys([item.version for item in drawn.values()], image_url)
    for view in views:
        item = drawn[view["position"]]
        view.update(score=None if item.score is None else str(item.score), **keys[item.version_id])


@router.post("/attempts/{attempt_id}/extend")
def extend(request, attempt_id: int, data: MinutesIn):
    attempt = _attempt(request.user, attempt_id, "exams.invigilate")
    attempt = services.extend(request.user, attempt, data.minutes, reason=data.reason)
    return {"deadline": attempt.deadline.isoformat(), "remaining_seconds": services.remaining_seconds(attempt)}


@router.post("/attempts/{attempt_id}/end")
def end(request, attempt_id: int, data: ReasonIn):
    attempt = _attempt(request.user, attempt_id, "exams.invigilate")
    attempt = services.end_attempt(request.user, attempt, reason=data.reason)
    # ended_by is "timeout" when the time was already up (ended in the grace period)
    return {"status": attempt.status, "ended_by": attempt.ended_by}


@router.post("/attempts/{attempt_id}/void")
def void(request, attempt_id: int, data: ReasonIn):
    """Void the attempt so that the candidate sits the exam again (organizers). It stays on
    record and no longer counts; a theory score it gave is cleared until the new attempt
    is graded."""
    attempt = _attempt(request.user, attempt_id, "exams.manage")
    attempt = services.void_attempt(request.user, attempt, reason=data.reason)
    return {"status": attempt.status}


# ---------------------------------------------------------------- grading


class GradeIn(Schema):
    score: Decimal
    comment: str = ""


def _blind(item):
    version = item.version
    response = item.attempt.answers.filter(position=item.position).values_list("response", flat=True).first()
    return {"item": item.pk, "candidate": item.attempt.blind_code, "position": item.position,
            "points": str(item.points), "stem": version.stem, "reference": version.answer,
            "images": [image_url(i) for i in version.pictures()], "response": response or ""}


class GradingQueueOut(Schema):
    session: int
    name: str
    competition: str
    opens_at: datetime
    waiting: int = Field(description="short answers waiting for your mark now (what grading/next gives one by one)")


@router.get("/grading", response=list[GradingQueueOut])
def grading_queue(request):
    """The exam sessions of the competitions you grade in, newest first, those with short
    answers waiting for your mark before the others."""
    permissions.require(request.user, "exams.grade")
    return [{"session": s.pk, "name": s.name, "competition": s.competition.name, "opens_at": s.opens_at,
             "waiting": s.waiting} for s in services.grading_queue(request.user)]


@router.get("/sessions/{session_id}/grading/next")
def next_to_grade(request, session_id: int):
    session = _session(request.user, session_id, "exams.grade")
    item = services.next_to_grade(session, request.user)
    return {"progress": services.grading_progress(session), "next": _blind(item) if item else None}


@router.post("/grading/{item_id}")
def grade(request, item_id: int, data: GradeIn):
    item = get_object_or_404(AttemptItem.objects.select_related("attempt__session__competition__host"), pk=item_id)
    permissions.require(request.user, "exams.grade", item.attempt.session)
    item = services.grade(request.user, item, data.score, comment=data.comment)
    return {"item": item.pk, "resolved": not item.needs_grading, "score": str(item.score) if item.score is not None
            else None}


# ---------------------------------------------------------------- practice


class PracticeIn(Schema):
    bank: int
    knowledge_point: str = ""
    count: int = 10
    mode: PracticeSet.Mode = PracticeSet.Mode.PRACTICE


class PracticeAnswerIn(Schema):
    position: int
    response: object = None


def _practice_view(practice):
    """A practice round. Answered items carry the response, whether it was right, the right
    answer and the explanation; while the bank keeps its answers back
    (services.practice_answers_kept) only the response, and `answers_kept` is true (the
    round's count of right answers is left out too)."""
    items = list(practice.items.select_related("version__knowledge_point"))
    kept = bool(services.practice_answers_kept([practice.bank]))
    keys = {} if kept else services.answer_keys([i.version for i in items if i.answered_at], image_url)
    out = []
    for item, view in zip(items, services.practice_item_views(items, image_url), strict=True):
        if item.answered_at and kept:
            view.update(response=item.response, correct=None, answer=None, explanation=None, explanation_images=None)
        elif item.answered_at:
            view.update(response=item.response, correct=item.correct, **keys[item.version_id])
        out.append(view)
    return {"id": practice.pk, "bank": practice.bank_id, "mode": practice.mode, "total": practice.total,
            "answered": practice.answered, "correct": None if kept else practice.correct, "answers_kept": kept,
            "items": out}


@router.post("/practice", response={201: dict})
def start_practice(request, data: PracticeIn):
    permissions.require(request.user, "exams.practice")
    bank = get_object_or_404(Bank, pk=data.bank)
    kp = services.practice_knowledge_point(bank, data.knowledge_point)
    practice = services.start_practice(request.user.person, bank, knowledge_point=kp, count=data.count,
                                       mode=data.mode)
    return Status(201, _practice_view(practice))


class OptionOut(Schema):
    key: str
    text: str
    label: str = Field(description="the letter shown before it (A, B, …), in the written order")


class WrongEntryOut(Schema):
    id: int = Field(description="the entry: POST /api/exams/practice/wrong/{id}/remove takes it out of the book")
    question: int
    bank: int
    stem: str
    times_wrong: int
    last_wrong_at: str
    type: str = Field(description="the question's type, as in a practice round's items")
    options: list[OptionOut] = Field(description="choice questions: the options in their written order")
    blanks: int = Field(description="fill-in questions: how many blanks")
    images: list[str] = Field(description="the addresses of the question's pictures, in order")
    answer: Any = Field(description="the right answer, as a practice round gives it once answered: an "
                                    "option's keys, true or false, each blank's accepted texts, or the "
                                    "reference answer")
    explanation: str
    explanation_images: list[str] = Field(description="the addresses of the explanation's pictures, in order")


class HeldOut(Schema):
    bank: int
    name: str
    count: int


class WrongBookOut(Schema):
    entries: list[WrongEntryOut]
    held: list[HeldOut]


@router.get("/practice/wrong", response=WrongBookOut)
def wrong_answers(request, limit: int = 500):
    """The worker's wrong-answer book, newest first (at most `limit` entries, 1–500), as the
    page shows it: `entries` leaves out the banks that keep their answers back now (closed
    to practice, or under an exam), and `held` says how many entries of each of those wait
    until the bank shows its answers again. Each entry shows its question as a practice
    round's answered items do (type, stem, options, blanks, pictures) with the right
    `answer`, the `explanation` and its pictures."""
    permissions.require(request.user, "exams.practice")
    if not 1 <= limit <= 500:
        raise UserError(_("limit must be between 1 and 500."))
    rows, held = services.wrong_book(request.user.person, limit=limit)
    entries = [{**view, "id": w.pk, "question": w.question_id, "bank": w.question.bank_id, "times_wrong": w.times_wrong,
                "last_wrong_at": w.last_wrong_at.isoformat()}
               for w, view in zip(rows, services.wrong_entry_views(rows, image_url), strict=True)]
    return {"entries": entries, "held": [{"bank": bank.pk, "name": bank.name, "count": n} for bank, n in held.items()]}


class WrongRemovedOut(Schema):
    id: int
    mastered_at: datetime


@router.post("/practice/wrong/{entry_id}/remove", response=WrongRemovedOut)
def remove_wrong_answer(request, entry_id: int):
    """Take an entry out of the worker's wrong-answer book, as the page's Remove button does
    (it counts as mastered: `mastered_at`). Only the worker's own entries are found; doing
    it twice changes nothing."""
    permissions.require(request.user, "exams.practice")
    wrong = get_object_or_404(WrongAnswer, pk=entry_id, person_id=request.user.person_id)
    return services.remove_wrong_answer(request.user, wrong)


@router.get("/practice/stats")
def practice_stats(request, by: str = "unit", days: int = 30, bank: int | None = None):
    """Practice activity by unit or by group over the last `days` days (1 to 366), of one
    bank or of all: the answers given in that time."""
    permissions.require(request.user, "exams.view_practice_stats")
    items, days = services.practice_items(request.user, days=days, bank=bank)
    by = "group" if by == "group" else "unit"
    return {"by": by, "days": days, "rows": [
        {**row, "accuracy": str(row["accuracy"]) if row["accuracy"] is not None else None}
        for row in services.practice_activity(items, by=by)
    ]}


@router.get("/practice/{practice_id}")
def get_practice(request, practice_id: int):
    practice = get_object_or_404(PracticeSet.objects.select_related("unit", "bank"), pk=practice_id)
    permissions.require(request.user, "exams.practice", practice)
    return _practice_view(practice)


@router.post("/practice/{practice_id}/answers")
def answer_practice(request, practice_id: int, data: PracticeAnswerIn):
    practice = get_object_or_404(PracticeSet.objects.select_related("unit"), pk=practice_id)
    permissions.require(request.user, "exams.practice", practice)
    item = get_object_or_404(PracticeItem, practice=practice, position=data.position)
    item = services.answer_practice(request.user.person, item, data.response)
    return {"correct": item.correct, **services.answer_keys([item.version], image_url)[item.version_id]}
