"""The Arabic name lists the CRF reads: what people's names begin with and hold, organisations' words, and whole names
of people marked in a sentence, clitics or not."""

from __future__ import annotations

from newsflow.tagging import name_lists
from newsflow.tagging.ner import features, stem_of, unread


def own(word: str) -> dict[str, str]:
    return dict(f.split("=") for f in name_lists.word_features(stem_of(word)[2]))


def tags(sentence: str) -> list[str]:
    info = [stem_of(w) for w in sentence.split()]
    return name_lists.people_tags([stem for _, _, stem in info], [folded for folded, _, _ in info])


def test_a_common_first_name_is_in_the_top_band_and_an_invented_word_in_none():
    assert own("محمد")["first"] == "6"
    assert own("زززقققب") == {"first": "0", "later": "0", "spelt": "0", "orgs": "0"}


def test_family_names_given_names_and_organisations_each_have_their_list():
    assert int(own("الحسيني")["later"]) > int(own("الحسيني")["first"])
    assert own("فاطمة")["first"] == "6" and own("فاطمة")["spelt"] == "1"
    assert own("نادي")["orgs"] == "5" and own("وزارة")["first"] == "0"


def test_clitics_do_not_change_a_words_lists():
    assert own("محمد") == own("ومحمد") == own("لمحمد")


def test_a_whole_name_the_list_has_is_marked_in_a_sentence():
    assert tags("قال جمال عبد الناصر امس") == ["O", "B", "I", "I", "O"]


def test_the_first_word_of_a_name_may_carry_a_clitic_and_a_part_of_a_name_is_not_marked():
    assert tags("وجمال عبد الناصر") == ["B", "I", "I"]
    assert tags("جمال عبد الفتاح") == ["O", "O", "O"]


def test_every_whole_name_is_two_to_longest_words():
    people = name_lists.people()
    assert len(people) > 60_000
    assert all(2 <= len(name.split(" ")) <= name_lists.LONGEST for name in people)


def test_the_crf_reads_the_lists_for_the_word_and_its_neighbours():
    said, first, *rest = features(["قال", "جمال", "عبد", "الناصر"], ["O"] * 4, unread(4))
    assert said["person=O"] == first["person=B"] == rest[0]["person=I"] == rest[1]["person=I"] == 1
    assert first["first=" + own("جمال")["first"]] == 1
    assert said["first+1=" + own("جمال")["first"]] == 1 and rest[0]["later-1=" + own("جمال")["later"]] == 1
