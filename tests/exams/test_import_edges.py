"""Edges of question import and export found by a review of the file formats (Moodle XML,
GIFT, the xlsx template). Each test failed before the fix its docstring describes."""

import pytest

from jingsai.core.errors import Rejected
from jingsai.exams import services
from jingsai.exams.models import Question
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


def _xml(bank, questions):
    data = f'<?xml version="1.0" encoding="UTF-8"?><quiz>{questions}</quiz>'.encode()
    return services.import_questions(None, bank, data, filename="q.xml")


def _messages(rejected):
    return [(str(p.message), p.where) for p in rejected.value.problems]


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "1e9999999999"])
def test_a_moodle_answer_weight_that_is_not_a_finite_number_is_reported(value):
    """moodle._fraction caught only InvalidOperation of the constructor: fraction="NaN" failed
    later comparing with 0, and a huge exponent overflowed dividing by 100 (a 500 on the page)."""
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        _xml(bank, '<question type="multichoice"><name><text>权重</text></name><questiontext format="html">'
                   '<text>焊接电弧属于哪种放电？</text></questiontext><single>true</single>'
                   f'<answer fraction="{value}"><text>固体放电</text></answer>'
                   '<answer fraction="100"><text>气体放电</text></answer></question>')
    [(message, where)] = _messages(rejected)
    assert value in message and "权重" in where
    assert not Question.objects.filter(bank=bank).exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_gift_file_saved_as_utf16_with_its_byte_order_mark_is_read(encoding):
    """gift._decode knew only UTF-8 and fell to GB18030 with errors="replace": Notepad's
    "Unicode" (UTF-16 with a byte order mark) was imported as text full of NUL characters."""
    bank = ex.bank()
    text = "::Q1::焊接电弧属于哪种放电？{=气体放电 ~固体放电}\r\n"
    data = text.encode(encoding) if encoding == "utf-16" else b"\xfe\xff" + text.encode(encoding)
    services.import_questions(None, bank, data, filename="q.gift")
    version = Question.objects.get(bank=bank).current
    assert version.stem == "焊接电弧属于哪种放电？" and version.options[0]["text"] == "气体放电"


def test_a_gift_file_in_no_known_encoding_or_holding_nul_characters_is_refused():
    """UTF-16 without its byte order mark (NUL bytes, valid UTF-8) was imported with the NULs in
    the text (PostgreSQL refuses them: a 500), and bytes that are not GBK were replaced by �."""
    bank = ex.bank()
    for data in ["::Q1::接地良好。{T}\n".encode("utf-16-le"), b"::Q1::\xff\xfe\xff\xfe{T}\n"]:
        with pytest.raises(Rejected) as rejected:
            services.import_questions(None, bank, data, filename="q.gift")
        [(message, _where)] = _messages(rejected)
        assert "UTF-8" in message
    assert not Question.objects.filter(bank=bank).exists()


def test_a_nul_character_in_a_spreadsheet_cell_is_reported_by_its_row():
    """An xlsx cell can hold a NUL (written _x0000_), which reached the database: PostgreSQL
    refuses it in text and jsonb (a 500)."""
    from jingsai.core import spreadsheets as sheets
    from jingsai.exams.formats import xlsx

    rows = [["判断", "", "", "焊前检查接地。", "", "", "", "", "", "", "", "", "对", "", ""],
            ["单选", "", "", "焊接电弧属于哪种放电？", "气体\x00放电", "固体放电", "", "", "", "", "", "", "A", "", ""]]
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, sheets.xlsx_bytes(xlsx.COLUMNS, rows), filename="q.xlsx")
    [problem] = rejected.value.problems
    assert problem.row == 3 and problem.column == "选项A" and "NUL" in str(problem.message)
    assert not Question.objects.filter(bank=bank).exists()


