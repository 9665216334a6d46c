"""Celery app. With no REDIS_URL the tasks run inline (see settings), so the demo needs no broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunlou.settings")

app = Celery("yunlou")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
