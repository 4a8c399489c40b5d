"""What the API answers, as DRF serializers: they write the responses and, through
drf-spectacular, the OpenAPI description the responses are checked against (schemathesis)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from measures.models import Course, CourseDate, FundingType
from network.models import Organisation


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
        "description": "Local time in Germany (Europe/Berlin), without an offset.",
        "example": "18:00:00",
    }
)
class LocalTimeField(serializers.TimeField):
    """A time of day as the provider gives it: German local time. (OpenAPI's ``format: time``
    is RFC 3339's, which demands an offset.)"""


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


class VocabularyEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class SubjectSerializer(VocabularyEntrySerializer):
    parent = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, subject) -> str | None:
        parent = self.context["subject_slugs"].get(subject.parent_id)
        return parent


class FundingSerializer(VocabularyEntrySerializer):
    kind = serializers.ChoiceField(choices=FundingType.Kind.choices)
    state = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_state(self, funding) -> str | None:
        return self.context["region_keys"].get(funding.state_id)


class RegionSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    country = serializers.CharField()


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class VocabulariesSerializer(serializers.Serializer):
    """Every value the course search's filters take, with its label."""

    subjects = SubjectSerializer(many=True)
    target_groups = VocabularyEntrySerializer(many=True)
    funding = FundingSerializer(many=True)
    certificates = VocabularyEntrySerializer(many=True)
    regions = RegionSerializer(many=True)
    kinds = ChoiceSerializer(many=True)
    modes = ChoiceSerializer(many=True)
    languages = ChoiceSerializer(many=True)
    weekdays = ChoiceSerializer(many=True)
    times = ChoiceSerializer(many=True)
    access = ChoiceSerializer(many=True)
    sorts = ChoiceSerializer(many=True)


# Providers ------------------------------------------------------------------------------------


class ProviderRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class ProviderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    is_provider = serializers.BooleanField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    website = serializers.CharField()
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    def get_url(self, organisation) -> str:
        return absolute(self.context["request"], organisation.get_absolute_url())

    def get_api_url(self, organisation) -> str:
        path = reverse("api:provider_detail", kwargs={"pk": organisation.pk})
        return absolute(self.context["request"], path)


class CertificationSerializer(serializers.Serializer):
    name = serializers.CharField(source="certification.name")
    valid_until = serializers.DateField(allow_null=True)


class MembershipSerializer(serializers.Serializer):
    network = serializers.CharField(source="network.slug")
    network_name = serializers.CharField(source="network.name")
    role = serializers.CharField()


class ProviderDetailSerializer(ProviderSerializer):
    description = serializers.CharField()
    street = serializers.CharField()
    region = serializers.SerializerMethodField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    email = serializers.CharField()
    phone = serializers.CharField()
    core_competencies = serializers.ListField(child=serializers.CharField())
    certifications = CertificationSerializer(many=True, source="valid_certificates")
    memberships = MembershipSerializer(many=True, source="public_memberships")
    course_count = serializers.IntegerField()
    courses_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_region(self, organisation) -> str | None:
        return organisation.region.key if organisation.region_id else None

    def get_courses_url(self, organisation) -> str:
        path = reverse("api:course_list") + f"?provider={organisation.slug}"
        return absolute(self.context["request"], path)


# Courses --------------------------------------------------------------------------------------


class ResultDateSerializer(serializers.Serializer):
    rolling_start = serializers.BooleanField()
    start_date = serializers.DateField(allow_null=True)
    mode = serializers.ChoiceField(choices=CourseDate.Mode.choices)
    city = serializers.CharField(allow_null=True)


class CourseListItemSerializer(serializers.Serializer):
    """A course as the search lists it: the result card's values (``SearchResult``)."""

    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    price_kind = serializers.ChoiceField(choices=Course.PriceKind.choices)
    provider = serializers.SerializerMethodField()
    distance_km = serializers.FloatField(source="distance", allow_null=True)
    missing_words = serializers.ListField(child=serializers.CharField(), source="missing")
    dates = ResultDateSerializer(many=True, source="current_dates")
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()

    @extend_schema_field(ProviderRefSerializer)
    def get_provider(self, result):
        return {
            "id": result.provider_id,
            "slug": result.provider_slug,
            "name": result.provider_name,
        }

    def get_url(self, result) -> str:
        return absolute(self.context["request"], result.get_absolute_url())

    def get_api_url(self, result) -> str:
        path = reverse("api:course_detail", kwargs={"pk": result.pk})
        return absolute(self.context["request"], path)


class FacetOptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    multiple = serializers.BooleanField()
    options = FacetOptionSerializer(many=True)


class PageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    sort = serializers.CharField()


class CourseListSerializer(PageSerializer):
    corrected_from = serializers.CharField()
    partial = serializers.BooleanField()
    results = CourseListItemSerializer(many=True)
    facets = FacetSerializer(many=True)


class ProviderListSerializer(PageSerializer):
    results = ProviderSerializer(many=True)


class VenueSerializer(serializers.Serializer):
    name = serializers.CharField()
    street = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    region = serializers.SerializerMethodField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    step_free_access = serializers.BooleanField()
    accessible_toilet = serializers.BooleanField()
    hearing_loop = serializers.BooleanField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_region(self, venue) -> str | None:
        return venue.region.key if venue.region_id else None


class CourseDateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    rolling_start = serializers.BooleanField()
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))
    start_time = LocalTimeField(allow_null=True)
    end_time = LocalTimeField(allow_null=True)
    schedule_notes = serializers.CharField()
    mode = serializers.ChoiceField(choices=CourseDate.Mode.choices)
    venue = VenueSerializer(allow_null=True)
    seats = serializers.IntegerField(allow_null=True)
    booking_status = serializers.ChoiceField(choices=CourseDate.BookingStatus.choices)
    registration_deadline = serializers.DateField(allow_null=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)


class ModuleSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    title = serializers.CharField()
    contents = serializers.CharField()
    teaching_units = serializers.IntegerField(allow_null=True)


class CourseDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Course.Kind.choices)
    summary = serializers.CharField()
    description = serializers.CharField()
    objectives = serializers.CharField()
    contents = serializers.CharField()
    prerequisites = serializers.CharField()
    language = serializers.ChoiceField(choices=Course.Language.choices)
    provider = ProviderRefSerializer()
    subjects = VocabularyEntrySerializer(many=True, source="vocabularies.subjects")
    target_groups = VocabularyEntrySerializer(many=True, source="vocabularies.target_groups")
    funding = VocabularyEntrySerializer(many=True, source="vocabularies.funding")
    certificate_kind = VocabularyEntrySerializer(allow_null=True)
    certificate_details = serializers.CharField()
    hours = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    teaching_units = serializers.IntegerField(allow_null=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    price_kind = serializers.ChoiceField(choices=Course.PriceKind.choices)
    price_notes = serializers.CharField()
    easy_language = serializers.BooleanField()
    childcare = serializers.BooleanField()
    registration_url = serializers.CharField()
    registration_notes = serializers.CharField()
    is_current = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    dates = CourseDateSerializer(many=True, source="current_dates")
    modules = ModuleSerializer(many=True, source="modules.all")
    url = serializers.SerializerMethodField()

    def get_url(self, course) -> str:
        return absolute(self.context["request"], course.get_absolute_url())