def test_a_gift_choice_question_with_an_arrow_in_an_option_is_not_matching():
    """gift._answer refused any answer block holding "->" as a matching question, so options
    such as p->next, and our own export of an option 清理->预热->焊接, could not be imported.
    As in Moodle, a block with a ~ is a choice question; matching needs = and -> without ~."""
    bank = ex.bank()
    services.import_questions(None, bank, "::指针::成员 next 写作？{=p->next ~p.next ~*p.next}\n".encode(),
                              filename="q.gift")
    assert [o["text"] for o in Question.objects.get(bank=bank).current.options] == ["p->next", "p.next", "*p.next"]
    source = ex.bank(level=2)
    services.add_question(None, source, ex.question("single", stem="正确的焊接工序是：",
                                                    options=["清理->预热->焊接", "焊接->清理->预热"], answer="A"))
    again = services.import_questions(None, source, services.export_questions(source, "gift"), filename="b.gift")
    assert again["duplicates"] == 1
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, "::配对::配对。{=氩气 -> Ar =氦气 -> He}\n".encode(), filename="q.gift")
    assert rejected.value.problems[0].code == "unsupported"


def test_a_gift_fill_in_keeps_the_spaces_around_its_blanks():
    """gift._Question stripped each piece of text around the answer blocks before joining them
    with ____, so "is ____ and" came back as "is____and": a round trip changed the question, and
    re-importing the export added it again; Moodle's missing word "is {=5} A" lost its spaces too."""
    bank = ex.bank()
    stem = "The unit of current is ____ and of voltage ____ ."
    services.add_question(None, bank, ex.question("fill", stem=stem, answer=[["A"], ["V"]]))
    data = services.export_questions(bank, "gift")
    again = services.import_questions(None, bank, data, filename="b.gift")
    assert again["duplicates"] == 1 and sum(again["added"].values()) == 0
    target = ex.bank(level=2)
    services.import_questions(None, target, data, filename="b.gift")
    missing_word = b"::M::[html]The current is {=5} A, <b>then</b>  more.\n"
    services.import_questions(None, target, missing_word, filename="c.gift")
    stems = sorted(v.current.stem for v in Question.objects.filter(bank=target).select_related("current"))
    assert stems == ["The current is ____ A, then more.", stem]


def test_a_moodle_short_answer_is_read_as_plain_text():
    """moodle._Reader.answers read a shortanswer's accepted answers as HTML, so List&lt;String&gt;
    (Moodle's and our own writing of List<String>) became "List"; Moodle takes them as plain text."""
    bank = ex.bank()
    _xml(bank, '<question type="shortanswer"><name><text>泛型</text></name><questiontext format="html">'
               '<text>字符串列表的类型写作 ____ 。</text></questiontext>'
               '<answer fraction="100" format="moodle_auto_format"><text> List&lt;String&gt; </text></answer>'
               '<answer fraction="50" format="html"><text>a &amp;&amp; b</text></answer></question>')
    assert Question.objects.get(bank=bank).current.answer == [[{"text": "List<String>", "fraction": "1"},
                                                                 {"text": "a && b", "fraction": "0.5"}]]
    source = ex.bank(level=2)
    services.add_question(None, source, ex.question("fill", stem="映射类型写作 ____ 。", answer=[["Map<K, V>"]]))
    again = services.import_questions(None, source, services.export_questions(source, "moodle-xml"), filename="b.xml")
    assert again["duplicates"] == 1


def test_a_gift_question_missing_the_opening_brace_of_its_answers_is_reported():
    """gift._Question.parse took a question with a } and no { for a description and skipped it
    without a word: the file was imported with one question fewer."""
    bank = ex.bank()
    text = ("::Q1::焊接电流的单位是？{=安培 ~伏特}\n\n"
            "::Q2::焊接电压的单位是？ =伏特 ~安培}\n\n"
            "::Q3::括号\\}可以转义。{T}\n\n"
            "::Q4::多了一个。{=安培 ~伏特}}\n")
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, text.encode(), filename="q.gift")
    wheres = [where for _message, where in _messages(rejected)]
    assert wheres == ["第 2 题（第 3 行）", "第 4 题（第 7 行）"]
    assert not Question.objects.filter(bank=bank).exists()


