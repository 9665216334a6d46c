from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "yunlou.demo"
    label = "demo"
    verbose_name = "Demo data"
