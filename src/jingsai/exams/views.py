import re
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from jingsai.accounts import permissions
from jingsai.accounts.models import Role, RoleAssignment, User
from jingsai.competitions.models import Competition
from jingsai.core import spreadsheets as sheets
from jingsai.core.decorators import is_htmx, permission_required
from jingsai.core.errors import Rejected, UserError
from jingsai.core.http import next_url, xlsx_response
from jingsai.core.middleware import client_ip
from jingsai.orgs.models import Organization
from jingsai.registration.models import EntryStatus

from . import analysis, content, images, services
from .formats import CONTENT_TYPES, FORMATS, SUFFIXES
from .formats import xlsx as xlsx_format
from .forms import (
    AllowanceForm,
    BankForm,
    ExtendForm,
    GradeForm,
    ImportForm,
    PracticeForm,
    QuestionForm,
    ReasonForm,
    SessionForm,
    session_initial,
)
from .models import (
    Attempt,
    AttemptEvent,
    AttemptItem,
    AttemptStatus,
    Bank,
    Difficulty,
    EndedBy,
    ExamSession,
    Grading,
    Paper,
    PracticeItem,
    PracticeSet,
    Question,
    QuestionImage,
    QuestionType,
    WrongAnswer,
    picture_links,
)

DEVICE_COOKIE = "jingsai_exam_device"


def image_url(image):
    """The address of a question picture, given the picture or its id."""
    return reverse("exams:image", args=[getattr(image, "pk", image)])


def _explanation_image_urls(version_id):
    return [image_url(pk) for pk in services.explanation_images([version_id]).get(version_id, [])]


# ---------------------------------------------------------------- question banks


def _bank(request, pk, perm="exams.view_bank"):
    bank = get_object_or_404(Bank.objects.select_related("owner"), pk=pk)
    permissions.require(request.user, perm, bank)
    return bank


def _owners(user):
    """Organizations a bank may belong to: where the user organizes (administrators: the
    top two levels of the tree, where city unions and bureaus sit)."""
    if permissions.is_admin(user):
        return Organization.objects.filter(depth__lte=1).order_by("path")
    return Organization.objects.filter(path__in=permissions.role_paths(user, permissions.ORGANIZER))


@permission_required("exams.view_bank")
def banks(request):
    visible = permissions.filter_queryset(request.user, "exams.view_bank", Bank.objects.select_related("owner"))
    rows = visible.annotate(count=Count("questions", filter=Q(questions__is_active=True)))
    rows = rows.order_by("occupation", "-level")
    return render(request, "exams/banks.html", {
        "banks": rows, "can_create": permissions.has_perm(request.user, "exams.manage_bank"),
    })


@permission_required("exams.manage_bank")
def bank_create(request):
    form = BankForm(request.POST or None, owners=list(_owners(request.user)))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        permissions.require(request.user, "exams.manage_bank", data["owner"])
        try:
            bank = services.create_bank(request.user, occupation=data["occupation"], level=data["level"],
                                        owner=data["owner"], name=data["name"], practice_open=data["practice_open"])
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The question bank was created."))
            return redirect("exams:bank", pk=bank.pk)
    return render(request, "exams/bank_form.html", {"form": form})