def test_moodle_pictures_that_cannot_be_kept_are_reported_not_dropped():
    """moodle._Reader dropped without a word the pictures of the information for graders, of
    an answer's feedback, and an option's picture whose file is not embedded. A reference
    answer and feedback hold text only here (a question's pictures are shown with it during
    the exam), so each is reported. The general feedback's are the explanation's pictures
    (test_explanation_pictures.py): not reported."""
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"picture").decode()

    def picture(name, embedded=True):
        file = f'<file name="{name}" path="/" encoding="base64">{png}</file>' if embedded else ""
        return f'<text><![CDATA[<p>见图</p><p><img src="@@PLUGINFILE@@/{name}"></p>]]></text>{file}'

    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        _xml(bank, '<question type="multichoice"><name><text>图一</text></name><questiontext format="html">'
                   f'<text>哪个正确？</text></questiontext><generalfeedback format="html">{picture("g.png")}'
                   '</generalfeedback><answer fraction="100" format="html"><text>甲</text>'
                   f'<feedback format="html">{picture("f.png")}</feedback></answer>'
                   f'<answer fraction="0" format="html">{picture("o.png", embedded=False)}</answer></question>'
                   '<question type="essay"><name><text>图二</text></name><questiontext format="html">'
                   '<text>简述。</text></questiontext>'
                   f'<graderinfo format="html">{picture("r.png")}</graderinfo></question>')
    problems = _messages(rejected)
    for name, question in (("f.png", "图一"), ("o.png", "图一"), ("r.png", "图二")):
        assert [question in where for message, where in problems if name in message] == [True], name
    assert len(problems) == 3 and not Question.objects.filter(bank=bank).exists()


def test_xlsx_text_columns_are_text_and_cells_turned_into_dates_or_times_are_reported():
    """The template's option, knowledge point and name columns were not text-formatted, so
    Excel turned 1:2 typed as an option into a time (read as 01:02:00) and 3-4 into a date,
    which were imported as such without a word. The question text and the explanation stay
    General (Excel shows a Text cell of more than 255 characters as ####), and a date or
    time in them is reported too."""
    import datetime
    import io

    import openpyxl
    import xlsxwriter

    from jingsai.exams.formats import xlsx

    template = openpyxl.load_workbook(io.BytesIO(xlsx.write([]))).active
    as_text = {i for dimension in template.column_dimensions.values() if dimension.number_format == "@"
               for i in range(dimension.min, dimension.max + 1)}
    assert {c.label for i, c in enumerate(xlsx.COLUMNS, start=1) if i in as_text} == {
        "知识点", *[f"选项{k}" for k in "ABCDEFGH"], "答案", "名称"}

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    time, date = book.add_format({"num_format": "h:mm"}), book.add_format({"num_format": "m-d"})
    sheet.write_row(0, 0, [c.label for c in xlsx.COLUMNS])
    sheet.write_row(1, 0, ["判断", "", "", "焊前检查接地。", *[""] * 8, "对"])
    sheet.write_row(2, 0, ["单选", "", "", "氩气与二氧化碳的混合比例？"])
    sheet.write_number(2, 4, 1 / 24 + 2 / 1440, time)
    sheet.write_string(2, 5, "1:3")
    sheet.write_string(2, 12, "A")
    sheet.write_row(3, 0, ["单选", "", "", "焊条规格？"])
    sheet.write_datetime(3, 4, datetime.datetime(2024, 3, 4), date)
    sheet.write_string(3, 5, "3-5")
    sheet.write_string(3, 12, "A")
    book.close()
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, buffer.getvalue(), filename="q.xlsx")
    assert [(p.row, p.column) for p in rejected.value.problems] == [(3, "选项A"), (4, "选项A")]
    assert "01:02" in str(rejected.value.problems[0].message)
    assert not Question.objects.filter(bank=bank).exists()


