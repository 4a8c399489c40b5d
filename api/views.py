"""The read-only JSON API: courses (the course search of ``/kurse/``: the same
``course_search``, filters, facets and order), providers (the provider search of
``/anbieter/``), and the vocabularies the filters take.

Reads only, anonymous, no cookies: every response allows any origin (CORS), and a preflight
``OPTIONS`` is answered for ``GET``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api import params as api_params
from api import schema, serializers
from measures import selectors
from measures.course_search import course_search
from measures.filters import ACCESSIBILITY, SORT_CHOICES, TIME_OF_DAY, CourseFilter
from measures.models import Course, CourseDate
from measures.models.dates import WEEKDAYS
from measures.provider_filters import ProviderFilter
from measures.provider_search import provider_search
from measures.vocabulary import vocabulary
from network import selectors as network_selectors

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Type",
    "Access-Control-Max-Age": "86400",
}

COURSE_PARAMETERS = schema.parameter_names(CourseFilter)
PROVIDER_PARAMETERS = schema.parameter_names(ProviderFilter)
NO_PARAMETERS: set[str] = set()


class ReadOnlyView(APIView):
    """GET for anyone; rejects query parameters the endpoint does not take."""

    # The query parameters taking one value, several values, and yes/no values.
    parameters: tuple[set[str], set[str], set[str]] = (NO_PARAMETERS,) * 3

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "OPTIONS":
            return
        single, multiple, yes_no = self.parameters
        errors = api_params.check(
            request.query_params, single=single, multiple=multiple, yes_no=yes_no
        )
        if errors:
            raise api_params.BadParameters(errors)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in CORS_HEADERS.items():
            response[header] = value
        if request.method == "OPTIONS":
            for header, value in PREFLIGHT_HEADERS.items():
                response[header] = value
        return response


def _page_links(request, number: int, pages: int) -> dict:
    def link(page: int) -> str:
        query = request.query_params.copy()
        query["page"] = str(page)
        return request.build_absolute_uri(request.path + "?" + query.urlencode())

    return {
        "next": link(number + 1) if number < pages else None,
        "previous": link(number - 1) if number > 1 else None,
    }


def _listed(request, result, number: int) -> dict:
    """The page of a listing's result, or the 400 or 404 the API answers instead."""
    errors = api_params.filter_errors(result.filterset.form)
    lookup = result.place_lookup
    if lookup is not None and lookup.error:
        errors.setdefault("place", []).append(str(lookup.error))
    if errors:
        raise api_params.BadParameters(errors)
    page = result.page
    pages = page.paginator.num_pages
    if page.number != number:
        raise NotFound(
            _("Diese Seite gibt es nicht; die letzte ist Seite %(pages)d.") % {"pages": pages}
        )
    return {
        "count": page.paginator.count,
        "page": number,
        "pages": pages,
        "page_size": page.paginator.per_page,
        **_page_links(request, number, pages),
        "sort": result.sort,
    }


