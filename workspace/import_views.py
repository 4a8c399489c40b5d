"""The course import in the workspace: choose an organisation, upload a file, see the dry run
(what would be created, updated, unchanged, archived, and every row error), confirm; the
templates and the export of the organisation's own offers in the import format.

Every view starts from ``organisations_for_user``: another organisation is a 404. Small files
are checked and written during the request; larger ones (``IMPORT_INLINE_MAX_KB``) as a
background job (``workspace.tasks``), the page showing its progress until the result.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from measures.course_files.columns import COLUMNS
from measures.course_files.openqcat import openqcat_bytes
from measures.course_files.writers import (
    course_rows,
    csv_lines,
    example_row,
    export_queryset,
    rules,
    xlsx_bytes,
)
from measures.models import Course
from workspace.models import CourseImport
from workspace.scopes import organisations_for_user
from workspace.services.course_import import PHASES, course_import_run
from workspace.tasks import run_course_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Datei (CSV, Excel .xlsx oder openQ-cat XML)"),
        help_text=gettext_lazy("Nach der Vorlage oder als openQ-cat 1.1; höchstens %(max)s MB."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "max": settings.IMPORT_MAX_UPLOAD_MB
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_MB * 1_048_576:
            raise forms.ValidationError(
                _("Die Datei ist zu groß (%(size)s MB); höchstens %(max)s MB sind möglich.")
                % {"size": round(upload.size / 1_048_576, 1), "max": settings.IMPORT_MAX_UPLOAD_MB}
            )
        return upload


def _organisation(request, slug):
    found = organisations_for_user(request.user).filter(slug=slug).first()
    if found is None:
        raise Http404(_("Diese Organisation gibt es nicht."))
    return found


def _context(admin_site, request, title, **extra):
    return {**admin_site.each_context(request), "title": title, **extra}


def _run(job, *, write: bool) -> None:
    """Check (or with ``write`` import) the file now if it is small, else as a job."""
    if job.size <= settings.IMPORT_INLINE_MAX_KB * 1024:
        course_import_run(job_id=job.pk, write=write)
    else:
        run_course_import.enqueue(job.pk, write)


def _importable(report: dict) -> bool:
    """A checked file without a file error or row errors may be imported."""
    return not report.get("file_error") and not report.get("error_count")


def import_start(request, admin_site):
    """The organisations the user may import for (one: straight to its upload page)."""
    organisations = list(organisations_for_user(request.user).order_by("name"))
    if len(organisations) == 1:
        return HttpResponseRedirect(
            reverse("admin:course_import", kwargs={"organisation": organisations[0].slug})
        )
    context = _context(admin_site, request, _("Angebote importieren"), organisations=organisations)
    return TemplateResponse(request, "admin/workspace/import_start.html", context)


def import_upload(request, admin_site, organisation):
    organisation = _organisation(request, organisation)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = CourseImport.objects.create(
            organisation=organisation,
            user=request.user,
            filename=upload.name[:255],
            data=upload.read(),
            size=upload.size,
        )
        _run(job, write=False)
        return HttpResponseRedirect(_job_url(job))
    jobs = CourseImport.objects.filter(organisation=organisation).defer("data")[:10]
    context = _context(
        admin_site,
        request,
        _("Angebote importieren: %(organisation)s") % {"organisation": organisation.name},
        organisation=organisation,
        form=form,
        jobs=jobs,
        max_mb=settings.IMPORT_MAX_UPLOAD_MB,
        course_count=Course.objects.filter(provider=organisation, revision_of__isnull=True).count(),
    )
    return TemplateResponse(request, "admin/workspace/import_upload.html", context)


def _job_url(job) -> str:
    return reverse(
        "admin:course_import_job",
        kwargs={"organisation": job.organisation.slug, "pk": job.pk},
    )


def import_job(request, admin_site, organisation, pk):
    organisation = _organisation(request, organisation)
    job = get_object_or_404(
        CourseImport.objects.defer("data").select_related("organisation"),
        pk=pk,
        organisation=organisation,
    )
    if request.method == "POST":
        if request.POST.get("action") == "import" and job.status == CourseImport.Status.CHECKED:
            report = job.report
            queued = _importable(report)
            # Queued once: a second confirmation (a double click) finds it queued already.
            queued = queued and CourseImport.objects.filter(
                pk=job.pk, status=CourseImport.Status.CHECKED
            ).update(status=CourseImport.Status.QUEUED, user=request.user)
            if queued:
                _run(job, write=True)
        return HttpResponseRedirect(_job_url(job))
    report = job.report or {}
    context = _context(
        admin_site,
        request,
        _("Import: %(file)s") % {"file": job.filename},
        organisation=organisation,
        job=job,
        report=report,
        phase=PHASES.get(job.phase, ""),
        percent=round(job.progress * 100),
        can_import=job.status == CourseImport.Status.CHECKED and _importable(report),
        hidden_errors=max(0, report.get("error_count", 0) - len(report.get("errors", []))),
    )
    response = TemplateResponse(request, "admin/workspace/import_job.html", context)
    if job.running:
        response["Refresh"] = "2"  # the page follows the job without JavaScript
    return response


def import_template(request, admin_site, kind):
    """The template: the header, one example row (and in XLSX the explanation sheet)."""
    if kind == "xlsx":
        response = HttpResponse(xlsx_bytes([example_row()]), content_type=XLSX)
    else:
        response = HttpResponse(
            "".join(csv_lines([example_row()])), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="bildungsatlas-vorlage.{kind}"'
    return response


def import_columns(request, admin_site):
    """Every column of the format explained (the CSV template's explanation)."""
    context = _context(
        admin_site, request, _("Importformat: die Spalten"), columns=COLUMNS, rules=rules()
    )
    return TemplateResponse(request, "admin/workspace/import_columns.html", context)


def import_export(request, admin_site, organisation, kind):
    """The organisation's own offers in the import format (to edit and import again)."""
    organisation = _organisation(request, organisation)
    courses = export_queryset(
        Course.objects.filter(provider=organisation, revision_of__isnull=True)
    )
    name = f"bildungsatlas-{organisation.slug}.{kind}"
    if kind == "xlsx":
        response = HttpResponse(
            xlsx_bytes(course_rows(courses.iterator(chunk_size=500)), explain=False),
            content_type=XLSX,
        )
    elif kind == "xml":  # openQ-cat 1.1, as KURSNET and the states' databases take it
        response = HttpResponse(
            openqcat_bytes(
                course_rows(courses.iterator(chunk_size=500)),
                supplier=organisation.slug,
                supplier_name=organisation.name,
            ),
            content_type="application/xml; charset=utf-8",
        )
    else:
        response = StreamingHttpResponse(
            csv_lines(course_rows(courses.iterator(chunk_size=500))),
            content_type="text/csv; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
