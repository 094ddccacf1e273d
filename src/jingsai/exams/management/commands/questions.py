from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core.commands import JingsaiCommand
from jingsai.core.files import write_file
from jingsai.exams import services
from jingsai.exams.formats import FORMATS
from jingsai.exams.models import Bank, QuestionType
from jingsai.orgs.models import Organization
from jingsai.people.models import Level


class Command(JingsaiCommand):
    help = _("Import questions into a question bank, or export a bank (xlsx, Moodle XML or GIFT).")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("add the questions of a file to the bank of an occupation and level"))
        imp.add_argument("file")
        self._bank_arguments(imp)
        imp.add_argument("--format", choices=FORMATS, help=_("recognised from the file when not given"))
        imp.add_argument("--owner", help=_("organization code owning a new bank (default: the top organization)"))
        settings = sub.add_parser("bank", help=_("show a bank's settings; rename it, or open or close it for practice"))
        self._bank_arguments(settings)
        settings.add_argument("--name", help=_("a new name"))
        settings.add_argument("--practice", choices=["open", "closed"], help=_("open or close the bank for practice"))
        settings.add_argument("--reason", default="", help=_("why (kept in the audit record)"))
        exp = sub.add_parser("export", help=_("write a bank to a file that can be imported again"))
        self._bank_arguments(exp)
        exp.add_argument("--format", choices=FORMATS, default=None, help=_("default: from the file name, else xlsx"))
        exp.add_argument("--out", required=True)
        exp.add_argument("--include-retired", action="store_true", help=_("also questions no longer in use"))

        for action, text in (("retire", _("take questions out of use: they are kept, but no longer drawn for a "
                                          "paper or offered for practice")),
                             ("restore", _("bring retired questions back into use"))):
            toggle = sub.add_parser(action, help=text)
            self._bank_arguments(toggle)
            toggle.add_argument("numbers", nargs="+", type=int, metavar="NUMBER",
                                help=_("the questions' numbers in the bank"))
            toggle.add_argument("--reason", default="", help=_("why (kept in the audit record)"))

    def _bank_arguments(self, parser):
        parser.add_argument("--occupation", required=True, help=_("occupation code, e.g. 6-18-02-04"))
        parser.add_argument("--level", required=True, type=int, choices=[lv.value for lv in Level if lv.value > 0],
                            help=_("skill level 1 to 5"))

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def _owner(self, code):
        if code:
            owner = Organization.objects.filter(code=code).first()
            if owner is None:
                self.fail(_("No organization has the code “%(code)s”.") % {"code": code})
            return owner
        roots = list(Organization.objects.filter(parent__isnull=True).order_by("pk")[:2])
        if len(roots) != 1:
            self.fail(_("Name the organization that owns the new bank with --owner CODE."))
        return roots[0]

    def do_import(self, file, occupation, level, format=None, owner=None, **options):
        path = Path(file)
        if not path.is_file():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        bank = Bank.objects.filter(occupation=occupation, level=level).select_related("owner").first()
        if bank is None:
            owner_org = self._owner(owner)
            self.require("exams.manage_bank", owner_org)
            # One transaction: a rejected file leaves no empty bank behind.
            bank, result = services.import_questions_into_new_bank(
                self.user, occupation=occupation, level=level, owner=owner_org, data=path.read_bytes(),
                filename=path.name, fmt=format)
            self.stdout.write(_("Created the question bank “%(name)s”.") % {"name": bank.name})
        else:
            self.require("exams.manage_bank", bank)
            result = services.import_questions(self.user, bank, path.read_bytes(), filename=path.name, fmt=format)
        total = sum(result["added"].values())
        self.stdout.write(_("Imported %(total)s questions into “%(bank)s” (%(format)s):")
                          % {"total": total, "bank": bank.name, "format": result["format"] or format or ""})
        for qtype in QuestionType:
            self.stdout.write(f"  {qtype.label}: {result['added'][qtype.value]}")
        if result["duplicates"]:
            self.stdout.write(_("%(n)s questions were already in the bank and were not added again.")
                              % {"n": result["duplicates"]})
        if result["skipped"]:
            self.stdout.write(_("%(n)s descriptions (text without a question) were skipped.")
                              % {"n": result["skipped"]})

    def do_bank(self, occupation, level, name=None, practice=None, reason="", **options):
        bank = self._existing_bank(occupation, level)
        fields = {}
        if name is not None:
            fields["name"] = name
        if practice is not None:
            fields["practice_open"] = practice == "open"
        if fields:
            self.require("exams.manage_bank", bank)
            bank, changes = services.update_bank(self.user, bank, reason=reason, **fields)
            names = "、".join(str(Bank._meta.get_field(name).verbose_name) for name in changes)  # as the page says them
            self.stdout.write(_("Changed: %(fields)s.") % {"fields": names} if changes else _("Nothing changed."))
        else:
            self.require("exams.view_bank", bank)
        self.stdout.write(f"{bank.name} · {bank.occupation} · {bank.get_level_display()} · {bank.owner.name} · "
                          + (_("open for practice") if bank.practice_open else _("not open for practice")))

    def do_retire(self, occupation, level, numbers, reason="", **options):
        self._set_active(occupation, level, numbers, False, reason)

    def do_restore(self, occupation, level, numbers, reason="", **options):
        self._set_active(occupation, level, numbers, True, reason)

    def _set_active(self, occupation, level, numbers, active, reason):
        """All the numbers or none: a number the bank does not have changes nothing."""
        bank = self._existing_bank(occupation, level)
        self.require("exams.manage_bank", bank)
        wanted = sorted(set(numbers))
        found = {q.number: q for q in bank.questions.filter(number__in=[n for n in wanted if 0 < n < 2**31])}
        missing = [str(n) for n in wanted if n not in found]
        if missing:
            self.fail(_("The bank “%(bank)s” has no question numbered %(numbers)s; nothing was changed.")
                      % {"bank": bank.name, "numbers": ", ".join(missing)})
        changed = [n for n in wanted if found[n].is_active != active]
        already = ", ".join(str(n) for n in wanted if n not in changed)
        with transaction.atomic():
            for number in changed:
                services.set_question_active(self.user, found[number], active, reason=reason)
        done = ", ".join(map(str, changed)) or "—"
        self.stdout.write((_("Back in use: %(numbers)s.") if active else _("Retired: %(numbers)s."))
                          % {"numbers": done})
        if already:
            self.stdout.write((_("Already in use: %(numbers)s.") if active else _("Already retired: %(numbers)s."))
                              % {"numbers": already})

    def _existing_bank(self, occupation, level):
        bank = Bank.objects.filter(occupation=occupation, level=level).select_related("owner").first()
        if bank is None:
            self.fail(_("There is no question bank for %(occupation)s at level %(level)s.")
                      % {"occupation": occupation, "level": level})
        return bank

    def do_export(self, occupation, level, out, format=None, include_retired=False, **options):
        bank = self._existing_bank(occupation, level)
        self.require("exams.manage_bank", bank)
        fmt = format or {".xml": "moodle-xml", ".gift": "gift", ".txt": "gift"}.get(Path(out).suffix.lower(), "xlsx")
        data = services.export_questions(bank, fmt, include_retired=include_retired)
        write_file(out, data)
        count = bank.questions.filter(**({} if include_retired else {"is_active": True})).count()
        self.stdout.write(_("Wrote %(count)s questions of “%(bank)s” to %(file)s (%(format)s).")
                          % {"count": count, "bank": bank.name, "file": out, "format": fmt})
