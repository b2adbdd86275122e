"""Offers get a name in each language. An existing name moves to the language it is in
(``core.bilingual.carry_over``: English when it has more English than Norwegian function words
and no æ/ø/å, bokmål otherwise); going back, the single name is the bokmål one, or the English
one where there is no bokmål."""

from django.db import migrations, models

from battkomp.core.bilingual import carry_over


class Migration(migrations.Migration):
    dependencies = [("offers", "0002_offer_version")]

    operations = [
        migrations.RenameField("offer", "name", "name_nb"),
        migrations.AlterField(
            "offer",
            "name_nb",
            models.CharField(blank=True, max_length=200, verbose_name="name (bokmål)"),
        ),
        migrations.AddField(
            "offer",
            "name_en",
            models.CharField(blank=True, max_length=200, verbose_name="name (English)"),
        ),
        carry_over("offers", "Offer", ("name",)),
        migrations.AlterModelOptions(
            "offer", {"ordering": ["institution__name", "name_nb", "name_en"]}
        ),
        migrations.AddConstraint(
            "offer",
            models.CheckConstraint(
                condition=models.Q(("name_nb", ""), ("name_en", ""), _negated=True),
                name="offers_offer_has_name",
                violation_error_message="Give it in bokmål or English (or both).",
            ),
        ),
    ]
