"""Question files: Moodle XML and GIFT written the way Moodle writes them, the xlsx
template, every bad question reported at once with nothing stored, and each format
written back out and read again to the same questions."""

from pathlib import Path

import pytest
from django.core.management import call_command

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected
from jingsai.exams import services
from jingsai.exams.formats import guess, xlsx
from jingsai.exams.models import Question, QuestionImage
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
# Moodle's short-answer notation: 低氢* accepts anything starting with 低氢, 碱性\* is the
# text 碱性* itself.
WILDCARD_ANSWER = [[{"text": "低氢*", "fraction": "1", "wildcard": True}, {"text": "碱性*", "fraction": "0.5"}]]


def _import(bank, name, fmt=None):
    return services.import_questions(ex.factories.actor(), bank, (DATA / name).read_bytes(), filename=name, fmt=fmt)


def _current(bank):
    return {v.title or v.stem[:8]: v for v in (q.current for q in Question.objects.filter(bank=bank)
                                                .select_related("current__knowledge_point"))}


def _snapshot(bank):
    out = []
    for question in Question.objects.filter(bank=bank).order_by("number").select_related("current"):
        data = services.question_data(question.current, with_image_data=True)
        out.append((data.type, data.stem, [o["text"] for o in data.options], data.answer, data.explanation,
                    data.knowledge_point, data.difficulty, [i.data for i in data.images]))
    return sorted(out, key=repr)


def test_moodle_xml_with_every_construct(make):
    bank = ex.bank()
    result = _import(bank, "moodle_sample.xml")
    assert result["format"] == "moodle-xml" and result["added"] == {"single": 1, "multiple": 1, "judge": 1, "fill": 3,
                                                            "short": 1}
    assert result["skipped"] == 1  # the description
    questions = _current(bank)
    polarity = questions["电源极性"]
    assert polarity.answer == {"B": "1", "C": "0.5"}
    assert polarity.options[0] == {"key": "A", "text": "直流正接", "feedback": "正接用于酸性焊条薄板焊接。"}
    assert polarity.options[3]["text"] == "任意极性 & 均可"
    assert polarity.difficulty == 4 and polarity.knowledge_point.name == "焊接安全"
    assert polarity.explanation.startswith("碱性焊条一般采用直流反接")
    image = polarity.images.get()
    assert image.name == "polarity.png" and image.content_type == "image/png"
    assert questions["防护用品"].answer == ["A", "B"]
    assert questions["接地检查"].answer is True
    gas = questions["保护气体"]
    assert gas.answer == [[{"text": "氩气", "fraction": "1"}, {"text": "Ar", "fraction": "1"},
                           {"text": "惰性气体", "fraction": "0.5"}]]
    assert gas.knowledge_point.name == "焊接工艺/氩弧焊"
    assert questions["触电急救"].answer.startswith("1. 立即切断电源；\n2.")
    cloze = questions["焊接参数"]
    assert cloze.stem == "焊接电流的单位是____，电压的单位是____。"
    assert [[a["text"] for a in blank] for blank in cloze.answer] == [["安培", "A"], ["伏特", "伏"]]
    assert questions["焊条类型"].answer == WILDCARD_ANSWER


def test_gift_with_every_construct():
    bank = ex.bank()
    result = _import(bank, "gift_sample.gift")
    assert result["added"] == {"single": 3, "multiple": 1, "judge": 2, "fill": 4, "short": 1}
    assert result["skipped"] == 1
    questions = _current(bank)
    assert questions["电源极性"].answer == {"B": "1", "C": "0.5"} and questions["电源极性"].difficulty == 2
    assert questions["电源极性"].explanation.startswith("碱性焊条")
    assert questions["防护用品"].options[2]["feedback"] == "化纤遇火星易熔化粘连皮肤。"
    assert questions["接地检查"].answer is True and questions["潮湿环境中可以用"].answer is False
    # the spaces around a missing word stay, as in Moodle
    assert questions["焊接时应穿戴 _"].stem == "焊接时应穿戴 ____ 手套，并保持干燥。"
    assert questions["转义"].stem == "比例 1:2 的混合气体中, 写作 Ar=80% 的含义是？"
    assert questions["转义"].options[1]["text"] == "氩气占{80}份"
    assert questions["触电急救"].type == "short" and "心肺复苏" in questions["触电急救"].answer
    assert questions["接线图"].images.count() == 1
    assert len(questions["焊接参数"].answer) == 2
    assert questions["焊条类型"].answer == WILDCARD_ANSWER


