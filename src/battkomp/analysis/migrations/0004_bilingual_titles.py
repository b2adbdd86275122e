"""Publications get a title and a note in each language, scenarios a title in each language.

The existing title and note move to the language they are in (``core.bilingual.guess_language``:
English when the text has more English than Norwegian function words and no æ/ø/å, bokmål
otherwise); scenarios had no title (their code stands in until one is given).
"""

from django.db import migrations, models

import battkomp.core.bilingual as bilingual


def forwards(apps, schema_editor):
    Publication = apps.get_model("analysis", "Publication")
    for p in Publication.objects.all():
        changes = {}
        if bilingual.guess_language(p.title_nb) == "en":
            changes.update(title_en=p.title_nb, title_nb="")
        if p.note_nb and bilingual.guess_language(p.note_nb) == "en":
            changes.update(note_en=p.note_nb, note_nb="")
        if changes:
            Publication.objects.filter(pk=p.pk).update(**changes)


def backwards(apps, schema_editor):
    Publication = apps.get_model("analysis", "Publication")
    for p in Publication.objects.all():
        Publication.objects.filter(pk=p.pk).update(
            title_nb=p.title_nb or p.title_en, note_nb=p.note_nb or p.note_en
        )


class Migration(migrations.Migration):
    dependencies = [("analysis", "0003_run_worker_and_inputs")]

    operations = [
        migrations.RenameField("publication", "title", "title_nb"),
        migrations.RenameField("publication", "note", "note_nb"),
        migrations.AlterField(
            "publication",
            "title_nb",
            models.CharField(blank=True, max_length=200, verbose_name="title (bokmål)"),
        ),
        migrations.AlterField(
            "publication",
            "note_nb",
            models.TextField(blank=True, verbose_name="note (bokmål)"),
        ),
        migrations.AddField(
            "publication",
            "title_en",
            models.CharField(blank=True, max_length=200, verbose_name="title (English)"),
        ),
        migrations.AddField(
            "publication",
            "note_en",
            models.TextField(blank=True, verbose_name="note (English)"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            "publication",
            models.CheckConstraint(
                condition=models.Q(("title_nb", ""), ("title_en", ""), _negated=True),
                name="analysis_publication_has_title",
                violation_error_message="Give it in bokmål or English (or both).",
            ),
        ),
        migrations.AddField(
            "scenario",
            "title_nb",
            models.CharField(blank=True, max_length=200, verbose_name="title (bokmål)"),
        ),
        migrations.AddField(
            "scenario",
            "title_en",
            models.CharField(blank=True, max_length=200, verbose_name="title (English)"),
        ),
    ]
