"""The listing pipeline (core.listing.Listing): the order of its steps, the choice of the sort
order, and the chips (the listings' own pages test them through their views)."""

from types import SimpleNamespace

import django_filters
import pytest
from django import forms
from django.core.paginator import Paginator
from django.http import QueryDict
from django.utils import translation

from core import listing
from network.models import Organisation


class Filters(listing.SharedFormMixin, listing.ApplyMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label="Suchbegriff", method="filter_nothing")
    place = django_filters.CharFilter(label="Ort", method="filter_nothing")
    radius = django_filters.NumberFilter(label="Umkreis", method="filter_nothing")
    kind = django_filters.MultipleChoiceFilter(
        label="Art",
        choices=[("vhs", "Volkshochschule"), ("chamber", "Kammer")],
        method="filter_nothing",
        widget=forms.CheckboxSelectMultiple,
    )
    free = django_filters.BooleanFilter(
        label="nur kostenfreie", method="filter_nothing", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        label="Sortierung",
        choices=[("relevance", "Relevanz"), ("name", "Name"), ("distance", "Entfernung")],
        method="filter_nothing",
    )

    class Meta:
        model = Organisation
        fields: list[str] = []


class Recorded(listing.Listing):
    """Records the steps; the scope is a list, so filtering and paging are its own."""

    filterset_class = Filters
    sorts = [("relevance", "Relevanz"), ("name", "Name"), ("distance", "Entfernung")]
    default_sort = "name"
    parse_query = staticmethod(lambda text: text.split())

    @staticmethod
    def resolve_place(text):
        place = SimpleNamespace(label=text) if text == "Mainz" else None
        error = "unbekannt" if text and place is None else ""
        return SimpleNamespace(place=place, error=error)

    def __init__(self, params):
        super().__init__(params)
        self.steps = []

    def scope(self):
        self.steps.append("scope")
        return ["a", "b", "c"]

    def filter(self, scope, *, exclude=frozenset()):
        self.steps.append("filter")
        return scope

    def search(self, found):
        self.steps.append("search")
        return found

    def order(self, found):
        self.steps.append("order")
        return sorted(found, reverse=True)

    def paginate(self, found, ordered):
        self.steps.append("paginate")
        return Paginator(ordered, 2).get_page(listing.page_number(self.params.get("page")))

    def facets(self, found):
        self.steps.append("facets")
        return listing.Facets()

    def finish(self, result, found):
        self.steps.append("finish")

    def filter_groups(self, result):
        self.steps.append("filter_groups")
        return [self.checkbox_group("kind", counts={"vhs": 2})]