def test_every_bad_question_is_reported_and_nothing_is_stored():
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        _import(bank, "gift_bad.gift")
    messages = [str(p.message) for p in rejected.value.problems]
    assert len(messages) == 4
    assert any("数值" in m or "Numerical" in m for m in messages)
    assert any("匹配" in m or "Matching" in m for m in messages)
    assert any("ACD" in m for m in messages)  # the multi-select with no right answer
    assert Question.objects.filter(bank=bank).count() == 0


def test_moodle_xml_refuses_unsupported_types_and_entities():
    bank = ex.bank()
    unsupported = (b'<?xml version="1.0"?><quiz><question type="numerical"><name><text>n</text></name>'
                   b'<questiontext format="html"><text>1+1?</text></questiontext></question>'
                   b'<question type="matching"><name><text>m</text></name></question></quiz>')
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, unsupported, filename="x.xml")
    assert [p.code for p in rejected.value.problems] == ["unsupported", "unsupported"]
    entity = b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "b">]><quiz></quiz>'
    with pytest.raises(Rejected):
        services.import_questions(None, bank, entity, filename="x.xml")
    assert not Question.objects.filter(bank=bank).exists()


def test_xlsx_template_rows_and_problems_by_row():
    rows = [
        ["单选", "焊接安全", "易", "碱性焊条用什么极性？", "直流正接", "直流反接", "交流", *[""] * 5, "B|%50%C",
         "直流反接", ""],
        ["多选", "焊接安全", "", "必须佩戴：", "面罩", "手套", "化纤服", "", "", "", "", "", "AB", "", ""],
        ["判断", "", "3", "焊前检查接地。", "", "", "", "", "", "", "", "", "对", "", ""],
        ["填空", "氩弧焊", "较难", "保护气体是____，流量单位是____。", *[""] * 8, "氩气|Ar；L/min", "", ""],
        ["简答", "急救", "难", "简述触电急救步骤。", "", "", "", "", "", "", "", "", "断电、脱离、急救", "", ""],
    ]
    bank = ex.bank()
    data = sheets.xlsx_bytes(xlsx.COLUMNS, rows)
    result = services.import_questions(None, bank, data, filename="题库.xlsx")
    assert result["added"] == {"single": 1, "multiple": 1, "judge": 1, "fill": 1, "short": 1}
    fill = Question.objects.get(bank=bank, type="fill").current
    assert fill.answer == [[{"text": "氩气", "fraction": "1"}, {"text": "Ar", "fraction": "1"}],
                           [{"text": "L/min", "fraction": "1"}]]
    assert fill.difficulty == 4
    bad = [["单选", "", "", "题干", "甲", "乙", "", "", "", "", "", "", "E", "", ""],
           ["问卷", "", "", "题干", "", "", "", "", "", "", "", "", "", "", ""],
           ["判断", "", "9", "", "", "", "", "", "", "", "", "", "也许", "", ""]]
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, sheets.xlsx_bytes(xlsx.COLUMNS, bad), filename="坏.xlsx")
    assert sorted({p.row for p in rejected.value.problems}) == [2, 3, 4]
    assert len(rejected.value.problems) == 5  # row 4: difficulty, empty text, answer
    rows_in_order = [p.row for p in rejected.value.problems]
    assert rows_in_order == sorted(rows_in_order)  # in the file's order, whichever pass found them
    cells = {(p.row, p.column, p.value) for p in rejected.value.problems}
    assert {(4, "难度", "9"), (4, "题干", None), (2, "答案", None)} <= cells, cells
    assert Question.objects.filter(bank=bank).count() == 5


@pytest.mark.parametrize("fmt", ["xlsx", "moodle-xml", "gift"])
def test_each_format_reads_back_what_it_wrote(fmt):
    source = ex.bank(level=3)
    _import(source, "moodle_sample.xml")
    _import(source, "gift_sample.gift")
    data = services.export_questions(source, fmt)
    assert guess(f"bank.{fmt}", data) in (fmt, "gift")
    target = ex.bank(level=2)
    services.import_questions(None, target, data, filename={"xlsx": "b.xlsx", "moodle-xml": "b.xml",
                                                            "gift": "b.gift"}[fmt])
    expected = _snapshot(source)
    if fmt == "xlsx":  # the template carries no pictures (Moodle XML and GIFT do)
        expected = [(*row[:-1], []) for row in expected]
    assert _snapshot(target) == expected
    again = services.import_questions(None, target, data, filename="b." + {"moodle-xml": "xml"}.get(fmt, fmt))
    assert sum(again["added"].values()) == 0 and again["duplicates"] == Question.objects.filter(bank=target).count()


def test_pictures_are_stored_once(tmp_path):
    bank = ex.bank()
    _import(bank, "moodle_sample.xml")
    _import(bank, "gift_sample.gift")
    assert QuestionImage.objects.filter(bank=bank).count() == 1