def test_a_gift_question_with_a_picture_keeps_its_options_explanation_and_answers_as_they_were():
    """gift.write wrote a question with a picture as [html] but its options, feedback and
    explanation as plain text, which the reader (as Moodle) takes as HTML: List<String> came
    back as "List", Map&lt;K&gt; as Map<K>. They are now written as HTML; a short answer is
    taken as written whatever the format, as Moodle does, so it is written and read as such."""
    from jingsai.exams.content import ImageData

    png = ImageData(name="a.png", data=b"\x89PNG\r\n\x1a\n" + b"picture")
    source = ex.bank(level=3)
    services.add_question(None, source, ex.question(
        "single", stem="下图中的类型是？", options=[{"text": "List<String>", "feedback": "a < b & c"}, "Map&lt;K&gt;"],
        answer="A", explanation="写作 <T>\n表示泛型", images=[png]))
    services.add_question(None, source, ex.question("fill", stem="图中的类型写作 ____ 。", answer=[["List<String>"]],
                                                    images=[png]))
    data = services.export_questions(source, "gift")
    target = ex.bank(level=2)
    services.import_questions(None, target, data, filename="b.gift")
    for question in Question.objects.filter(bank=source):
        copy = Question.objects.get(bank=target, type=question.type).current
        assert (copy.stem, copy.options, copy.answer, copy.explanation) == (
            question.current.stem, question.current.options, question.current.answer, question.current.explanation)
    again = services.import_questions(None, source, data, filename="b.gift")
    assert again["duplicates"] == 2


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift"])
def test_options_that_skip_a_letter_are_lettered_again_so_an_export_is_recognised(fmt):
    """The xlsx template lets a letter be left empty: options A, C, D with answer D were stored
    so, and Moodle XML and GIFT (which letter options by their order) brought them back as A,
    B, C with answer C: re-importing the export added the question again. The keys are now
    made contiguous when a question is checked (import, editor, API), the answer with them."""
    from jingsai.core import spreadsheets as sheets
    from jingsai.exams.formats import xlsx

    rows = [["单选", "", "", "哪种气体用于氩弧焊？", "氧气", "", "氮气", "氩气", "", "", "", "", "D", "", ""],
            ["多选", "", "", "哪些是保护气体？", "", "氩气", "", "氦气", "氧气", "", "", "", "BD", "", ""],
            ["单选", "", "", "B 是空的。", "氧气", "", "氮气", "", "", "", "", "", "B", "", ""]]
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        services.import_questions(None, bank, sheets.xlsx_bytes(xlsx.COLUMNS, rows), filename="a.xlsx")
    [problem] = rejected.value.problems
    assert problem.row == 4 and "AC" in str(problem.message)  # the letters as the person wrote them
    services.import_questions(None, bank, sheets.xlsx_bytes(xlsx.COLUMNS, rows[:2]), filename="a.xlsx")
    stored = {v.type: (v.options, v.answer) for v in (q.current for q in Question.objects.filter(bank=bank))}
    assert stored == {
        "single": ([{"key": "A", "text": "氧气"}, {"key": "B", "text": "氮气"}, {"key": "C", "text": "氩气"}],
                   {"C": "1"}),
        "multiple": ([{"key": "A", "text": "氩气"}, {"key": "B", "text": "氦气"}, {"key": "C", "text": "氧气"}],
                     ["A", "B"])}
    data, name = services.export_questions(bank, fmt), {"moodle-xml": "b.xml", "gift": "b.gift"}[fmt]
    again = services.import_questions(None, bank, data, filename=name)
    assert again["duplicates"] == 2 and sum(again["added"].values()) == 0


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift"])
def test_a_fill_in_with_several_blanks_needs_a_mark_for_each(fmt):
    """A fill-in with two blanks and no blank marks in its text was accepted; Moodle XML and
    GIFT then put the answers at the end of the text, which came back as "________": the text
    grew at each export and import. Several blanks now need as many marks; one needs none."""
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        services.add_question(None, bank, ex.question("fill", stem="写出氩弧焊的两种保护气体。",
                                                      answer=[["氩气"], ["氦气"]]))
    [problem] = rejected.value.problems
    assert "____" in str(problem.message) and "2" in str(problem.message)
    with pytest.raises(Rejected):
        services.add_question(None, bank, ex.question("fill", stem="保护气体：____、____、____。",
                                                      answer=[["氩气"], ["氦气"]]))
    services.add_question(None, bank, ex.question("fill", stem="两种保护气体：____和（　）。",
                                                  answer=[["氩气"], ["氦气"]]))
    services.add_question(None, bank, ex.question("fill", stem="氩弧焊的保护气体。", answer=[["氩气"]]))
    again = services.import_questions(None, bank, services.export_questions(bank, fmt),
                                      filename={"moodle-xml": "b.xml", "gift": "b.gift"}[fmt])
    assert again["duplicates"] == 2 and sum(again["added"].values()) == 0


