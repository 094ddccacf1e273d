"""A practice round remembers the unit it was done at (the worker's employer when it began),
so that a worker who moves leaves their practice counted for that unit. Rounds stored
before take the worker's employer as it is now, the only record there is. The column
becomes required in the next migration: on PostgreSQL, a table whose rows were just
updated cannot be altered in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def from_employers(apps, schema_editor):
    PracticeSet = apps.get_model("exams", "PracticeSet")
    Person = apps.get_model("people", "Person")
    PracticeSet.objects.update(unit_id=Subquery(Person.objects.filter(pk=OuterRef("person_id")).values("employer_id")))


class Migration(migrations.Migration):

    dependencies = [
        ("exams", "0005_void_for_a_new_attempt"),
        ("orgs", "0001_initial"),
        ("people", "0002_reference_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="practiceset",
            name="unit",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="orgs.organization"),
        ),
        migrations.RunPython(from_employers, migrations.RunPython.noop),
    ]
