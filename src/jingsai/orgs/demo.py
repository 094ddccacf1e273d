"""Demo organizations: Shanghai's city union and bureau, 16 district unions with their
streets, industry unions, enterprises of mixed ownership, colleges and teams."""

from django.db import transaction

from .models import Organization, OrgType, Ownership, encode_pk

DISTRICTS = [
    ("310101", "黄浦区", ["南京东路街道", "外滩街道", "半淞园路街道", "小东门街道"]),
    ("310104", "徐汇区", ["天平路街道", "湖南路街道", "斜土路街道", "枫林路街道"]),
    ("310105", "长宁区", ["华阳路街道", "江苏路街道", "新华路街道", "虹桥街道"]),
    ("310106", "静安区", ["江宁路街道", "石门二路街道", "南京西路街道", "静安寺街道"]),
    ("310107", "普陀区", ["曹杨新村街道", "长风新村街道", "宜川路街道", "甘泉路街道"]),
    ("310109", "虹口区", ["欧阳路街道", "曲阳路街道", "广中路街道", "嘉兴路街道"]),
    ("310110", "杨浦区", ["定海路街道", "平凉路街道", "江浦路街道", "四平路街道"]),
    ("310112", "闵行区", ["江川路街道", "古美街道", "新虹街道", "浦锦街道"]),
    ("310113", "宝山区", ["友谊路街道", "吴淞街道", "张庙街道", "庙行镇"]),
    ("310114", "嘉定区", ["新成路街道", "真新街道", "菊园新区", "安亭镇"]),
    ("310115", "浦东新区", ["潍坊新村街道", "陆家嘴街道", "周家渡街道", "塘桥街道"]),
    ("310116", "金山区", ["石化街道", "朱泾镇", "枫泾镇", "张堰镇"]),
    ("310117", "松江区", ["岳阳街道", "永丰街道", "方松街道", "中山街道"]),
    ("310118", "青浦区", ["夏阳街道", "盈浦街道", "香花桥街道", "朱家角镇"]),
    ("310120", "奉贤区", ["南桥镇", "奉浦街道", "金海街道", "西渡街道"]),
    ("310151", "崇明区", ["城桥镇", "堡镇", "新河镇", "庙镇"]),
]
INDUSTRIES = [
    ("JD", "上海市机电工会"), ("HG", "上海市化工工会"), ("JJ", "上海市建设交通工会"),
    ("JR", "上海市金融工会"), ("JY", "上海市教育工会"), ("WS", "上海市卫生工会"),
    ("SM", "上海市商贸工会"), ("GZ", "上海市国资委系统工会"),
]
NAME_PARTS = "申华东海浦江沪新兴宏鼎恒瑞达远隆金宝振光明启盛通泰丰安"
TRADES = [
    "机械制造", "电气设备", "汽车零部件", "精密仪器", "建筑工程", "物流", "化工", "电子科技",
    "食品", "船舶", "燃气", "轨道交通运营", "快递", "餐饮管理", "物业服务", "养老服务", "钢结构",
]
SUFFIXES = ["有限公司", "有限公司", "股份有限公司", "集团有限公司"]
COLLEGES = [
    "上海市高级技工学校", "上海电子信息职业技术学院", "上海交通职业技术学院", "上海工商职业技术学院",
    "上海市城市建设工程学校", "上海石化工业学校", "上海市工业技术学校", "上海城建职业学院",
    "上海市商贸旅游学校", "上海东海职业技术学院", "上海科学技术职业学院", "上海市现代职业技术学校",
]
TEAMS = ["焊接一班", "电工班", "数控车间甲班", "装配二班", "维修班组", "质检班"]
OWNERSHIP_WEIGHTS = [
    (Ownership.PRIVATE, 55), (Ownership.STATE, 20), (Ownership.FOREIGN, 10),
    (Ownership.COLLECTIVE, 5), (Ownership.OTHER, 10),
]


