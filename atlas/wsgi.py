import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas.settings")
application = get_wsgi_application()

from atlas.warmup import warm_up  # noqa: E402 - needs the application's settings

warm_up()
