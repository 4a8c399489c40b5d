from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def warm_up(self) -> None:
        """Before a web worker's first request (``atlas.warmup``): the OpenAPI description."""
        from api.views import warm_up

        warm_up()
