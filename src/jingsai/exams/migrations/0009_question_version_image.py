"""A question version's pictures get an order of their own (QuestionVersionImage.position),
so that they are listed as the author gave them rather than as they were first stored in
the bank. This migration creates the ordered links and copies every existing link into
them, numbered in the order pictures were shown until now (the pictures' pk); 0010 then
moves the images field onto them and drops the old link table."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def carry_over(apps, schema_editor):
    """Every link of the automatic table, as an ordered link: a version's pictures numbered
    0, 1, … by picture pk. Read in (version, picture) order from a cursor and written in
    batches, so that a large bank is neither held in memory nor written a row at a time."""
    Version = apps.get_model("exams", "QuestionVersion")
    Link = apps.get_model("exams", "QuestionVersionImage")
    old = Version.images.through.objects.using(schema_editor.connection.alias)
    rows = old.order_by("questionversion_id", "questionimage_id").values_list("questionversion_id",
                                                                               "questionimage_id")
    batch, version, position = [], None, 0
    for version_id, image_id in rows.iterator(chunk_size=BATCH):
        position = position + 1 if version_id == version else 0
        version = version_id
        batch.append(Link(version_id=version_id, image_id=image_id, position=position))
        if len(batch) >= BATCH:
            Link.objects.using(schema_editor.connection.alias).bulk_create(batch)
            batch = []
    Link.objects.using(schema_editor.connection.alias).bulk_create(batch)


def carry_back(apps, schema_editor):
    """Undoing: the ordered links back into the automatic table (which 0010's undoing has
    recreated empty); the order is lost, as the old table has no place for it."""
    Version = apps.get_model("exams", "QuestionVersion")
    Link = apps.get_model("exams", "QuestionVersionImage")
    through = Version.images.through
    rows = Link.objects.using(schema_editor.connection.alias).order_by("version_id", "position") \
        .values_list("version_id", "image_id")
    batch = []
    for version_id, image_id in rows.iterator(chunk_size=BATCH):
        batch.append(through(questionversion_id=version_id, questionimage_id=image_id))
        if len(batch) >= BATCH:
            through.objects.using(schema_editor.connection.alias).bulk_create(batch)
            batch = []
    through.objects.using(schema_editor.connection.alias).bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('exams', '0008_disagreement_label_and_image_order'),
    ]

    operations = [
        migrations.CreateModel(
            name='QuestionVersionImage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('image', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='version_links', to='exams.questionimage')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='image_links', to='exams.questionversion')),
            ],
            options={
                'verbose_name': 'picture of a question version',
                'verbose_name_plural': 'pictures of question versions',
                'ordering': ['version', 'position'],
                'constraints': [
                    models.UniqueConstraint(fields=('version', 'position'), name='unique_picture_position'),
                    models.UniqueConstraint(fields=('version', 'image'), name='unique_picture_per_version'),
                ],
            },
        ),
        migrations.RunPython(carry_over, carry_back),
    ]
