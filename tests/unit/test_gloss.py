"""The gloss backend: the shipped lexicon, Arabic clitics, names through the gazetteer, and its labels."""

import pytest

from newsflow.translation.gloss import MODEL, GlossBackend


@pytest.fixture(scope="module")
def gloss(resources):
    return GlossBackend.load([resources.names, resources.gazetteer])


@pytest.mark.parametrize(
    ("arabic", "english"),
    [
        ("حكومة", "Government"),
        ("وحكومته", "And his government"),  # conjunction and pronoun suffix, ة written ت before it
        ("بالحرب", "With the war"),  # preposition and article
        ("قالت", "Said"),  # she-form of the verb
        ("وقد", "And has"),  # a conjunction on a function word, not the noun "burning"
        ("بغزة", "With Gaza"),  # a place name through the gazetteer, its preposition kept
        ("الولايات المتحدة", "United States"),
        ("سجّلت", "Register"),  # a shadda does not split the word
        ("كافانو", "Kafanw"),  # a word neither the lexicon nor the name tables know is romanised
    ],
)
def test_words_with_their_clitics(gloss, arabic, english):
    assert gloss.gloss(arabic) == english


def test_punctuation_digits_and_latin_text_come_through(gloss):
    assert gloss.gloss("قتل ٣ أشخاص في غزة، حسب CNN؟") == "Murder 3 individuals in Gaza, according to CNN?"


def test_it_serves_arabic_to_english_only_and_says_which_lexicon(gloss):
    assert gloss.model_for("ar", "en") == MODEL and gloss.model_for("fa", "en") is None
    assert (gloss.name, gloss.quality) == ("gloss", "gloss")
    assert gloss.translate(["", "مرحبا"], "ar", "en")[0] == ""


def test_people_and_organisations_read_as_the_tagger_names_them(gloss):
    assert gloss.gloss("وقال بلينكن إن حماس") == "And said Antony Blinken that/indeed Hamas"