class _Builder:
    """Creates organizations in bulk with their paths, parents before children."""

    def __init__(self):
        self.by_code = {}

    def level(self, specs):
        objs = [Organization(path="/", **{k: v for k, v in s.items() if k != "parent"}) for s in specs]
        for obj, spec in zip(objs, specs, strict=True):
            obj.parent = spec.get("parent")
        Organization.objects.bulk_create(objs, batch_size=1000)
        if any(o.pk is None for o in objs):  # backends that do not return keys
            fetched = {o.code: o for o in Organization.objects.filter(code__in=[o.code for o in objs])}
            objs = [fetched[o.code] for o in objs]
        for obj in objs:
            parent = obj.parent
            obj.path = f"{parent.path if parent else '/'}{encode_pk(obj.pk)}/"
            obj.depth = parent.depth + 1 if parent else 0
        Organization.objects.bulk_update(objs, ["path", "depth"], batch_size=1000)
        self.by_code.update({o.code: o for o in objs})
        return objs


@transaction.atomic
def load(ctx):
    rng, params = ctx.rng, ctx.params
    build = _Builder()
    union, bureau = build.level([
        {"code": "SH-UNION", "name": "上海市总工会", "type": OrgType.UNION, "region_code": "310000"},
        {"code": "SH-HRSS", "name": "上海市人力资源和社会保障局", "type": OrgType.BUREAU, "region_code": "310000"},
    ])
    districts = build.level([
        {"code": f"SH-D{i:02d}", "name": f"{name}总工会", "type": OrgType.DISTRICT, "region_code": region,
         "parent": union}
        for i, (region, name, _streets) in enumerate(DISTRICTS, start=1)
    ])
    industries = build.level([
        {"code": f"SH-I-{code}", "name": name, "type": OrgType.INDUSTRY, "region_code": "310000", "parent": union}
        for code, name in INDUSTRIES
    ])
    streets = build.level([
        {"code": f"{d.code}-S{j}", "name": f"{street}总工会", "type": OrgType.STREET, "region_code": d.region_code,
         "parent": d}
        for d, (_r, _n, names) in zip(districts, DISTRICTS, strict=True)
        for j, street in enumerate(names[: params["streets_per_district"]], start=1)
    ])
    used_names = set()
    enterprise_specs = []
    for i in range(1, params["enterprises"] + 1):
        while True:
            name = "上海" + "".join(rng.sample(NAME_PARTS, 2)) + rng.choice(TRADES) + rng.choice(SUFFIXES)
            if name not in used_names:
                used_names.add(name)
                break
        if i <= len(districts):  # every district gets enterprises, whatever the size
            parent = rng.choice([s for s in streets if s.parent_id == districts[i - 1].pk])
        else:
            parent = rng.choice(industries) if rng.random() < 0.2 else rng.choice(streets)
        ownership = rng.choices([o for o, _w in OWNERSHIP_WEIGHTS], [w for _o, w in OWNERSHIP_WEIGHTS])[0]
        enterprise_specs.append({
            "code": f"SH-E{i:04d}", "name": name, "type": OrgType.ENTERPRISE,
            "region_code": parent.region_code if parent.type == OrgType.STREET else rng.choice(DISTRICTS)[0],
            "ownership": ownership, "employee_count": int(rng.lognormvariate(5.3, 1.0)) + 20, "parent": parent,
        })
    college_specs = [
        {"code": f"SH-C{i:02d}", "name": name, "type": OrgType.COLLEGE,
         "region_code": DISTRICTS[i % len(DISTRICTS)][0], "ownership": Ownership.STATE,
         "employee_count": rng.randint(300, 1500), "parent": industries[4]}
        for i, name in enumerate(COLLEGES[: max(4, params["enterprises"] // 25)], start=1)
    ]
    units = build.level(enterprise_specs + college_specs)
    enterprises = [u for u in units if u.type == OrgType.ENTERPRISE]
    team_specs = []
    for enterprise in rng.sample(enterprises, max(3, len(enterprises) // 10)):
        for k, team in enumerate(rng.sample(TEAMS, 2), start=1):
            team_specs.append({
                "code": f"{enterprise.code}-T{k}", "name": f"{enterprise.name}{team}", "type": OrgType.TEAM,
                "region_code": enterprise.region_code, "parent": enterprise,
                "employee_count": rng.randint(8, 30),
            })
    teams = build.level(team_specs)
    ctx.orgs.update(build.by_code)
    ctx.data.update(
        union=union, bureau=bureau, districts=districts, industries=industries, streets=streets,
        units=units, teams=teams,
    )
    ctx.say(f"  organizations: {len(build.by_code)}")