def _number(value):
    """A positive whole number from a query or form field, or None ("²" passes isdigit()
    and not int())."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdecimal() and int(value) > 0 else None

@require_POST
@permission_required("exams.manage_bank")
def bank_settings(request, pk):
    bank = _bank(request, pk, "exams.manage_bank")
    try:
        _saved, changes = services.update_bank(
            request.user, bank, name=request.POST.get("name", bank.name),
            practice_open=request.POST.get("practice_open") == "on", reason=request.POST.get("reason", ""))
    except UserError as error:
        messages.error(request, error.message)
    else:
        if changes:
            messages.success(request, _("The question bank's settings were saved."))
    return redirect("exams:bank", pk=bank.pk)


@permission_required("exams.view_bank")
def bank(request, pk):
    bank = _bank(request, pk)
    questions = bank.questions.select_related("current", "knowledge_point").order_by("number")
    qtype, kp, query = request.GET.get("type", ""), request.GET.get("kp", ""), request.GET.get("q", "").strip()
    retired = request.GET.get("retired") == "1"
    questions = questions.filter(is_active=not retired)
    if qtype in QuestionType.values:
        questions = questions.filter(type=qtype)
    if kp := _number(kp):
        questions = questions.filter(knowledge_point_id=kp)
    if query:
        questions = questions.filter(current__stem__contains=query)
    counts = dict(bank.questions.filter(is_active=True).values_list("type").annotate(n=Count("pk")))
    return render(request, "exams/bank.html", {
        "bank": bank, "page_obj": Paginator(questions, 50).get_page(request.GET.get("page")),
        "types": QuestionType.choices,
        # Counted as the list is: in use, or retired when the retired ones are listed.
        "kps": bank.knowledge_points.annotate(n=Count("questions", filter=Q(questions__is_active=not retired))),
        "counts": [(label, counts.get(value, 0)) for value, label in QuestionType.choices],
        "can_manage": permissions.has_perm(request.user, "exams.manage_bank", bank),
        "formats": FORMATS, "retired": retired,
    })


@permission_required("exams.manage_bank")
def bank_import(request, pk):
    bank = _bank(request, pk, "exams.manage_bank")
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"bank": bank, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_questions(request.user, bank, upload.read(), filename=upload.name,
                                               fmt=form.cleaned_data["format"] or None)
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            context["message"] = rejected.message
        else:
            added = "、".join(f"{QuestionType(t).label} {n}" for t, n in result["added"].items() if n)
            messages.success(request, _("Imported: %(added)s. Already in the bank (not added again): %(dup)s.")
                             % {"added": added or "0", "dup": result["duplicates"]})
            return redirect("exams:bank", pk=bank.pk)
    return render(request, "exams/bank_import.html", context)


@permission_required("exams.manage_bank")
def bank_template(request):
    example = [
        content.QuestionData(type="single", stem="焊条电弧焊时，碱性焊条通常采用哪种电源极性？",
                             options=[{"key": "A", "text": "直流正接"}, {"key": "B", "text": "直流反接"},
                                      {"key": "C", "text": "交流"}], answer={"B": "1"},
                             explanation="碱性焊条一般采用直流反接，电弧稳定。", knowledge_point="焊接工艺/焊条电弧焊"),
        content.QuestionData(type="fill", stem="钨极氩弧焊常用的保护气体是____。",
                             answer=[[{"text": "氩气", "fraction": "1"}, {"text": "Ar", "fraction": "1"}]],
                             knowledge_point="焊接工艺/氩弧焊", difficulty=2),
    ]
    return xlsx_response(xlsx_format.write(example), "题库导入模板.xlsx")


@permission_required("exams.manage_bank")
def bank_export(request, pk):
    bank = _bank(request, pk, "exams.manage_bank")
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404
    response = HttpResponse(services.export_questions(bank, fmt), content_type=CONTENT_TYPES[fmt])
    name = f"题库-{bank.occupation}-{bank.level}{SUFFIXES[fmt]}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _question(request, pk, perm="exams.view_bank"):
    question = get_object_or_404(Question.objects.select_related("bank__owner", "current__knowledge_point"), pk=pk)
    permissions.require(request.user, perm, question.bank)
    return question


def _form_to_data(form, existing_images=(), existing_explanation_images=()):
    data = form.cleaned_data
    q = content.QuestionData(
        type=data["type"], stem=data["stem"], options=[data.get(f"option_{k}", "") for k in content.KEYS],
        explanation=data["explanation"], knowledge_point=data["knowledge_point"], difficulty=data["difficulty"],
        title=data["title"],
    )
    q.answer = xlsx_format.parse_answer(q.type, data["answer"])
    q.images = list(existing_images)
    q.explanation_images = list(existing_explanation_images)
    return q


def _kept_pictures(post, keep, shown):
    """The pictures kept (of those `shown`, in the question's order), in the order of the
    numbers the form gives them (place_<pk>); one without a number keeps its place."""
    def place(pk):
        try:
            return int(post.get(f"place_{pk}", ""))
        except ValueError:
            return shown.index(pk) + 1
    return sorted({pk for pk in keep if pk in shown}, key=lambda pk: (place(pk), shown.index(pk)))


def _save_question(request, form, bank, question=None):
    keep = [int(pk) for pk in request.POST.getlist("keep_image") if pk.isdigit()]
    # The explanation's pictures stay unless asked to go: a form without the boxes keeps them.
    drop = {int(pk) for pk in request.POST.getlist("remove_explanation_image") if pk.isdigit()}
    existing, explained = [], []
    if question is not None:
        existing = _kept_pictures(request.POST, keep, [image.pk for image in question.current.pictures()])
        explained = [pk for pk in services.explanation_images([question.current_id]).get(question.current_id, [])
                     if pk not in drop]
    q = _form_to_data(form, existing, explained)
    for upload in request.FILES.getlist("pictures"):
        q.images.append(content.ImageData(name=upload.name, data=upload.read()))
    for upload in request.FILES.getlist("explanation_pictures"):
        q.explanation_images.append(content.ImageData(name=upload.name, data=upload.read()))
    try:
        if question is None:
            return services.add_question(request.user, bank, q, reason=form.cleaned_data["reason"])
        services.edit_question(request.user, question, q, reason=form.cleaned_data["reason"],
                               base=request.POST.get("base") or None)
        return question
    except Rejected as rejected:
        for problem in rejected.problems:
            form.add_error(None, problem.message)
    except UserError as error:
        form.add_error(None, error.message)
    return None


@permission_required("exams.manage_bank")
def question_create(request, pk):
    bank = _bank(request, pk, "exams.manage_bank")
    form = QuestionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        question = _save_question(request, form, bank)
        if question is not None:
            messages.success(request, _("Question %(n)s was added.") % {"n": question.number})
            return redirect("exams:question", pk=question.pk)
    return render(request, "exams/question_form.html", {"form": form, "bank": bank,
                                                        "kps": bank.knowledge_points.all()})


@permission_required("exams.view_bank")
def question(request, pk):
    question = _question(request, pk)
    versions = question.versions.select_related("knowledge_point", "created_by").prefetch_related(picture_links()) \
        .order_by("-number")
    return render(request, "exams/question.html", {
        "question": question, "bank": question.bank, "versions": versions,
        "used": services.version_used(question.current),
        "can_manage": permissions.has_perm(request.user, "exams.manage_bank", question.bank),
        "answer_text": xlsx_format.answer_text(services.question_data(question.current)),
        "explanation_images": _explanation_image_urls(question.current_id),
    })


@permission_required("exams.manage_bank")
def question_edit(request, pk):
    question = _question(request, pk, "exams.manage_bank")
    current = question.current
    data = services.question_data(current)
    initial = {"type": data.type, "knowledge_point": data.knowledge_point, "difficulty": data.difficulty,
               "title": data.title, "stem": data.stem, "answer": xlsx_format.answer_text(data),
               "explanation": data.explanation,
               **{f"option_{o['key']}": o["text"] for o in data.options}}
    form = QuestionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save_question(request, form, question.bank, question):
        messages.success(request, _("The question was saved."))
        return redirect("exams:question", pk=question.pk)
    return render(request, "exams/question_form.html", {
        "form": form, "bank": question.bank, "question": question, "used": services.version_used(current),
        "images": current.pictures(), "kps": question.bank.knowledge_points.all(),
        "explanation_images": current.explanation_pictures(),
        # The content this form was opened on; kept through a refused save, so that a save
        # refused because someone changed the question stays refused until it is reopened.
        "base": request.POST.get("base") or services.question_digest(current),
    })


@require_POST
@permission_required("exams.manage_bank")
def question_toggle(request, pk):
    question = _question(request, pk, "exams.manage_bank")
    # The state asked for, not a flip of the state found: a second click, or a page older
    # than another organizer's change, must not undo what it asks for.
    wanted = {"0": False, "1": True}.get(request.POST.get("active", ""))
    if wanted is None:
        messages.error(request, _("Say whether the question is to be retired or put back in use."))
        return redirect("exams:question", pk=question.pk)
    services.set_question_active(request.user, question, wanted, reason=request.POST.get("reason", ""))
    messages.success(request, _("The question is back in use.") if question.is_active else
                     _("The question was retired: it is kept, but no longer drawn."))
    return redirect("exams:question", pk=question.pk)


@permission_required("accounts.dashboard")
def image(request, pk):
    picture = get_object_or_404(QuestionImage.objects.select_related("bank__owner"), pk=pk)
    if not images.may_view(request.user, picture):
        raise Http404
    path = images.path_of(picture)
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=picture.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- papers and sessions


def _competition(request, perm="exams.manage", code=None):
    code = code or request.GET.get("competition") or request.POST.get("competition")
    competition = get_object_or_404(Competition.objects.select_related("host"), code=code or "")
    permissions.require(request.user, perm, competition)
    return competition


def _staff_required(view):
    """Invigilators and organizers, or graders: each sees the sessions they work on."""

    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated and not (
            permissions.has_perm(request.user, "exams.invigilate") or permissions.has_perm(request.user, "exams.grade")
        ):
            raise PermissionDenied
        return permission_required("accounts.dashboard")(view)(request, *args, **kwargs)

    return wrapped


@_staff_required
def sessions(request):
    visible = permissions.filter_queryset(
        request.user, "exams.invigilate", ExamSession.objects.select_related("competition", "paper")
    )
    grading = services.grading_queue(request.user)
    managed = permissions.filter_queryset(request.user, "exams.manage", Competition.objects.order_by("-created_at"))
    papers = (Paper.objects.filter(competition__in=managed).select_related("competition", "bank")
              .annotate(n=Count("sessions")).order_by("-created_at")[:100])
    return render(request, "exams/sessions.html", {
        # People who started: an attempt voided for a new one is not a second person.
        "sessions": visible.annotate(n=Count("attempts", filter=~Q(attempts__status=AttemptStatus.VOIDED)))
        .order_by("-opens_at"), "grading": grading,
        "competitions": managed[:50], "papers": papers,
    })


def _paper_sections(post):
    sections = []
    for index in range(12):
        prefix = f"section-{index}-"
        qtype = post.get(prefix + "type", "")
        if not qtype:
            continue
        sections.append({
            "type": qtype, "count": post.get(prefix + "count") or 0, "points": post.get(prefix + "points"),
            "knowledge_point": post.get(prefix + "kp", ""), "difficulty": post.get(prefix + "difficulty") or None,
            "title": post.get(prefix + "title", ""),
            # Typed with full-width digits, or listed with 、 or spaces, the numbers are the same
            # (１ was "not in the bank", and "1、2" one number that was not).
            "questions": [n for n in re.split(r"[\s,、;]+", unicodedata.normalize(
                "NFKC", post.get(prefix + "questions", ""))) if n],
        })
    return sections


@permission_required("exams.manage")
def paper_create(request):
    competition = _competition(request)
    banks = permissions.filter_queryset(request.user, "exams.view_bank", Bank.objects.all()).order_by("occupation")
    post = request.POST
    # What was typed comes back after a refusal; a new form starts as a blueprint on the
    # bank of the competition's own occupation.
    own = banks.filter(occupation=competition.occupation).order_by("level").first()
    rows = [{"i": i, **{field: post.get(f"section-{i}-{field}", "") for field in
                        ("title", "type", "kp", "difficulty", "count", "points", "questions")}} for i in range(8)]
    context = {"competition": competition, "banks": banks, "types": QuestionType.choices, "rows": rows,
               "difficulties": Difficulty.choices, "kinds": Paper.Kind.choices,
               "scorings": Paper.MultipleScoring.choices, "post": post, "posted": request.method == "POST",
               "chosen_bank": post.get("bank") or (str(own.pk) if own else ""),
               "chosen_kind": post.get("kind") or Paper.Kind.BLUEPRINT}
    if request.method == "POST":
        bank = banks.filter(pk=_number(request.POST.get("bank"))).first()
        try:
            if bank is None:
                raise UserError(_("Choose a question bank."))
            paper = services.save_paper(
                request.user, competition=competition, bank=bank, name=request.POST.get("name", ""),
                kind=request.POST.get("kind", Paper.Kind.BLUEPRINT), sections=_paper_sections(request.POST),
                shuffle_questions="shuffle_questions" in request.POST,
                shuffle_options="shuffle_options" in request.POST,
                multiple_scoring=request.POST.get("multiple_scoring", Paper.MultipleScoring.ALL_OR_NOTHING),
            )
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            context["message"] = rejected.message
        except UserError as error:
            context["message"] = error.message
        else:
            messages.success(request, _("The paper was saved."))
            return redirect("exams:paper", pk=paper.pk)
    return render(request, "exams/paper_form.html", context)


@permission_required("exams.manage")
def paper(request, pk):
    paper = get_object_or_404(Paper.objects.select_related("competition__host", "bank"), pk=pk)
    permissions.require(request.user, "exams.manage", paper)
    return render(request, "exams/paper.html", {
        "paper": paper, "sections": services.paper_sections(paper),  # a fixed paper's question numbers too
        "total": services.paper_total(paper), "shortages": services.paper_shortages(paper),
        "sessions": paper.sessions.order_by("-opens_at"),
    })


def _session(request, pk, perm="exams.invigilate"):
    session = get_object_or_404(ExamSession.objects.select_related("competition__host", "paper", "stage"), pk=pk)
    permissions.require(request.user, perm, session)
    return session


def _session_fields(data):
    return {name: data[name] for name in ("name", "paper", "stage", "opens_at", "closes_at", "duration_minutes",
                                          "grace_seconds", "ip_ranges", "access_code", "graders_per_answer",
                                          "disagreement_percent", "show_score")}


@permission_required("exams.manage")
def session_create(request):
    competition = _competition(request)
    paper = competition.exam_papers.filter(pk=_number(request.GET.get("paper"))).first()
    form = SessionForm(request.POST or None, competition=competition, initial={"paper": paper})
    del form.fields["reason"]  # a reason is asked for changes, not for a new session
    if request.method == "POST" and form.is_valid():
        try:
            session = services.create_session(request.user, competition, **_session_fields(form.cleaned_data))
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The exam session was created."))
            return redirect("exams:session", pk=session.pk)
    return render(request, "exams/session_form.html", {"form": form, "competition": competition})


@permission_required("exams.manage")
def session_edit(request, pk):
    session = _session(request, pk, "exams.manage")
    form = SessionForm(request.POST or None, competition=session.competition, initial=session_initial(session))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_session(request.user, session, reason=form.cleaned_data["reason"],
                                    **_session_fields(form.cleaned_data))
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("exams:session", pk=session.pk)
    return render(request, "exams/session_form.html", {"form": form, "competition": session.competition,
                                                       "session": session})


@permission_required("exams.invigilate")
def session(request, pk):
    return _session_page(request, _session(request, pk))


def _session_page(request, session, allowance_form=None, status=200):
    """The session's page; `allowance_form` bound to what was typed when it was refused."""
    services.sweep(session=session)
    # A voided attempt after the one that counts, without a score (the status says why).
    attempts = session.attempts.select_related("entry__person", "entry__unit", "entry__stage").order_by(
        "entry__stage__order", "entry__number", Case(When(status=AttemptStatus.VOIDED, then=1), default=0), "-pk")
    # Who grades this exam (the competition's graders) and how many marks each has given in it.
    marks = dict(Grading.objects.filter(item__attempt__session=session).values("grader")
                 .annotate(n=Count("pk")).values_list("grader", "n"))
    graders = [{"user": user, "marks": marks.get(user.pk, 0)} for user in User.objects.filter(
        pk__in=RoleAssignment.objects.filter(role=Role.GRADER, competition_id=session.competition_id)
        .values("user_id")).select_related("person__employer").order_by("username")]
    return render(request, "exams/session.html", {
        "session": session, "attempts": attempts, "candidates": services.candidates(session).count(),
        "allowances": services.session_allowances(session),
        "allowance_form": allowance_form or AllowanceForm(stages=_allowance_stages(session)),
        "grading": services.grading_progress(session), "shortages": services.paper_shortages(session.paper),
        "ungradable": services.ungradable(session, [g["user"] for g in graders]) if graders else 0,
        "can_manage": permissions.has_perm(request.user, "exams.manage", session), "graders": graders,
        "can_assign": permissions.has_perm(request.user, "accounts.manage_roles"),
        "now": timezone.now(),
    }, status=status)


def _allowance_stages(session):
    """The stages a candidate's entry number needs with it: a session open to every stage
    takes candidates from each, and their numbers repeat from stage to stage."""
    return [] if session.stage_id else list(session.competition.stages.order_by("order"))


@require_POST
@permission_required("exams.invigilate")
def allowance(request, pk):
    session = _session(request, pk)
    form = AllowanceForm(request.POST, stages=_allowance_stages(session))
    if not form.is_valid():
        messages.error(request, _("Give the entry number, the minutes and a reason."))
        return _session_page(request, session, form, status=400)  # what was typed stays in the form
    try:
        entry = services.candidate_by_number(session, form.cleaned_data["entry"], form.cleaned_data.get("stage"))
        services.set_allowance(request.user, session, entry, form.cleaned_data["minutes"],
                               reason=form.cleaned_data["reason"])
    except UserError as error:
        messages.error(request, error.message)
        return _session_page(request, session, form, status=400)
    if services.handed_in(session, entry):
        messages.warning(request, _("The extra time was recorded, but %(name)s has already handed in: it counts only "
                                    "if they sit the exam again.") % {"name": entry.person.name})
    else:
        messages.success(request, _("The extra time was recorded."))
    return redirect("exams:session", pk=session.pk)


MONITOR_PAGE = 100


@permission_required("exams.invigilate")
def monitor(request, pk):
    session = _session(request, pk)
    rows = services.live_list(session)
    # The counts for the whole hall, and a filter by them: a hall of hundreds is mostly
    # rows nobody needs to look at.
    totals = services.live_totals(rows)
    # A session open to every stage: entry numbers repeat from stage to stage, so each row
    # names its stage.
    stages_vary = len({row["stage_id"] for row in rows}) > 1
    show = request.GET.get("show", "")
    if show in totals:
        rows = [row for row in rows if row["group"] == show]
    else:
        show = ""
    q = request.GET.get("q", "").strip()[:50]
    rows = services.find_in_live_list(rows, q)
    # A page of rows at a time: the list is rendered again every few seconds for each
    # invigilator watching, and a hall of 2,000 took most of a second to render whole.
    page = Paginator(rows, MONITOR_PAGE).get_page(request.GET.get("page"))
    for row in page:
        if row["remaining"] is not None:
            minutes, seconds = divmod(row["remaining"], 60)
            row["remaining_text"] = f"{minutes}:{seconds:02d}"
        # The rows are shared between invigilators (services.live_list): words in each one's language here.
        row["status_label"] = AttemptStatus(row["state"]).label if row["attempt_id"] else ""
        row["ended_by_label"] = EndedBy(row["ended_by"]).label if row["ended_by"] else ""
        row["entry_status_label"] = EntryStatus(row["entry_status"]).label
    here = urlencode({key: value for key, value in (("show", show), ("q", q), ("page", page.number))
                      if value and (key != "page" or page.paginator.num_pages > 1)})
    context = {"session": session, "rows": page.object_list, "page": page, "now": timezone.now(), "totals": totals,
               "show": show, "q": q, "here": f"?{here}" if here else "",
               "everyone": sum(totals.values()), "lost_after": services.CONNECTION_LOST_SECONDS,
               "stages_vary": stages_vary}
    template = "exams/_monitor.html" if is_htmx(request) else "exams/monitor.html"
    return render(request, template, context)


def _attempt(request, pk, perm="exams.view_attempt"):
    attempt = get_object_or_404(
        Attempt.objects.select_related("session__competition__host", "session__paper", "entry__person",
                                       "entry__unit"), pk=pk)
    permissions.require(request.user, perm, attempt)
    return attempt


@permission_required("exams.view_attempt")
def attempt(request, pk):
    attempt = services.finalize_if_due(_attempt(request, pk))
    own = attempt.person_id == request.user.person_id
    staff = permissions.has_perm(request.user, "exams.invigilate", attempt.session)
    if own and not staff and attempt.status == AttemptStatus.IN_PROGRESS:
        return redirect("exams:take", pk=attempt.session_id)
    answers = dict(attempt.answers.values_list("position", "response"))
    show_score = staff or attempt.session.show_score
    manager = permissions.has_perm(request.user, "exams.manage", attempt)
    # Each question's score, the right answers and the explanations: services.review_shows_answers.
    show_right = services.review_shows_answers(request.user, attempt)
    items = []
    drawn = list(attempt.items.select_related("version", "section").prefetch_related("gradings"))
    # The right answers and explanations (their pictures in one query for the whole paper), only where they show.
    keys = services.answer_keys([item.version for item in drawn], image_url) if show_right else {}
    for item, view in zip(drawn, services.item_views(drawn, image_url), strict=True):
        items.append({"item": item, "view": _with_saved(view, answers.get(item.position)),
                      **keys.get(item.version_id, {})})
    return render(request, "exams/attempt.html", {
        "attempt": attempt, "items": items, "staff": staff, "show_score": show_score, "show_right": show_right,
        "events": attempt.events.select_related("actor") if staff else [],
        "extend_form": ExtendForm(), "end_form": ReasonForm(), "void_form": ReasonForm(),
        # Voiding for a new attempt undoes a hand-in and maybe a score: the organizers', not every invigilator's.
        "can_void": attempt.status != AttemptStatus.VOIDED and manager,
        "current": (services.replacing(attempt) if staff and attempt.status == AttemptStatus.VOIDED else None),
        "theory": services.theory_score(attempt) if attempt.status == AttemptStatus.GRADED else None,
    })


@permission_required("exams.invigilate")
def attempt_actions(request, pk):
    """A running attempt's actions on the live list (extend, end), fetched when an
    invigilator opens them: in every row, they were most of the list's size."""
    attempt = _attempt(request, pk, "exams.invigilate")
    return render(request, "exams/_attempt_actions.html", {
        "attempt": attempt, "next": next_url(request, reverse("exams:monitor", args=[attempt.session_id]))})


@require_POST
@permission_required("exams.invigilate")
def attempt_extend(request, pk):
    attempt = _attempt(request, pk, "exams.invigilate")
    form = ExtendForm(request.POST)
    try:
        if not form.is_valid():
            raise UserError(_("Give the minutes (-120 to 300) and a reason."))
        services.extend(request.user, attempt, form.cleaned_data["minutes"], reason=form.cleaned_data["reason"])
    except UserError as error:
        messages.error(request, error.message)
    else:
        minutes = form.cleaned_data["minutes"]
        if minutes < 0:  # time taken back: "has -5 more minutes" said the opposite
            text = ngettext("The time of %(name)s was shortened by %(n)s minute.",
                            "The time of %(name)s was shortened by %(n)s minutes.", -minutes)
        else:
            text = ngettext("%(name)s has %(n)s more minute.", "%(name)s has %(n)s more minutes.", minutes)
        messages.success(request, text % {"name": attempt.entry.person.name, "n": abs(minutes)})
    return redirect(next_url(request, reverse("exams:monitor", args=[attempt.session_id])))


@require_POST
@permission_required("exams.invigilate")
def attempt_end(request, pk):
    attempt = _attempt(request, pk, "exams.invigilate")
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise UserError(_("Give a reason for ending the attempt."))
        ended = services.end_attempt(request.user, attempt, reason=form.cleaned_data["reason"])
    except UserError as error:
        messages.error(request, error.message)
    else:
        if ended.ended_by == EndedBy.TIMEOUT:  # in the grace period: recorded as the time-out it was, as the API says
            messages.success(request, _("The time of %(name)s was already up: the attempt was handed in as a "
                                        "time-out.") % {"name": attempt.entry.person.name})
        else:
            messages.success(request, _("The attempt of %(name)s was ended.") % {"name": attempt.entry.person.name})
    return redirect(next_url(request, reverse("exams:monitor", args=[attempt.session_id])))


@require_POST
@permission_required("exams.manage")
def attempt_void(request, pk):
    attempt = _attempt(request, pk, "exams.manage")
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise UserError(_("Give a reason for voiding the attempt."))
        services.void_attempt(request.user, attempt, reason=form.cleaned_data["reason"])
    except UserError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The attempt of %(name)s was voided: they can start the exam again.")
                         % {"name": attempt.entry.person.name})
    return redirect(next_url(request, reverse("exams:attempt", args=[attempt.pk])))


