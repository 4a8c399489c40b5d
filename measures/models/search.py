from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Synonym(models.Model):
    """A search term and what it also means; applied to every search at once.

    "EDV" → "Computer" makes a search for "EDV" also find courses about computers.
    """

    term = models.CharField(
        _("Suchbegriff"),
        max_length=100,
        unique=True,
        help_text=_("Ein Wort oder eine Wortgruppe, wie Suchende es eingeben, z. B. „EDV“."),
    )
    alternatives = models.CharField(
        _("gleichbedeutend mit"),
        max_length=300,
        help_text=_(
            "Durch Kommas getrennt; jede Angabe ist ein Wort oder eine Wortgruppe, "
            "z. B. „Computer, PC“ oder „Pflege älterer Menschen“."
        ),
    )
    two_way = models.BooleanField(
        _("in beide Richtungen"),
        default=False,
        help_text=_(
            "Angekreuzt: jede Angabe findet auch den Suchbegriff und die anderen Angaben "
            "(„Handy, Smartphone“). Sonst gilt es nur vom Suchbegriff aus."
        ),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    shipped = models.BooleanField(
        _("mitgeliefert"),
        default=False,
        editable=False,
        help_text=_(
            "Aus dem mitgelieferten Wortschatz; Änderungen bleiben erhalten. Abschalten statt "
            "löschen."
        ),
    )
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)

    class Meta:
        verbose_name = _("Synonym")
        verbose_name_plural = _("Synonyme")
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} → {self.alternatives}"

    def alternative_list(self) -> list[str]:
        return [item.strip() for item in self.alternatives.split(",") if item.strip()]


class SearchWord(models.Model):
    """One spelling of a word of the public vocabulary, for "Meinten Sie …?".

    The vocabulary is the words of public courses' titles and keywords and of the subjects'
    names (``measures.search``). ``word`` is the folded form that queries are compared with,
    ``display`` the spelling as written ("Mechatroniker"), ``frequency`` how many public
    courses and subjects use that spelling; a suggestion shows a word's most frequent spelling.
    """

    word = models.CharField(
        max_length=100, help_text=_("gefaltet: kleingeschrieben, Umlaute als ae, oe, ue")
    )
    display = models.CharField(_("Schreibweise"), max_length=100)
    frequency = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Suchwort")
        verbose_name_plural = _("Suchwörter")
        constraints = [
            models.UniqueConstraint(fields=["word", "display"], name="searchword_unique_spelling"),
        ]
        indexes = [
            GinIndex(fields=["word"], opclasses=["gin_trgm_ops"], name="searchword_trgm_idx"),
        ]

    def __str__(self):
        return self.display


class SearchWordSource(models.Model):
    """The spellings one public course adds to the vocabulary, so that a change to the course
    takes back exactly what it added (``measures.search.search_words_update``).

    Keyed by the course's id without a foreign key: the row outlives a deleted course until
    the update for it takes its words back.
    """

    course_id = models.BigIntegerField(primary_key=True)
    words = ArrayField(models.CharField(max_length=100), default=list)

    class Meta:
        verbose_name = _("Suchwörter eines Kurses")
        verbose_name_plural = _("Suchwörter der Kurse")

    def __str__(self):
        return str(self.course_id)


class SearchDocument(models.Model):
    """A course's full-text document (title A, keywords and subjects B, summary C, the rest D),
    written by ``measures.search.refresh_search_vectors`` after every change to what it holds.

    It lives apart from the course's wide row: matching a broad term and ranking thousands of
    courses then reads only these short rows, not every course's texts as well.
    """

    course = models.OneToOneField(
        "measures.Course",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    vector = SearchVectorField()

    class Meta:
        verbose_name = _("Suchdokument")
        verbose_name_plural = _("Suchdokumente")
        indexes = [GinIndex(fields=["vector"], name="searchdocument_vector_idx")]

    def __str__(self):
        return str(self.course_id)
