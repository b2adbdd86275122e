"""Routing rules get a name in each language. An existing name moves to the language it is in
(``core.bilingual.carry_over``: English when it has more English than Norwegian function words
and no æ/ø/å, bokmål otherwise); going back, the single name is the bokmål one, or the English
one where there is no bokmål."""

from django.db import migrations, models

from battkomp.core.bilingual import carry_over


class Migration(migrations.Migration):
    dependencies = [("inquiries", "0002_alter_inquiryevent_action")]

    operations = [
        migrations.RenameField("routingrule", "name", "name_nb"),
        migrations.AlterField(
            "routingrule",
            "name_nb",
            models.CharField(blank=True, max_length=200, verbose_name="name (bokmål)"),
        ),
        migrations.AddField(
            "routingrule",
            "name_en",
            models.CharField(blank=True, max_length=200, verbose_name="name (English)"),
        ),
        carry_over("inquiries", "RoutingRule", ("name",)),
        migrations.AddConstraint(
            "routingrule",
            models.CheckConstraint(
                condition=models.Q(("name_nb", ""), ("name_en", ""), _negated=True),
                name="inquiries_rule_has_name",
                violation_error_message="Give it in bokmål or English (or both).",
            ),
        ),
    ]
