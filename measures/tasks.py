"""Background jobs of the catalogue, on Django's tasks API (the ``django-tasks`` backport; its
database backend keeps each job as a row in PostgreSQL, run by ``manage.py db_worker``)."""

from django_tasks import task

from measures.export_jobs import export_job_run


@task()
def run_export_job(job_id: int) -> None:
    """Write the file of a search's export prepared in the background (``ExportJob``)."""
    export_job_run(job_id=job_id)
