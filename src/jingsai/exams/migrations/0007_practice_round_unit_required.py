"""Every practice round has its unit (filled in by 0006)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("exams", "0006_practice_round_unit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="practiceset",
            name="unit",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="orgs.organization"),
        ),
    ]
