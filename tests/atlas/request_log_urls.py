"""Two views for the request-log tests: one that logs, one that fails."""

import logging

from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("tests.view")


def logs(request):
    logger.warning("inside the view")
    return HttpResponse("ok")


def fails(request):
    raise RuntimeError("the view broke")


urlpatterns = [path("logs/", logs), path("fails/", fails)]