def test_the_questions_command_imports_exports_and_refuses(tmp_path, capsys, make):
    make.org("TOP", type="union")
    call_command("questions", "import", str(DATA / "gift_sample.gift"), "--occupation", "6-18-02-04", "--level", "3")
    out = capsys.readouterr().out
    assert "单选: 3" in out and "简答: 1" in out
    target = tmp_path / "bank.xml"
    call_command("questions", "export", "--occupation", "6-18-02-04", "--level", "3", "--out", str(target))
    assert target.read_bytes().startswith(b"<?xml")
    call_command("questions", "import", str(target), "--occupation", "6-18-02-04", "--level", "2")
    assert "单选: 3" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_status:
        call_command("questions", "import", str(DATA / "gift_bad.gift"), "--occupation", "6-18-02-04",
                     "--level", "3")
    assert exit_status.value.code == 1
    errors = capsys.readouterr().err
    assert "无法导入" in errors or "cannot be imported" in errors


def test_a_moodle_multichoice_without_single_is_single_answer():
    """Moodle's default for <single> is true: a file that leaves it out (older exports and
    hand-written files do) has one right answer per question."""
    bank = ex.bank()
    xml = ('<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice">'
           '<name><text>电弧</text></name><questiontext format="html"><text>焊接电弧属于哪种放电？</text>'
           '</questiontext><answer fraction="100"><text>气体放电</text></answer>'
           '<answer fraction="0"><text>固体放电</text></answer></question></quiz>').encode()
    result = services.import_questions(None, bank, xml, filename="m.xml")
    assert result["added"]["single"] == 1 and result["added"]["multiple"] == 0
    assert _current(bank)["电弧"].answer == {"A": "1"}


def test_wildcards_in_a_cloze_blank_and_in_the_xlsx_and_editor_notation():
    bank = ex.bank()
    xml = ('<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multianswer"><name><text>型号</text></name>'
           '<questiontext format="html"><text><![CDATA[<p>E5015 是{1:SA:=低氢*~%50%碱性\\*}焊条，'
           '电流{1:SA:=直流*}。</p>]]></text></questiontext></question></quiz>').encode()
    services.import_questions(None, bank, xml, filename="m.xml")
    answer = _current(bank)["型号"].answer
    assert answer == [WILDCARD_ANSWER[0], [{"text": "直流*", "fraction": "1", "wildcard": True}]]
    assert xlsx.parse_answer("fill", "低氢*|%50%碱性\\*；直流*") == [
        WILDCARD_ANSWER[0], [{"text": "直流*", "fraction": "1", "wildcard": True}]]
    assert xlsx.answer_text(services.question_data(_current(bank)["型号"])) == "低氢*|%50%碱性\\*；直流*"
    # An answer stored before wildcards were read (no flag) keeps its asterisk as text, and
    # is written with it escaped, so that it reads back the same.
    old = ex.question("fill", stem="运算____", answer=[[{"text": "2*3", "fraction": "1"}]])
    assert xlsx.answer_text(old) == "2\\*3"
    assert xlsx.parse_answer("fill", "2\\*3") == [[{"text": "2*3", "fraction": "1"}]]


def test_xlsx_keeps_each_option_under_its_letter_when_a_letter_is_left_empty():
    """Options A, C, D (B left empty) with answer D are stored as A, B, C with answer C (as
    Moodle XML and GIFT letter them). A version stored before that, keys A, C, D, is exported
    with D's text in column D, so importing the file again keeps the same right answer."""
    rows = [["单选", "焊接安全", "易", "哪种气体用于氩弧焊？", "氧气", "", "氮气", "氩气", "", "", "", "", "D", "", ""]]
    source = ex.bank(level=3)
    services.import_questions(None, source, sheets.xlsx_bytes(xlsx.COLUMNS, rows), filename="a.xlsx")
    version = Question.objects.get(bank=source).current
    assert [(o["key"], o["text"]) for o in version.options] == [("A", "氧气"), ("B", "氮气"), ("C", "氩气")]
    assert version.answer == {"C": "1"}
    stored_before = services.question_data(version)
    stored_before.options = [{"key": k, "text": t} for k, t in (("A", "氧气"), ("C", "氮气"), ("D", "氩气"))]
    stored_before.answer = {"D": "1"}
    target = ex.bank(level=2)
    services.import_questions(None, target, xlsx.write([stored_before]), filename="b.xlsx")
    copy = Question.objects.get(bank=target).current
    assert [(o["key"], o["text"]) for o in copy.options] == [("A", "氧气"), ("B", "氮气"), ("C", "氩气")]
    assert copy.answer == {"C": "1"}
