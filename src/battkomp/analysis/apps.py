from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "battkomp.analysis"
    label = "analysis"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the rooms below analysis (measures) read the latest snapshot through core.published
        from battkomp.analysis.access import publications_for_anyone
        from battkomp.core.published import provide_latest_publication

        provide_latest_publication(lambda: publications_for_anyone().first())

        # a configured report logo that is missing stops `battkomp serve` (docs/operations.md)
        from django.core import checks

        from battkomp.analysis.report.branding import check_logos

        checks.register(check_logos)
