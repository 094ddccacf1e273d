"""Demo accounts: one for every role. Competition roles (judges, arbitrators, invigilators,
graders) are granted by the demo parts that create the competitions."""

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core.demo import DEMO_PASSWORD
from jingsai.orgs.models import OrgType

from . import services
from .models import Role, User


@transaction.atomic
def load(ctx):
    password = make_password(DEMO_PASSWORD)
    actor = ctx.actor

    def user(username, name, person=None, **extra):
        account = User.objects.create(username=username, name=name, password=password, person=person, **extra)
        return account

    admin = user("admin", "平台管理员", is_staff=True, is_superuser=True)
    services.grant_role(actor, admin, Role.ADMIN, check=False)
    ctx.login(_("Platform administrator"), "admin")

    city = user("sh-organizer", "市总工会组织员")
    services.grant_role(actor, city, Role.ORGANIZER, organization=ctx.orgs["SH-UNION"], check=False)
    ctx.login(_("Organizer, city union"), "sh-organizer")

    bureau = user("sh-hrss", "市人社局组织员")
    services.grant_role(actor, bureau, Role.ORGANIZER, organization=ctx.orgs["SH-HRSS"], check=False)
    ctx.login(_("Organizer, human resources bureau"), "sh-hrss")

    district = ctx.orgs["SH-D02"]
    district_user = user("xuhui-organizer", "徐汇区总工会组织员")
    services.grant_role(actor, district_user, Role.ORGANIZER, organization=district, check=False)
    ctx.login(_("Organizer, district union"), "xuhui-organizer", district.name)

    in_district = [u for u in ctx.data["units"] if u.type == OrgType.ENTERPRISE and u.path.startswith(district.path)]
    unit = max(in_district, key=lambda u: u.employee_count or 0)
    contact = user("unit-contact", "企业联络员")
    services.grant_role(actor, contact, Role.UNIT_CONTACT, organization=unit, check=False)
    ctx.login(_("Unit contact"), "unit-contact", unit.name)

    person = next(p for p in ctx.data["people"] if p.employer_id == unit.pk and p.worker_status == "worker")
    worker = user(f"w{person.pk}", person.name, person=person)
    ctx.login(_("Worker (log in with the identity number)"), person.id_number, person.name)

    staff = {}
    for username, name in [
        ("judge1", "裁判一"), ("judge2", "裁判二"), ("judge3", "裁判三"), ("chief-judge", "裁判长"),
        ("arbitrator", "仲裁员"), ("invigilator", "监考员"), ("grader", "阅卷员"),
    ]:
        staff[username] = user(username, name)
    ctx.data.update(admin=admin, city_organizer=city, district_organizer=district_user, unit_contact=contact,
                    demo_unit=unit, demo_worker=worker, staff=staff)
    ctx.say(f"  accounts: {User.objects.count()}")
