"""Measures get a title and a description in each language; infrastructure a name, a
description and access terms in each language.

A row's existing texts move together to the language they are in
(``core.bilingual.carry_over``: English when they have more English than Norwegian function
words and no æ/ø/å, bokmål otherwise); going back, the single field takes the bokmål text, or
the English one where there is no bokmål.
"""

from django.db import migrations, models

from battkomp.core.bilingual import carry_over


def _text(label: str) -> models.TextField:
    return models.TextField(blank=True, verbose_name=label)


def _char(label: str) -> models.CharField:
    return models.CharField(blank=True, max_length=200, verbose_name=label)


def _has(base: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q((f"{base}_nb", ""), (f"{base}_en", ""), _negated=True),
        name=name,
        violation_error_message="Give it in bokmål or English (or both).",
    )


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_horizon_names")]

    operations = [
        migrations.RenameField("measure", "title", "title_nb"),
        migrations.AlterField("measure", "title_nb", _char("title (bokmål)")),
        migrations.AddField("measure", "title_en", _char("title (English)")),
        migrations.RenameField("measure", "description", "description_nb"),
        migrations.AlterField("measure", "description_nb", _text("description (bokmål)")),
        migrations.AddField("measure", "description_en", _text("description (English)")),
        carry_over("measures", "Measure", ("title", "description")),
        migrations.AlterModelOptions(
            "measure", {"ordering": ["commandment", "title_nb", "title_en", "pk"]}
        ),
        migrations.AddConstraint("measure", _has("title", "measures_measure_has_title")),
        migrations.RenameField("infrastructure", "name", "name_nb"),
        migrations.AlterField("infrastructure", "name_nb", _char("name (bokmål)")),
        migrations.AddField("infrastructure", "name_en", _char("name (English)")),
        migrations.RenameField("infrastructure", "description", "description_nb"),
        migrations.AlterField("infrastructure", "description_nb", _text("description (bokmål)")),
        migrations.AddField("infrastructure", "description_en", _text("description (English)")),
        migrations.RenameField("infrastructure", "access_terms", "access_terms_nb"),
        migrations.AlterField("infrastructure", "access_terms_nb", _text("access terms (bokmål)")),
        migrations.AddField("infrastructure", "access_terms_en", _text("access terms (English)")),
        carry_over("measures", "Infrastructure", ("name", "description", "access_terms")),
        migrations.AlterModelOptions(
            "infrastructure",
            {"ordering": ["name_nb", "name_en", "pk"], "verbose_name_plural": "infrastructure"},
        ),
        migrations.AddConstraint(
            "infrastructure", _has("name", "measures_infrastructure_has_name")
        ),
    ]