def test_a_gift_category_drops_moodles_default_category_as_moodle_xml_does():
    """gift.read kept "Default for 焊工培训" (Moodle's default category of a course, which its GIFT
    export writes) in the knowledge point; the Moodle XML reader leaves it out. Both now read
    the category path by one rule."""
    bank = ex.bank()
    text = "$CATEGORY: $course$/top/Default for 焊工培训/焊接安全\n\n::Q::焊前检查接地。{T}\n"
    services.import_questions(None, bank, text.encode(), filename="q.gift")
    assert Question.objects.get(bank=bank).current.knowledge_point.name == "焊接安全"


@pytest.mark.parametrize("fmt", ["gift", "xlsx", "moodle-xml"])
def test_an_accepted_answer_starting_with_a_percent_sign_is_not_read_as_its_weight(fmt):
    """gift.write and the xlsx writer wrote an accepted answer "%50%氩" worth the full points
    with no weight before it, so it read back as "氩" worth half."""
    bank = ex.bank()
    answer = [[{"text": "%50%氩", "fraction": "1"}, {"text": "%氦", "fraction": "0.5"}],
              [{"text": "氩气", "fraction": "1"}]]
    services.add_question(None, bank, ex.question("fill", stem="写作____，即____。", answer=answer))
    target = ex.bank(level=2)
    services.import_questions(None, target, services.export_questions(bank, fmt),
                              filename={"moodle-xml": "b.xml", "gift": "b.gift", "xlsx": "b.xlsx"}[fmt])
    assert Question.objects.get(bank=target).current.answer == answer


def test_moodle_xml_keeps_indentation_in_pre_and_runs_of_spaces():
    """html.html_to_text collapsed every run of spaces, in <pre> and of &nbsp; too, and
    text_to_html wrote indentation as plain spaces: code in a question lost its indentation
    on import, and in a Moodle XML round trip."""
    bank = ex.bank()
    _xml(bank, '<question type="essay"><name><text>代码</text></name><questiontext format="html"><text><![CDATA['
               '<p>下列程序输出什么？</p><pre>\nfor i in range(2):\n    print(i)</pre>'
               '<p>a&nbsp;&nbsp;b</p><p>&nbsp;</p><p>c</p>]]></text></questiontext></question>')
    code = "下列程序输出什么？\n\nfor i in range(2):\n    print(i)"
    assert Question.objects.get(bank=bank).current.stem == code + "\n\na  b\n\nc"
    source = ex.bank(level=2)
    stem = "下列程序输出什么？\nfor i in range(2):\n    print(i)  # 两个空格"
    services.add_question(None, source, ex.question("short", stem=stem))
    again = services.import_questions(None, source, services.export_questions(source, "moodle-xml"), filename="b.xml")
    assert again["duplicates"] == 1
    target = ex.bank(level=1)
    services.import_questions(None, target, services.export_questions(source, "moodle-xml"), filename="b.xml")
    assert Question.objects.get(bank=target).current.stem == stem
