"""Question fingerprints now count the pictures, and a fill-in's blank marks alike
(content.fingerprint): recompute them for the versions whose fingerprint changes, so that
a file imported again is still recognised. The function is written out here as it was
when this migration was made, so that later changes to content.fingerprint do not change
what the migration does."""

import hashlib
import json
import re

from django.db import migrations

BLANK = re.compile(r"_{3,}|（[\s\u3000]*）")


def _fingerprint(qtype, stem, options, answer, digests):
    stem = BLANK.sub("____", stem) if qtype == "fill" else stem
    parts = [qtype, stem, [o["text"] for o in options], answer]
    if digests:
        parts.append(sorted(set(digests)))
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def recompute(apps, schema_editor):
    Version = apps.get_model("exams", "QuestionVersion")
    Through = Version.images.through
    pictures = {}
    for version_id, digest in Through.objects.values_list("questionversion_id", "questionimage__sha256").iterator():
        pictures.setdefault(version_id, []).append(digest)
    candidates = Version.objects.filter(type="fill").values_list("pk", flat=True).iterator()
    ids = sorted(set(candidates) | set(pictures))
    fields = ("pk", "type", "stem", "options", "answer", "fingerprint")
    for start in range(0, len(ids), 1000):
        changed = []
        for version in Version.objects.filter(pk__in=ids[start:start + 1000]).only(*fields):
            new = _fingerprint(version.type, version.stem, version.options, version.answer,
                               pictures.get(version.pk, []))
            if new != version.fingerprint:
                version.fingerprint = new
                changed.append(version)
        Version.objects.bulk_update(changed, ["fingerprint"])


class Migration(migrations.Migration):
    dependencies = [("exams", "0002_attemptitem_fewer_indexes")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
