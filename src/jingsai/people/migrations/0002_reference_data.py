from django.db import migrations

from jingsai.people import reference


def load(apps, schema_editor):
    reference.load(apps.get_model("people", "GroupTag"), apps.get_model("people", "Occupation"))


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