@permission_required("exams.invigilate")
def session_results(request, pk):
    session = _session(request, pk)
    columns, rows = services.session_results(session)
    return xlsx_response(sheets.xlsx_bytes(columns, rows, sheet_name="理论考试成绩"), f"理论考试-{session.pk}.xlsx")


@permission_required("exams.manage")
def item_analysis(request, pk):
    """Item analysis (试题分析) of the sitting: each question's difficulty and
    discrimination, and for choice questions which options were chosen. Organizers only:
    it shows the questions and their keys."""
    session = _session(request, pk, "exams.manage")
    count, group, rows = analysis.item_statistics(session)
    flagged = sum(1 for row in rows if row.flag)
    return render(request, "exams/item_analysis.html", {
        "session": session, "attempts": count, "group": group, "rows": rows, "flagged": flagged,
        "points": analysis.by_knowledge_point(rows), "min_attempts": analysis.MIN_ATTEMPTS})


@permission_required("exams.manage")
def item_analysis_xlsx(request, pk):
    """The item analysis as a workbook: a sheet by question, then one by knowledge point."""
    session = _session(request, pk, "exams.manage")
    (name, columns, rows), *more = analysis.tables(session)
    return xlsx_response(sheets.xlsx_bytes(columns, rows, sheet_name=name, more_sheets=more),
                         f"试题分析-{session.pk}.xlsx")


