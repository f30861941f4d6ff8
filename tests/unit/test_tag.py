"""tag_article with the models the tag stage loads: Arabic clitics, English text, names across scripts,
nationality adjectives, names recurring past the lead, stories carried under "read also", topics and keywords, an
empty body and no names; many articles at once in one process, as a threads-pool worker tags them."""

import copy
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from newsflow.batching import Batching
from newsflow.schema import Article, Furniture
from newsflow.tagging.encoder import ArticleEncoder
from newsflow.tagging.stage import tag_article
from newsflow.vectors import vector_from


@pytest.fixture(scope="module")
def tagger(resources):
    return resources.tagger


def article(body, language="ar", title=None, **fields):
    return Article(id="t", received_at=datetime(2026, 1, 1, tzinfo=UTC), body=body, language=language, title=title,
                   **fields)  # fmt: skip


def names(tagged, kind=None):
    return {e.name: [m.surface for m in e.mentions] for e in tagged.entities if kind in (None, e.type)}


def test_arabic_names_with_clitics_attached_get_canonical_english_names(tagger):
    tagged = tag_article(article(["وصل وزير الخارجية الأمريكي أنتوني بلينكن إلى الدوحة ثم إلى غزة، والتقى "
                                  "بلينكن وبنتنياهو في تل أبيب."]), tagger)  # fmt: skip
    people = names(tagged, "person")
    assert people["Antony Blinken"] == ["أنتوني بلينكن", "بلينكن"]
    assert "Benjamin Netanyahu" in people and people["Benjamin Netanyahu"] == ["وبنتنياهو"]
    assert {"Doha", "Gaza", "Tel Aviv"} <= set(names(tagged, "place"))
    assert {"US", "QA", "PS", "IL"} <= set(tagged.countries)  # الأمريكي is a nationality: US
    assert all(e.linked for e in tagged.entities if e.name in ("Antony Blinken", "Doha"))


def test_english_text_and_the_same_people_across_scripts(tagger):
    body = ["US Secretary of State Antony Blinken met Israeli Prime Minister Benjamin Netanyahu in Tel Aviv, "
            "CNN reported. The White House and the UN Security Council commented."]  # fmt: skip
    english = tag_article(article(body, language="en"), tagger)
    arabic = tag_article(article(["قال بلينكن إن نتنياهو وافق."]), tagger)
    assert {"Antony Blinken", "Benjamin Netanyahu"} <= set(names(english, "person")) & set(names(arabic, "person"))
    assert {"CNN", "White House", "UN Security Council"} <= set(names(english, "organisation"))
    assert "Tel Aviv" in names(english, "place") and {"US", "IL"} <= set(english.countries)
    text = "\n\n".join(body)
    assert all(text[m.start : m.end] == m.surface for e in english.entities for m in e.mentions)


def test_a_story_carried_under_read_also_keeps_its_own_tags_on_its_item(tagger):
    carried = "قال جون كيربي في واشنطن إن المحادثات مستمرة في مدريد."
    tagged = tag_article(article(["غادر بلينكن مصر."], boilerplate=[
        Furniture(kind="source", text="المصدر: CNN"), Furniture(kind="read_also", text=carried, title="عنوان")]), tagger)  # fmt: skip
    item = tagged.boilerplate[1]
    kirby = next(e for e in item.entities if e.name == "John Kirby")
    assert [(m.boilerplate, carried[m.start : m.end]) for m in kirby.mentions] == [(1, "جون كيربي")]
    assert {"Washington", "Madrid"} <= {e.name for e in item.entities if e.type == "place"} and "ES" in item.countries
    assert "ES" not in tagged.countries and "John Kirby" not in names(tagged, "person"), "the carried story's tags"
    assert not tagged.boilerplate[0].entities, "only read_also items carry a story"
    egypt = next(e for e in tagged.entities if e.name == "Egypt")
    assert egypt.mentions[0].boilerplate is None and tagged.countries == ["EG"]


def test_topics_and_keywords_come_from_the_original_language(tagger):
    body = ["فاز المنتخب التونسي على نظيره المغربي بهدفين مقابل هدف في المباراة النهائية للبطولة العربية لكرة القدم.",
            "وسجل مهاجم المنتخب الهدف الثاني في الدقيقة الأخيرة، وقال المدرب إن اللاعبين قدموا مباراة كبيرة."]  # fmt: skip
    tagged = tag_article(article(body, title="تونس تحرز لقب البطولة العربية", page_keywords=["رياضة"]), tagger)
    assert tagged.topics[0].label == "sport" and 0 < tagged.topics[0].score <= 1
    assert tagged.keywords[0] == "رياضة" and "المنتخب" in tagged.keywords  # the page's own first, then the text's


def test_an_empty_body_and_a_body_without_names_give_no_entities(tagger):
    empty = tag_article(article([], language=None, page_keywords=["x"]), tagger)
    assert (empty.entities, empty.countries, empty.topics, empty.keywords) == ([], [], [], ["x"])
    plain = tag_article(article(["The committee met for three hours and adjourned."], language="en"), tagger)
    assert (plain.entities, plain.countries) == ([], [])


