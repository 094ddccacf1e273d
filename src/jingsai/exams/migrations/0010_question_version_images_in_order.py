"""QuestionVersion.images now goes through the ordered links 0009 filled; the automatic
link table, whose every row 0009 copied, is dropped. A migration of its own, so that no table
is dropped in the transaction that has just written the copy (PostgreSQL may refuse to
alter tables with deferred foreign-key checks still pending)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exams', '0009_question_version_image'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='questionversion',
            name='images',
        ),
        migrations.AddField(
            model_name='questionversion',
            name='images',
            field=models.ManyToManyField(blank=True, related_name='versions', through='exams.QuestionVersionImage', to='exams.questionimage'),
        ),
    ]
