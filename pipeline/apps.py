from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """The write path's machinery, above every app: the flush (which calls each app's
    projection, FLUSH_PROJECTIONS), the live store's rebuild and the consistency check,
    the Celery task and the operator commands. It has no models of its own."""

    name = "pipeline"
    verbose_name = "Write pipeline"
