"""The small vocabularies the course search validates and labels with — regions, subjects,
funding, target groups, certificates — held in memory per reference generation, so checking a
search's parameters costs no query (saving any of them starts a new reference generation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import generations, replicas
from measures.models import CertificateKind, FundingType, Subject, TargetGroup
from network.models import Region
from network.models.regions import facet_option_of, facet_options


@dataclass(frozen=True)
class Vocabulary:
    regions: dict[str, Region]  # by official key
    subjects: dict[str, Subject]  # by slug
    funding: dict[str, FundingType]
    target_groups: dict[str, TargetGroup]
    certificates: dict[str, CertificateKind]
    subject_children: dict[int | None, list[int]] = field(default_factory=dict)
    _region_facets: dict = field(default_factory=dict, compare=False, repr=False)
    _ranks: dict = field(default_factory=dict, compare=False, repr=False)

    def region_facet(self, chosen: Region | None = None) -> tuple[list[Region], dict[int, str]]:
        """The region facet's options (``facet_options``) and, by region id, the key of the
        option holding each region; worked out once per choice and vocabulary."""
        memo = None if chosen is None else chosen.key
        if memo not in self._region_facets:
            options = facet_options(self.regions.values(), chosen)
            option_of = {}
            for region in self.regions.values():
                option = facet_option_of(options, region.key, region.country)
                if option is not None:
                    option_of[region.pk] = option.key
            self._region_facets[memo] = (options, option_of)
        return self._region_facets[memo]

    def by_ids(self, entries: str, ids) -> list | None:
        """The entries of a vocabulary (``subjects``, ``funding``, ``target_groups``) with these
        ids, in the vocabulary's order (position, name: as the database sorts them); None when
        one of the ids is not known here (an entry newer than this snapshot)."""
        if entries not in self._ranks:
            listed = getattr(self, entries).values()
            self._ranks[entries] = {item.pk: (rank, item) for rank, item in enumerate(listed)}
        ranks = self._ranks[entries]
        if any(pk not in ranks for pk in ids):
            return None
        return [item for _rank, item in sorted(ranks[pk] for pk in set(ids))]

    def descendant_ids(self, subject: Subject) -> list[int]:
        """The subject's id and the ids of every subject below it."""
        found, stack = [], [subject.pk]
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.append(pk)
                stack.extend(self.subject_children.get(pk, []))
        return sorted(found)

    def related_subjects(self, subject: Subject, *, limit: int = 8) -> list[Subject]:
        """The subject's area and the area's other subjects."""
        area = subject.parent_id or subject.pk
        related = [
            other
            for other in self.subjects.values()
            if (other.pk == area or other.parent_id == area) and other.pk != subject.pk
        ]
        return related[:limit]


_vocabulary: tuple[int, Vocabulary] | None = None  # (generation, snapshot)


def vocabulary() -> Vocabulary:
    global _vocabulary  # noqa: PLW0603 - a per-process memo keyed by the generation
    current = generations.reference()
    if _vocabulary is None or _vocabulary[0] != current:
        with replicas.primary():  # kept as the generation's: not from a lagging replica
            subjects = list(Subject.objects.all())
            children: dict[int | None, list[int]] = {}
            for subject in subjects:
                children.setdefault(subject.parent_id, []).append(subject.pk)
            snapshot = Vocabulary(
                regions={
                    region.key: region for region in Region.objects.searchable().defer("boundary")
                },
                subjects={subject.slug: subject for subject in subjects},
                funding={item.slug: item for item in FundingType.objects.all()},
                target_groups={item.slug: item for item in TargetGroup.objects.all()},
                certificates={item.slug: item for item in CertificateKind.objects.all()},
                subject_children=children,
            )
        _vocabulary = (current, snapshot)
    return _vocabulary[1]