def run(**params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    pipeline = Recorded(query)
    return pipeline, pipeline.run()


def test_the_steps_run_in_the_pipeline_order():
    pipeline, result = run(page="2")
    assert pipeline.steps == [
        "scope",
        "filter",
        "search",
        "order",
        "paginate",
        "facets",
        "finish",
        "filter_groups",
    ]
    assert list(result.page.object_list) == ["a"] and result.count == 3


def test_sort_is_whitelisted_and_needs_what_it_orders_by():
    assert run()[1].sort == "name"
    assert run(q="Englisch")[1].sort == "relevance"
    assert run(place="Mainz")[1].sort == "distance"
    assert run(q="Englisch", sort="name")[1].sort == "name"
    assert run(sort="relevance")[1].sort == "name"  # no term, no relevance
    assert run(sort="distance", place="Nirgendwo")[1].sort == "name"  # no place found
    assert [key for key, _label in run()[1].sort_choices] == ["name"]


def test_unknown_place_and_bad_values_are_messages():
    result = run(place="Nirgendwo", kind="boss")[1]
    assert "unbekannt" in result.errors
    assert any(error.startswith("Art:") for error in result.errors)
    # The place is still a chip (to remove it); a value that did not validate is none.
    assert result.chips == [listing.Chip("Ort: Nirgendwo", "?kind=boss", "place")]


def test_chips_drop_their_own_value_the_page_and_a_place_s_radius():
    result = run(
        q="Englisch", kind=["vhs", "chamber"], free="true", place="Mainz", radius="10", page="3"
    )[1]
    chips = {chip.label: QueryDict(chip.url[1:]) for chip in result.chips}
    assert list(chips) == [
        "Suchbegriff: Englisch",
        "Ort: Mainz",
        "Art: Volkshochschule",
        "Art: Kammer",
        "nur kostenfreie",  # a yes/no filter reads its label alone
    ]
    assert chips["Art: Volkshochschule"].getlist("kind") == ["chamber"]
    assert "page" not in chips["Art: Kammer"] and chips["Art: Kammer"]["radius"] == "10"
    assert "place" not in chips["Ort: Mainz"] and "radius" not in chips["Ort: Mainz"]
    assert "free" not in chips["nur kostenfreie"] and chips["nur kostenfreie"]["q"] == "Englisch"
    assert result.filter_count == 4  # the search term is not counted as a filter


def test_filter_groups_show_the_chosen_options_with_their_counts():
    result = run(kind="chamber")[1]
    (group,) = result.filter_groups
    assert [(o.value, o.checked, o.count) for o in group.options] == [
        ("vhs", False, 2),
        ("chamber", True, 0),
    ]
    assert 'name="kind" value="chamber" checked' in group.options_html()


class SharedFilters(listing.SharedFormMixin, listing.ApplyMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(label="Suchbegriff", method="filter_nothing")
    kind = django_filters.MultipleChoiceFilter(
        label="Art",
        choices=[("vhs", "Volkshochschule"), ("chamber", "Kammer")],
        method="filter_nothing",
        widget=forms.CheckboxSelectMultiple,
    )
    organisation = django_filters.ModelChoiceFilter(
        label="Einrichtung", queryset=Organisation.objects.all(), method="filter_nothing"
    )

    class Meta:
        model = Organisation
        fields: list[str] = []


def test_a_shared_form_class_still_gives_each_form_its_own_fields():
    first, second = SharedFilters(QueryDict("kind=vhs")), SharedFilters(QueryDict("kind=vhs"))
    assert type(first.form) is type(second.form)  # built once for the class
    changed = first.form.fields["kind"]
    changed.choices = [("other", "Andere")]
    changed.widget.attrs["class"] = "changed"
    changed.label = "Geändert"
    kept = second.form.fields["kind"]
    assert kept is not changed
    assert kept.choices == [("vhs", "Volkshochschule"), ("chamber", "Kammer")]
    assert kept.widget.choices == kept.choices
    assert "class" not in kept.widget.attrs
    assert kept.label == "Art"
    assert SharedFilters(QueryDict()).form.fields["kind"].label == "Art"
    assert second.form.is_valid() and second.form.cleaned_data["kind"] == ["vhs"]
    assert not first.form.is_valid()  # its own choices no longer hold "vhs"


def test_a_shared_form_class_gives_each_form_its_own_queryset():
    first, second = SharedFilters(QueryDict()), SharedFilters(QueryDict())
    shared = SharedFilters.shared_form_class().base_fields["organisation"].queryset
    own = first.form.fields["organisation"].queryset, second.form.fields["organisation"].queryset
    assert len({id(shared), *map(id, own)}) == 3  # what one form reads stays its own


def test_filters_are_copied_for_each_filter_set_when_asked_for():
    first, second = SharedFilters(QueryDict()), SharedFilters(QueryDict())
    assert first.filters["q"] is not second.filters["q"]
    assert first.filters["q"] is not SharedFilters.base_filters["q"]
    assert first.filters["q"].parent is first
    assert first.filters["q"].model is Organisation


def test_a_filter_whose_choices_depend_on_the_request_cannot_share_its_form():
    class PerRequest(listing.SharedFormMixin, django_filters.FilterSet):
        organisation = django_filters.ModelChoiceFilter(
            queryset=lambda request: Organisation.objects.all()
        )

        class Meta:
            model = Organisation
            fields: list[str] = []

    with pytest.raises(TypeError, match="depend on the request"):
        PerRequest(QueryDict()).form  # noqa: B018 - building the form is the test


def test_field_texts_are_plain_strings_translated_once_per_language():
    # No database in this test: choices from the database are not read here.
    kind = SharedFilters.field_text("kind")
    organisation = SharedFilters.field_text("organisation")
    text = SharedFilters.field_text("q")
    assert kind.label == "Art" and type(kind.label) is str
    assert kind.choices == (("vhs", "Volkshochschule"), ("chamber", "Kammer"))
    assert all(type(label) is str for _value, label in kind.choices)
    assert organisation.choices is None and organisation.empty_label == "---------"
    assert text.choices is None and text.empty_label == ""
    assert SharedFilters.field_text("kind") is kind  # once per language
    with translation.override("en"):
        assert SharedFilters.field_text("kind") is not kind
    assert SharedFilters.shared_form_class().base_fields["kind"].label == "Art"


def test_checkbox_groups_take_their_choices_from_the_field_texts():
    pipeline, result = run(kind="chamber")
    (group,) = result.filter_groups
    assert [(option.value, option.label, option.checked) for option in group.options] == [
        ("vhs", "Volkshochschule", False),
        ("chamber", "Kammer", True),
    ]
    assert group.legend == "Art"
