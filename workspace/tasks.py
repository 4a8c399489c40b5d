"""Background jobs, on Django's tasks API (the ``django-tasks`` backport; its database
backend keeps each job as a row in PostgreSQL, run by ``manage.py db_worker``)."""

from django_tasks import task

from workspace.services.course_import import course_import_run


@task()
def run_course_import(job_id: int, write: bool) -> None:
    """Check (``write`` false) or write an uploaded course import (``CourseImport``)."""
    course_import_run(job_id=job_id, write=write)
