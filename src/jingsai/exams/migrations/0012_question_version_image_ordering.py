"""A version's pictures are ordered by the version's id and their position, not by the
version (which ordered them by the version's question and bank, through three joins). No
change to the tables."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('exams', '0011_explanation_images'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='questionversionimage',
            options={'ordering': ['version_id', 'position'], 'verbose_name': 'picture of a question version',
                     'verbose_name_plural': 'pictures of question versions'},
        ),
    ]