def _id(value: str) -> int:
    """An id from the path; anything else is no object (a 404, as for an unknown id)."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise NotFound(_("Diese Kennung gibt es nicht."))


def _params_of(request) -> tuple[QueryDict, int]:
    errors: dict[str, list[str]] = {}
    number = api_params.page_number(request.query_params, errors)
    if errors:
        raise api_params.BadParameters(errors)
    return request.query_params, number


class CourseList(ReadOnlyView):
    parameters = COURSE_PARAMETERS

    @extend_schema(
        operation_id="courses_list",
        summary="Search the public courses (the search of /kurse/)",
        description=(
            "The same search as the page /kurse/ with the same parameters: filters, facet "
            "counts, order and pages of 20. An unknown parameter, a value that is not valid "
            "or a place that is not found gives 400 with a message per parameter."
        ),
        parameters=schema.filter_parameters(
            CourseFilter,
            {
                name: schema.VOCABULARY_NOTE
                for name in ("region", "funding", "certificate", "target_group", "subject")
            }
            | {"provider": "A provider's slug (see /api/providers/)."},
        ),
        responses={200: serializers.CourseListSerializer, **schema.ERRORS},
    )
    def get(self, request):
        params, number = _params_of(request)
        result = course_search(params=params)
        data = _listed(request, result, number)
        context = {"request": request}
        data |= {
            "corrected_from": result.corrected_from,
            "partial": result.partial,
            "results": serializers.CourseListItemSerializer(
                result.page.object_list, many=True, context=context
            ).data,
            "facets": serializers.FacetSerializer(result.facets, many=True).data,
        }
        return Response(data)


class CourseDetail(ReadOnlyView):
    @extend_schema(
        operation_id="courses_retrieve",
        summary="A published course with its current dates and modules",
        parameters=[schema.ID],
        responses={200: serializers.CourseDetailSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        course = selectors.course_for_page().filter(pk=_id(pk)).first()
        if course is None:
            raise NotFound(_("Diesen Kurs gibt es nicht."))
        course.vocabularies = selectors.course_vocabularies(course)
        course.is_current = bool(course.current_dates)
        data = serializers.CourseDetailSerializer(course, context={"request": request}).data
        return Response(data)


class ProviderList(ReadOnlyView):
    parameters = PROVIDER_PARAMETERS

    @extend_schema(
        operation_id="providers_list",
        summary="Search the providers (the search of /anbieter/)",
        parameters=schema.filter_parameters(ProviderFilter),
        responses={200: serializers.ProviderListSerializer, **schema.ERRORS},
    )
    def get(self, request):
        params, number = _params_of(request)
        result = provider_search(params=params)
        data = _listed(request, result, number)
        data["results"] = serializers.ProviderSerializer(
            result.page.object_list, many=True, context={"request": request}
        ).data
        return Response(data)


class ProviderDetail(ReadOnlyView):
    @extend_schema(
        operation_id="providers_retrieve",
        summary="An organisation's public profile",
        parameters=[schema.ID],
        responses={200: serializers.ProviderDetailSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        organisation = network_selectors.organisation_for_profile().filter(pk=_id(pk)).first()
        if organisation is None:
            raise NotFound(_("Diesen Anbieter gibt es nicht."))
        organisation.course_count = selectors.public_courses().filter(provider=organisation).count()
        data = serializers.ProviderDetailSerializer(organisation, context={"request": request}).data
        return Response(data)


def _choices(choices) -> list[dict]:
    return [{"value": str(value), "label": str(label)} for value, label in choices]


class Vocabularies(ReadOnlyView):
    @extend_schema(
        operation_id="vocabularies",
        summary="The values the course search's filters take, with their labels",
        responses={200: serializers.VocabulariesSerializer, **schema.ERRORS},
    )
    def get(self, request):
        known = vocabulary()
        regions = list(known.regions.values())
        context = {
            "subject_slugs": {subject.pk: subject.slug for subject in known.subjects.values()},
            "region_keys": {region.pk: region.key for region in regions},
        }
        data = {
            "subjects": list(known.subjects.values()),
            "target_groups": list(known.target_groups.values()),
            "funding": list(known.funding.values()),
            "certificates": list(known.certificates.values()),
            "regions": regions,
            "kinds": _choices(Course.Kind.choices),
            "modes": _choices(CourseDate.Mode.choices),
            "languages": _choices(Course.Language.choices),
            "weekdays": _choices(WEEKDAYS),
            "times": _choices(TIME_OF_DAY),
            "access": _choices(ACCESSIBILITY),
            "sorts": _choices(SORT_CHOICES),
        }
        return Response(serializers.VocabulariesSerializer(data, context=context).data)


# The OpenAPI description per language and version: it follows from the code alone, and
# generating it took 70-90 ms a request (1 s in a worker's first).
_described: dict[tuple[str, str | None], dict] = {}


def description(version: str | None = None, request=None) -> dict:
    """The OpenAPI description in the active language, generated once per worker."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = (language, version)
    if key not in _described:
        generator = Schema.generator_class(urlconf=Schema.urlconf, api_version=version)
        data = generator.get_schema(request=request, public=Schema.serve_public)
        if version is not None or language not in dict(settings.LANGUAGES):
            return data  # a ?version= or an unknown ?lang= is answered, never kept
        _described[key] = data
    return _described[key]


def warm_up() -> None:
    """Generate the description before a worker's first request (``atlas.warmup``)."""
    with translation.override(settings.LANGUAGE_CODE):
        description()


class Schema(SpectacularJSONAPIView):
    """The OpenAPI description, readable from any origin like the API itself; generated once
    per worker and language (``description``)."""

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        return Response(
            data=description(version, request),
            headers={
                "Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'
            },
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response


@require_GET
def docs(request):
    """What the API offers, on a page of the site (no third-party assets): the endpoints and
    the link to the OpenAPI description."""
    return render(request, "api/docs.html")
