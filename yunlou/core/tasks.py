from celery import shared_task
from django.apps import apps

from yunlou.core.images import ImageRefused, logger, renditions_make


@shared_task(name="core.renditions_make", ignore_result=True)
def renditions_make_task(model_label: str, pk: int, field_name: str, name: str) -> int:
    """Make the renditions of one uploaded image (queued by `yunlou.core.images.renditions_schedule`).

    Nothing to do when the record is gone or its file was replaced since (the new file queued its own task).
    An image that cannot be processed is logged, not retried: its page keeps showing the original."""
    instance = apps.get_model(model_label).objects.filter(pk=pk).first()
    if instance is None:
        return 0
    fieldfile = getattr(instance, field_name)
    if fieldfile.name != name:
        return 0
    try:
        return len(renditions_make(fieldfile))
    except ImageRefused as refused:
        logger.warning("no renditions for %s (%s #%s): %s", name, model_label, pk, refused)
        return 0
