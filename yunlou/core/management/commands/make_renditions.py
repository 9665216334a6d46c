from django.apps import apps
from django.core.management.base import BaseCommand

from yunlou.core.images import FIELD_KINDS, ImageRefused, renditions_make


class Command(BaseCommand):
    help = ("Make the missing responsive renditions of every uploaded image (photos uploaded before renditions "
            "existed, or after the renditions directory was lost). What exists is skipped.")

    def handle(self, *args, **options):
        made = refused = 0
        for key in FIELD_KINDS:
            app_label, model_name, field = key.split(".")
            model = apps.get_model(app_label, model_name)
            for instance in model.objects.exclude(**{field: ""}).iterator():
                fieldfile = getattr(instance, field)
                try:
                    made += len(renditions_make(fieldfile)) > 0
                except (ImageRefused, OSError) as error:
                    refused += 1
                    self.stderr.write(f"{key} #{instance.pk} {fieldfile.name}: {error!r}")
        self.stdout.write(self.style.SUCCESS(f"{made} images have their renditions; {refused} could not be read."))