# ---------------------------------------------------------------- grading


@permission_required("exams.grade")
def grade(request, pk):
    session = _session(request, pk, "exams.grade")
    form = GradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = get_object_or_404(AttemptItem, pk=form.cleaned_data["item"], attempt__session=session)
        try:
            services.grade(request.user, item, form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except UserError as error:
            form.add_error("score", error.message)
        else:
            messages.success(request, _("Saved. Here is the next answer."))
            return redirect("exams:grade", pk=session.pk)
    item = services.next_to_grade(session, request.user)
    context = {"session": session, "progress": services.grading_progress(session), "item": item}
    if item is not None:
        # A mark refused (out of range, not a number) comes back with what the grader typed,
        # on the same answer; otherwise a fresh form for the next one.
        retry = request.method == "POST" and str(item.pk) == str(form.data.get("item"))
        context["form"] = form if retry else GradeForm(initial={"item": item.pk})
        context["response"] = item.attempt.answers.filter(position=item.position).values_list(
            "response", flat=True).first()
        context["pictures"] = [image_url(i) for i in item.version.pictures()]
        context["round"] = item.gradings.count() + 1
    if request.method == "POST" and form.errors and context.get("form") is not form:
        # Refused for an answer the queue has moved past (another grader finished it): say so.
        for error in form.errors.get("score", []):
            messages.warning(request, error)
    return render(request, "exams/grade.html", context)


# ---------------------------------------------------------------- the candidate


@permission_required("exams.take")
def mine(request):
    return render(request, "exams/mine.html", {"rows": services.my_exams(request.user.person_id)})


def _device(request):
    return request.COOKIES.get(DEVICE_COOKIE) or ""


def _with_device(response, device):
    """The device's identity lives in a cookie of its own: a reload on the same phone
    resumes the attempt, another browser is recorded as a second device."""
    response.set_cookie(DEVICE_COOKIE, device, max_age=30 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    return response


def _take_session(request, pk):
    session = get_object_or_404(ExamSession.objects.select_related("competition", "paper"), pk=pk)
    entry = services.candidate_entry(session, request.user.person_id) if request.user.person_id else None
    if entry is None:
        raise PermissionDenied
    return session, entry


@permission_required("exams.take")
def take(request, pk):
    session, entry = _take_session(request, pk)
    found = services.current_attempt(session, entry)
    if found is not None:
        found = services.finalize_if_due(found)
    context = {"session": session, "entry": entry, "attempt": found, "now": timezone.now()}
    if found is None:
        # An attempt voided for a new one: the candidate is told why they start again.
        voided = services.voided_attempts(session, entry).first()
        if voided is not None:
            event = voided.events.filter(kind=AttemptEvent.Kind.VOID).order_by("-at").first()
            context["voided"] = {"reason": event.detail.get("reason", "") if event else ""}
    if found is None or found.status != AttemptStatus.IN_PROGRESS:
        return render(request, "exams/take_intro.html", context)
    if found.device != _device(request):
        return render(request, "exams/take_elsewhere.html", context)
    state = services.attempt_state(found, image_url=image_url)
    for view in state["items"]:
        _with_saved(view, state["answers"].get(str(view["position"]), {}).get("response"))
    config = {
        "attempt": found.pk, "token": services.attempt_token(found), "remaining": state["remaining_seconds"],
        # the server's clock and the attempt's start, in ms: the page numbers its changes by them
        "now": int(timezone.now().timestamp() * 1000), "started": int(found.started_at.timestamp() * 1000),
        "answers": state["answers"], "saveUrl": f"/api/exams/attempts/{found.pk}/answers",
        "heartbeatUrl": f"/api/exams/attempts/{found.pk}/heartbeat",
        "submitUrl": f"/api/exams/attempts/{found.pk}/submit",
        "doneUrl": reverse("exams:take", args=[session.pk]),
        "messages": {
            "saved": _("All answers saved"),
            "saving": _("Saving…"),
            "offline": _("No connection: your answers are kept on this device and sent when it is back"),
            "confirm": _("Hand in now? {count} questions have no answer: No. {list}."),
            "confirmOne": _("Hand in now? One question has no answer: No. {list}."),
            "confirmAll": _("Hand in now? Every question has an answer."),
            "listSeparator": pgettext("between the numbers of a list", ", "),
            "timeUp": _("Time is up: handing in…"),
            "unsaved": _("Some answers are not saved yet (no connection). The paper is handed in as soon as they "
                         "are; keep this page open."),
            "elsewhere": _("This exam has been opened on another device; this page no longer saves answers. "
                           "Reload to continue here."),
            "closed": _("The exam has ended."),
            "stopped": _("Answers are no longer saved on this page."),
            "timeChanged": _("The invigilator changed your time: {minutes} minutes left."),
            "timeLeft": _("{minutes} minutes left."),
        },
    }
    return render(request, "exams/take.html", {**context, "items": state["items"], "config": config,
                                               "count": len(state["items"]),
                                               "max_chars": services.MAX_RESPONSE_CHARS})


def _with_saved(view, response):
    """Add what the template needs to show `response` as the inputs' state."""
    view["saved"] = response
    view["chosen"] = _chosen(response)
    if view["type"] == QuestionType.FILL:
        values = response if isinstance(response, list) else []
        view["blank_values"] = [values[i] if i < len(values) else "" for i in range(view["blanks"])]
    return view


@require_POST
@permission_required("exams.take")
def start(request, pk):
    session, _entry = _take_session(request, pk)
    device = _device(request) or services.new_device()
    if request.POST.get("take_over") == "1":
        device = services.new_device()
    try:
        services.start(request.user, session, device=device, ip=client_ip(request),
                       access_code=request.POST.get("access_code", ""),
                       user_agent=request.headers.get("User-Agent", ""))
    except UserError as error:
        messages.error(request, error.message)
    return _with_device(redirect("exams:take", pk=session.pk), device)


@require_POST
@permission_required("exams.take")
def submit(request, pk):
    """The hand-in button without JavaScript; the exam page normally uses the API."""
    session, entry = _take_session(request, pk)
    found = services.current_attempt(session, entry)
    if found is None:  # voided meanwhile: the start page says so
        return redirect("exams:take", pk=session.pk)
    try:
        services.submit(request.user, found, device=_device(request))
    except UserError as error:
        messages.error(request, error.message)
    return redirect("exams:take", pk=session.pk)


# ---------------------------------------------------------------- practice


def _practice_banks(user):
    return Bank.objects.filter(practice_open=True).annotate(
        count=Count("questions", filter=Q(questions__is_active=True))).filter(count__gt=0).order_by("occupation")


@permission_required("exams.practice")
def practice(request):
    person = request.user.person
    banks = list(_practice_banks(request.user))
    own = [b for b in banks if b.occupation == person.occupation]
    form = PracticeForm(initial={"bank": own[0].pk if own else ""})
    form.fields["bank"].choices = [(b.pk, f"{b.name}（{b.count}）") for b in banks]
    recent = list(PracticeSet.objects.filter(person=person).select_related("bank", "knowledge_point")[:10])
    # How many were right gives the answers away as each answer's verdict would: not for a
    # bank that keeps its answers back now (practice_answers_kept).
    practised = Bank.objects.filter(pk__in=PracticeSet.objects.filter(person=person).values("bank_id"))
    kept = services.practice_answers_kept(practised)
    for round_ in recent:
        round_.kept = round_.bank_id in kept
    totals = PracticeItem.objects.filter(practice__person=person, answered_at__isnull=False).aggregate(
        answers=Count("pk"), correct=Count("pk", filter=Q(correct=True) & ~Q(practice__bank_id__in=kept)))
    return render(request, "exams/practice.html", {
        "form": form, "banks": banks, "recent": recent, "totals": totals,
        "wrong": services.wrong_count(person),
        "kps": {b.pk: list(b.knowledge_points.annotate(n=Count("questions")).filter(n__gt=0)
                           .values_list("name", flat=True)) for b in banks},
    })


@require_POST
@permission_required("exams.practice")
def practice_start(request):
    bank = get_object_or_404(Bank, pk=_number(request.POST.get("bank")) or 0)
    try:
        kp = services.practice_knowledge_point(bank, request.POST.get("knowledge_point"))
        practice = services.start_practice(request.user.person, bank, knowledge_point=kp,
                                           count=request.POST.get("count") or 10,
                                           mode=request.POST.get("mode") or PracticeSet.Mode.PRACTICE)
    except UserError as error:
        messages.error(request, error.message)
        return redirect("exams:practice")
    asked = min(_number(request.POST.get("count")) or 10, 100)  # start_practice's own cap
    if 0 < practice.total < asked:
        messages.info(request, _("Only %(n)s questions are there to practise here, so this round has %(n)s.")
                      % {"n": practice.total})
    return redirect("exams:practice_round", pk=practice.pk)


def _practice(request, pk):
    practice = get_object_or_404(PracticeSet.objects.select_related("unit", "bank"), pk=pk)
    permissions.require(request.user, "exams.practice", practice)
    return practice


def _practice_item_context(item, kept=False, keys=None):
    """`keys`: services.answer_keys() of a whole round's answered items, read at once."""
    view = _with_saved(services.practice_item_view(item, image_url), item.response)
    context = {"item": item, "view": view, "kept": kept and item.answered_at is not None}
    if item.answered_at and not kept:
        version = item.version
        key = (keys if keys is not None else services.answer_keys([version], image_url))[version.pk]
        context.update(right=key["answer"], explanation=key["explanation"],
                       explanation_images=key["explanation_images"])
        context["feedback"] = [o.get("feedback") for o in version.options if o.get("feedback")
                               and o["key"] in _chosen(item.response)]
    return context


def _chosen(response):
    if isinstance(response, list):
        return response
    return [response] if isinstance(response, str) else []


@permission_required("exams.practice")
def practice_round(request, pk):
    practice = _practice(request, pk)
    items = list(practice.items.select_related("version").prefetch_related(picture_links("version__")))
    kept = bool(services.practice_answers_kept([practice.bank]))
    keys = {} if kept else services.answer_keys([i.version for i in items if i.answered_at], image_url)
    return render(request, "exams/practice_round.html", {
        "practice": practice, "items": [_practice_item_context(i, kept, keys) for i in items], "kept": kept,
    })


def read_response(post, qtype, prefix="q"):
    """The response a form posted for one question, in the API's shape."""
    if qtype == QuestionType.MULTIPLE:
        return sorted(post.getlist(prefix))
    if qtype == QuestionType.JUDGE:
        value = post.get(prefix)
        return None if value is None else value == "true"
    if qtype == QuestionType.FILL:
        return post.getlist(prefix)
    return post.get(prefix)


@require_POST
@permission_required("exams.practice")
def practice_answer(request, pk, position):
    practice = _practice(request, pk)
    item = get_object_or_404(PracticeItem.objects.select_related("version"), practice=practice, position=position)
    try:
        item = services.answer_practice(request.user.person, item, read_response(request.POST, item.version.type))
    except UserError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")  # site.js shows it
    return render(request, "exams/_practice_item.html", _practice_item_context(item))


@permission_required("exams.practice")
def wrong_book(request):
    rows, held = services.wrong_book(request.user.person)
    banks = {}
    # Opened, an entry shows the question as practice does: options in their own order, the
    # right answer and the explanation (the pictures in one query for the whole book).
    for row, view in zip(rows, services.wrong_entry_views(rows, image_url), strict=True):
        row.view, row.right, row.explanation_images = view, view["answer"], view["explanation_images"]
        banks.setdefault(row.question.bank, []).append(row)
    return render(request, "exams/wrong_book.html", {"banks": banks, "held": held})


@require_POST
@permission_required("exams.practice")
def wrong_remove(request, pk):
    wrong = get_object_or_404(WrongAnswer, pk=pk, person_id=request.user.person_id)
    services.remove_wrong_answer(request.user, wrong)
    return redirect("exams:wrong_book")


def _activity_items(request):
    return services.practice_items(request.user, days=_number(request.GET.get("days")) or 30,
                                   bank=_number(request.GET.get("bank")))


@permission_required("exams.view_practice_stats")
def practice_stats(request):
    items, days = _activity_items(request)
    by = "group" if request.GET.get("by") == "group" else "unit"
    rows = services.practice_activity(items, by=by)
    chart = {"names": [r["name"] for r in rows[:20]], "answers": [r["answers"] for r in rows[:20]],
             "accuracy": [float(r["accuracy"] or 0) for r in rows[:20]],
             "daily": services.practice_daily(items, days)}
    visible = permissions.filter_queryset(request.user, "exams.view_practice_stats", PracticeSet.objects.all())
    return render(request, "exams/practice_stats.html", {
        "rows": rows, "by": by, "days": days, "chart": chart,
        "banks": Bank.objects.filter(pk__in=visible.values("bank_id")).order_by("occupation"),  # those practised
        "totals": {"people": items.filter(answered_at__isnull=False).values("practice__person").distinct().count(),
                   "answers": sum(r["answers"] for r in rows) if by == "unit" else None},
    })


@permission_required("exams.view_practice_stats")
def practice_stats_xlsx(request):
    items, days = _activity_items(request)
    by = "group" if request.GET.get("by") == "group" else "unit"
    columns, data = services.practice_table(services.practice_activity(items, by=by), by)
    return xlsx_response(sheets.xlsx_bytes(columns, data, sheet_name="岗位练兵"), f"岗位练兵-近{days}天.xlsx")

