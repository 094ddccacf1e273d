"""Pictures of an explanation (Moodle's general feedback): imported in their order, written
back on export, shown after the explanation's text wherever it is shown, and kept back with
it while an exam drawn from the bank is under way."""

import base64
import hashlib
from pathlib import Path

import pytest

from jingsai.core.errors import Rejected
from jingsai.exams import services
from jingsai.exams.models import Question
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
FILE = "moodle_explanation_pictures.xml"
REVERSE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaPgPAAIDAYAkYfWXAAAAAElFTkSuQmCC"
FORWARD = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4f4IBAASRAcjyuzl2AAAAAElFTkSuQmCC"


def _sha(b64):
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()


def _import(bank, data=None):
    data = data if data is not None else (DATA / FILE).read_bytes()
    return services.import_questions(factories.actor(), bank, data, filename=FILE, fmt="moodle-xml")


def _explained(version):
    return [link.image for link in version.explanation_image_links.select_related("image").order_by("position")]


def _questions(bank):
    wiring = Question.objects.select_related("current").get(bank=bank, current__title="反接接线")
    ground = Question.objects.select_related("current").get(bank=bank, current__title="接地线")
    return wiring, ground



def test_general_feedback_pictures_are_imported_as_the_explanations_in_their_order():
    bank = ex.bank()
    result = _import(bank)
    assert result["added"]["single"] == 1 and result["added"]["judge"] == 1
    wiring, ground = _questions(bank)
    assert wiring.current.explanation == "直流反接：焊条接正极，工件接负极。\n\n对照正接："
    # In the order the feedback shows them, not that of the <file> elements; the %-encoded name read back.
    pictures = _explained(wiring.current)
    assert [p.sha256 for p in pictures] == [_sha(REVERSE), _sha(FORWARD)]
    assert [p.name for p in pictures] == ["reverse.png", "正接 图.png"]
    assert [i.name for i in wiring.current.images.all()] == ["stem.png"]  # the question's own stay its own
    # An explanation may be a picture alone; the same picture is stored once in the bank.
    assert ground.current.explanation == ""
    assert [p.pk for p in _explained(ground.current)] == [pictures[0].pk]
    assert not ground.current.images.exists()
    assert bank.images.count() == 3


def test_a_picture_in_an_answers_feedback_is_still_refused_and_only_it():
    data = (DATA / FILE).read_text(encoding="utf-8").replace(
        "<text>正接多用于酸性焊条。</text>",
        '<text><![CDATA[<p>正接多用于酸性焊条。<img src="@@PLUGINFILE@@/forward.png"></p>]]></text>'
        f'<file name="forward.png" path="/" encoding="base64">{FORWARD}</file>',
    ).encode()
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        _import(bank, data)
    messages = [problem.message for problem in rejected.value.problems]
    assert len(messages) == 1, messages  # the general feedback's pictures are not among them
    assert "forward.png" in messages[0] and "反馈" in messages[0]
    assert not Question.objects.filter(bank=bank).exists()


def test_export_writes_them_back_into_the_general_feedback_and_they_read_back_the_same():
    bank = ex.bank()
    _import(bank)
    exported = services.export_questions(bank, "moodle-xml")
    feedback = exported.decode().split("<generalfeedback", 1)[1].split("</generalfeedback>", 1)[0]
    assert "@@PLUGINFILE@@/reverse.png" in feedback and REVERSE in feedback
    assert _import(bank, exported)["duplicates"] == 2  # the same questions: nothing added
    again = ex.bank(occupation="6-18-02-05")
    _import(again, exported)
    wiring, ground = _questions(again)
    assert [p.sha256 for p in _explained(wiring.current)] == [_sha(REVERSE), _sha(FORWARD)]
    assert [p.sha256 for p in _explained(ground.current)] == [_sha(REVERSE)]
    assert [i.name for i in wiring.current.images.all()] == ["stem.png"]
    assert services.export_questions(again, "moodle-xml") == exported
