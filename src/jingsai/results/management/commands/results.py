import sys

from django.utils.translation import gettext as _

from jingsai.competitions.models import Competition
from jingsai.core.commands import JingsaiCommand
from jingsai.core.files import write_file
from jingsai.orgs.models import Organization
from jingsai.results import exports, queries, services


class Command(JingsaiCommand):
    help = _("Compute, publish, finalize and export a competition's results.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser("compute", help=_("compute the results of a stage, every scope separately"))
        publish = sub.add_parser("publish", help=_("publish the results of a stage for publicity"))
        finalize = sub.add_parser("finalize", help=_("end publicity: grant the benefits, advance the qualifiers"))
        export = sub.add_parser("export", help=_("write the results as JSON, CSV or XLSX"))
        for command in (compute, publish, finalize, export):
            command.add_argument("code", help=_("competition code"))
            command.add_argument("--stage", help=_("stage key (default: the last stage)"))
        for command in (compute, publish, finalize):
            command.add_argument("--reason", default="", help=_("why, for the audit log"))
        compute.add_argument("--scope", help=_("only this scope (organization code)"))
        export.add_argument("--scope", help=_("only this scope (organization code)"))
        export.add_argument("--format", choices=exports.FORMATS, required=True)
        export.add_argument("--out", help=_("file to write (JSON and CSV go to standard output without it)"))

    def run(self, action, code, stage=None, **options):
        competition = Competition.objects.select_related("host", "series").filter(code=code).first()
        if competition is None:
            self.fail(_("No competition has the code “%(code)s”.") % {"code": code})
        stage_ = queries.stage_by_key(competition, stage)
        getattr(self, f"do_{action}")(competition, stage_, **options)

    def _scope(self, code):
        if not code:
            return None
        scope = Organization.objects.filter(code=code).first()
        if scope is None:
            self.fail(_("No organization has the code “%(code)s”.") % {"code": code})
        return scope

    def do_compute(self, competition, stage, scope=None, reason="", **options):
        self.require("results.compute", competition)
        made = services.compute(self.user, stage, scope=self._scope(scope), reason=reason)
        for computation in made:
            if not computation.n_entries:
                continue
            name = computation.scope.name if computation.scope_id else stage.name
            self.stdout.write(_(
                "%(scope)s: version %(version)s, %(entries)s entries, %(ranked)s ranked, %(absent)s absent, "
                "%(disqualified)s disqualified.") % {
                "scope": name, "version": computation.version, "entries": computation.n_entries,
                "ranked": computation.n_ranked, "absent": computation.n_absent,
                "disqualified": computation.n_disqualified})
            if computation.n_changed:
                self.stdout.write(_("  %(count)s entries changed since the previous version.")
                                  % {"count": computation.n_changed})
            if computation.n_missing:
                self.stderr.write(_("  %(count)s entries have a score missing and are not marked absent: record "
                                    "their scores or mark them before publishing.") % {"count": computation.n_missing})

    def do_publish(self, competition, stage, reason="", **options):
        self.require("results.publish", competition)
        publicity = services.publish(self.user, stage, reason=reason)
        self.stdout.write(_("The results of “%(stage)s” are in publicity until %(date)s.")
                          % {"stage": stage.name, "date": publicity.ends_at.strftime("%Y-%m-%d %H:%M")})

    def do_finalize(self, competition, stage, reason="", **options):
        self.require("results.publish", competition)
        finalization = services.finalize(self.user, stage, reason=reason)
        promotions = competition.promotions.filter(result__computation__in=finalization.computations.all()).count()
        advanced = sum(c.results.filter(advanced=True).count() for c in finalization.computations.all())
        self.stdout.write(_("The results of “%(stage)s” are final: %(promotions)s promotions granted, %(advanced)s "
                            "advance.") % {"stage": stage.name, "promotions": promotions, "advanced": advanced})

    def do_export(self, competition, stage, format, out=None, scope=None, **options):
        self.require("results.export", competition)
        if format == "xlsx" and not out:
            self.fail(_("Name the xlsx file to write with --out."))
        body, _name, _type = exports.render(competition, stage, format, masked=False, scope=self._scope(scope))
        if out:
            write_file(out, body)
            self.stderr.write(_("Wrote the results to %(file)s.") % {"file": out})
        elif format == "csv":
            sys.stdout.write(body.decode("utf-8-sig"))
        else:
            sys.stdout.write(body.decode() + "\n")
