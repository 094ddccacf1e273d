"""The demo: a deterministic city (Shanghai's 16 districts) with its union, bureau,
industry unions, streets, enterprises, colleges, workers and an account for every role.

Each app adds its part in <app>/demo.py as `load(ctx)`, called in APP_ORDER. Everything
random comes from ctx.rng, seeded, so the same seed gives the same demo."""

import random
from dataclasses import dataclass, field

APP_ORDER = ["orgs", "people", "accounts", "competitions", "registration", "judging", "exams", "results"]

SIZES = {
    # workers, enterprises per street, streets per district
    "small": {"workers": 2000, "enterprises": 60, "streets_per_district": 2},
    "city": {"workers": 20000, "enterprises": 300, "streets_per_district": 4},
}

DEMO_PASSWORD = "jingsai-demo-2026"  # noqa: S105 - printed for the demo, never used elsewhere


@dataclass
class DemoContext:
    size: str
    seed: int
    rng: random.Random
    actor: object
    orgs: dict = field(default_factory=dict)  # code -> Organization
    logins: list = field(default_factory=list)  # (role label, username, note)
    data: dict = field(default_factory=dict)  # anything apps pass to later apps
    out: object = None

    @property
    def params(self):
        return SIZES[self.size]

    def login(self, role, username, note=""):
        self.logins.append((role, username, note))

    def say(self, message):
        if self.out is not None:
            self.out.write(message)


# Surnames by approximate frequency (the most common hundred cover ~85% of people).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤"
)
SURNAME_WEIGHTS = [max(1, 100 - i) for i in range(len(SURNAMES))]
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方")
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋峰志建国庆东文博晨阳"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英华慧巧美婷雪琳颖佳倩欣怡梦瑶璐晶丹萍红燕月琴蕾莉洁"


def person_name(rng, sex):
    surname = rng.choice(COMPOUND) if rng.random() < 0.004 else rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return surname + given
