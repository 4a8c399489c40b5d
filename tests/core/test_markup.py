"""The markup renderer: the same HTML as the regular expressions it replaced, in time linear in
the length of the text, whatever the text holds."""

import random
import signal
import sys
import time

import pytest
from bs4 import BeautifulSoup

from core import markup
from tests.core import markup_oracle

# What authors write, and what the syntax help and the module's docstring promise.
DOCUMENTED = [
    "# Oben\n\nEin **fetter** und *schräger* Text mit [Link](https://example.org) "
    "und [Kurse](/kurse/?q=a&b=c).\nZweite Zeile\n\n- eins\n- zwei\n\n1. erst\n2. dann\n\n"
    "> Zitat\n\n---\n### Unten",
    "## Bildungsgutschein\n\nDie **Agentur für Arbeit** hilft. _Wichtig_: `Code` bleibt.",
    '[Wiki](https://de.wikipedia.org/wiki/Bildung_(Begriff)) und [mit Titel](/kurse/ "Kurse")',
    "[Mail](mailto:info@example.org), [Telefon](tel:+4930123) und [Anker](#oben)",
    "3. drei\n4. vier\n   weiter im Punkt\n\n* Stern\n+ Plus",
    "> erster Absatz\n>\n> zweiter Absatz\n\n***\n___",
    "## Gleich\n## Gleich\n## Gleich 2\n## Gleich\n#### Tief ##\n# \n#### ###",
    "Zeile mit Backslash\\\nnächste Zeile",
    '<script>alert("x")</script> <b onclick="x">fett</b> & Co.',
    "**fett *und kursiv* darin** und snake_case_name bleibt, 2*3*4 auch",
    "[klick](javascript:alert(1)) [x](data:text/html,x) [y](//evil.example/)",
]

# Inputs on which the regular expressions backtracked (quadratic, the heading cubic), or on
# which the block loop never ended.
PATHOLOGICAL = {
    "emphasis never closed": lambda n: "*a " * n,
    "underscores": lambda n: "_" * n,
    "underscore emphasis never closed": lambda n: "_a " * n,
    "opening brackets": lambda n: "[" * n,
    "labels never closed": lambda n: "[a" * n,
    "double stars": lambda n: "**" * n,
    "strong never closed": lambda n: "**a " * n,
    "links never closed": lambda n: "[a](" * n,
    "nested link addresses": lambda n: "[a](b(" * n,
    "link titles never closed": lambda n: '[a](b "' * n,
    "labels before spaces": lambda n: "[" * n + "](a " + " " * n,
    "code never closed": lambda n: "`" + "a" * n,
    "heading with trailing spaces": lambda n: "# a" + " " * n + "b",
    "heading with hashes": lambda n: "# a" + " #" * n + "b",
    "the same heading again and again": lambda n: "## a\n" * (n // 5),
    "quotes in quotes": lambda n: "> " * n,
    "indented list items": lambda n: " - a\n" * (n // 4),
    "mixed inline markup": lambda n: "**a** *b* _c_ [d](/e) `f` " * (n // 26),
}


def oracle(source):
    return markup_oracle.render(source)


@pytest.mark.parametrize("source", DOCUMENTED)
def test_documented_syntax_renders_as_before(source):
    assert str(markup.render(source)) == oracle(source)


def test_random_texts_render_as_before():
    """Short random texts from the characters that mean something: every construct and every
    odd combination of them, compared with the old renderer (fast on short texts)."""
    pieces = list('*_`[]()"# \t\n-+>1.ab\\&<é;') + [
        "**",
        "](",
        "](/x",
        "](https://a",
        "](#",
        ' "t")',
        "](a(b)",
        "\u00a0",
        "\u2028",
        "\x1c",
        "1) ",
        "- ",
        "> ",
        "## ",
        "---",
    ]
    rng = random.Random(11)
    for _ in range(3000):
        source = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        assert str(markup.render(source)) == oracle(source), source
        line = source.replace("\n", " ")
        assert markup.render_inline(line) == markup_oracle.render_inline(line), line


def test_heading_text_and_level_match_the_old_pattern():
    for line in [
        "# a",
        "##  a  ##",
        "### a # b ###",
        "#### a#",
        "# ##",
        "##### a",
        "#a",
        "# a\t#\t",
    ]:
        old = markup_oracle.HEADING.match(line)
        new = markup.heading(line)
        assert (new is None) == (old is None), line
        if old:
            assert new == (max(2, len(old.group(1))), old.group(2)), line


@pytest.fixture
def deadline():
    """Fail instead of hanging for ever."""

    def stop(*_args):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_indented_list_item_ends(deadline):
    """An indented first list item used to stop the block loop from moving on: the page never
    rendered."""
    page = BeautifulSoup(str(markup.render(" - eins\n  weiter\n\n 1. erst")), "lxml")
    assert page.find("ul").find("li").get_text("|") == "eins|\nweiter"
    assert page.find("ol").find("li").get_text() == "erst"


def steps(source):
    """How many lines of the renderer run for ``source``: a measure of work that does not
    depend on the machine's load."""
    count = 0
    code_file = markup.__file__

    def trace(frame, event, _arg):
        nonlocal count
        if frame.f_code.co_filename != code_file:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        markup.render(source)
    finally:
        sys.settrace(None)
    return count


def cpu_seconds(source):
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        markup.render(source)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("make", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_work_grows_linearly_with_the_text(make, deadline):
    """Eight times the text, at most about eight times the steps (quadratic would be 64)."""
    small, large = steps(make(1_500)), steps(make(12_000))
    assert large < 10 * small + 100


@pytest.mark.parametrize("make", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_time_grows_linearly_with_the_text(make, deadline):
    """Also the time spent in the regular expressions and string functions, which the step
    count does not see: eight times the text in well under 64 times
    the time. The floor keeps timer noise on tiny times from counting."""
    small, large = cpu_seconds(make(6_250)), cpu_seconds(make(50_000))
    assert large < 20 * max(small, 0.005)
