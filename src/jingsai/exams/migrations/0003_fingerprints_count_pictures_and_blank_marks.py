"""Question fingerprints now count the pictures, and a fill-in's blank marks alike
(content.fingerprint): recompute them for the versions whose fingerprint changes, so that
a file imported again is still recognised."""

from types import SimpleNamespace

from django.db import migrations
from django.db.models import Q


def recompute(apps, schema_editor):
    from jingsai.exams import content

    Version = apps.get_model("exams", "QuestionVersion")
    changed = []
    for version in Version.objects.filter(Q(type="fill") | Q(images__isnull=False)).distinct().iterator():
        digests = list(version.images.values_list("sha256", flat=True))
        q = SimpleNamespace(type=version.type, stem=version.stem, options=version.options, answer=version.answer)
        new = content.fingerprint(q, image_digests=digests)
        if new != version.fingerprint:
            version.fingerprint = new
            changed.append(version)
    Version.objects.bulk_update(changed, ["fingerprint"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("exams", "0002_attemptitem_fewer_indexes")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