def test_a_huge_body_is_tagged_up_to_the_limit_with_valid_offsets(tagger):
    filler = "The committee met again and adjourned without a vote. " * 600  # about 33,000 characters
    body = ["Officials in Madrid said the talks would resume.", filler, "Later the delegation flew to Ankara."]
    tagged = tag_article(article(body, language="en"), tagger)
    assert "Madrid" in names(tagged, "place") and "Ankara" not in names(tagged, "place")  # past tag_max_chars
    text = "\n\n".join(body)
    assert all(text[m.start : m.end] == m.surface for e in tagged.entities for m in e.mentions)


def test_the_gaza_corridors_are_not_the_american_city_with_or_without_clitics(tagger):
    tagged = tag_article(article(["انسحبت القوات من محور فيلادلفيا ومن فيلادلفيا قرب رفح، وبقيت في ونتساريم وسط القطاع."]),
                         tagger)  # fmt: skip
    places = names(tagged, "place")
    assert "Philadelphia" not in places
    assert places["Philadelphi Corridor"] and places["Netzarim Corridor"]
    assert "PS" in tagged.countries and "US" not in tagged.countries


def test_clubs_companies_and_armed_groups_get_canonical_names_and_a_club_named_as_its_city_stays_a_place(tagger):
    tagged = tag_article(article(["تعاقد ريال مدريد مع مهاجم يوفنتوس في برشلونة، وأعلنت نوكيا وسامسونغ عن هاتفين "
                                  "جديدين، وقالت حركة طالبان إنها ستفاوض."]), tagger)  # fmt: skip
    organisations = {e.name: e for e in tagged.entities if e.type == "organisation"}
    assert {"Real Madrid", "Juventus", "Nokia", "Samsung", "Taliban"} <= set(organisations)
    assert organisations["Real Madrid"].linked and organisations["Real Madrid"].country == "ES"
    assert organisations["Juventus"].mentions[0].surface == "يوفنتوس"
    assert "Barcelona" in names(tagged, "place")


def test_a_name_found_in_the_lead_is_found_where_it_recurs_past_it(tagger):
    body = (
        "أعلن رئيس الوزراء الأردني سمير الرفاعي يوم الأحد أن حكومته ستوقع اتفاقا مع شركة الصخرة الزرقاء للإسمنت "
        "لبناء ثلاثة مصانع جديدة في محافظة الزرقاء، وقال الرفاعي في مؤتمر صحفي عقده في عمان إن المشروع سيوفر "
        "آلاف فرص العمل للشباب خلال السنوات الخمس المقبلة، وإن الحكومة ستقدم تسهيلات ضريبية للمستثمرين. وأضاف أن "
        "المفاوضات استمرت أكثر من عام. وقال مدير الصخرة الزرقاء للإسمنت إن العمل سيبدأ في الربيع، وإن الشركة "
        "ستعين ألف عامل من أبناء المحافظة. ورحب النواب بالاتفاق، وأشاد الرفاعي بدور البنك المركزي في تمويله."
    )
    last = body.rindex("الرفاعي")
    (encoding,) = tagger.encoder.encode([body])
    assert encoding.end < last  # the last sentence is past the lead: the CRF without the encoder reads it
    assert last not in {s.start for s in tagger.spans(body, "ar", encoding, recurrences=False)}
    (rifai,) = [e for e in tag_article(article([body]), tagger).entities if "الرفاعي" in e.mentions[0].surface]
    assert rifai.type == "person"
    assert [m.start for m in rifai.mentions] == [body.index("سمير الرفاعي"), body.index("الرفاعي في"), last]


def test_articles_tagged_in_threads_share_encoder_calls_and_get_the_tags_they_get_alone(tagger):
    calls: list[int] = []
    batching = ArticleEncoder(tagger.encoder.models_dir, batching=Batching(64, wait_s=0.2, timeout_s=60),
                              observe_batch=lambda texts, articles: calls.append(articles)).warm()  # fmt: skip
    threaded = copy.copy(tagger)  # the same CRFs, spaCy pipeline and tables: only the encoder batches
    threaded.encoder = batching
    articles = [article([f"قال وزير الخارجية الأمريكي أنتوني بلينكن في القاهرة إن المحادثات مستمرة {n}."],
                        title="بلينكن في القاهرة") for n in range(4)]  # fmt: skip
    articles += [article([f"Antony Blinken met Benjamin Netanyahu in Tel Aviv on day {n}."], language="en",
                         boilerplate=[Furniture(kind="read_also", text="Kirby speaks in Washington")])
                 for n in range(4)]  # fmt: skip
    with ThreadPoolExecutor(len(articles)) as pool:
        together = list(pool.map(lambda a: tag_article(a, threaded), articles))
    assert max(calls) > 1, "the articles' texts should have shared encoder calls"
    for alone, shared in zip((tag_article(a, tagger) for a in articles), together, strict=True):
        assert shared.model_dump(exclude={"embedding", "topics"}) == alone.model_dump(exclude={"embedding", "topics"})
        assert [t.code for t in shared.topics] == [t.code for t in alone.topics]
        assert float(vector_from(shared.embedding) @ vector_from(alone.embedding)) > 0.999  # padded otherwise
