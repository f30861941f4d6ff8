"""Everything the tag stage loads once per worker process, and how it finds names in one text."""

from __future__ import annotations

from functools import cached_property

from newsflow.tagging.encoder import ArticleEncoder, Encoding
from newsflow.tagging.entities import Span, recurring, resolve, table_spans
from newsflow.tagging.gazetteer import Gazetteer
from newsflow.tagging.names import KnownEntity, demonyms
from newsflow.tagging.ner import ArabicTagger, EnglishTagger, common_word
from newsflow.tagging.phrases import PhraseTable, Word, text_words
from newsflow.tagging.topics import TopicClassifier


class Tagger:
    def __init__(self, gazetteer: Gazetteer, names: PhraseTable[KnownEntity], encoder: ArticleEncoder,
                 max_chars: int = 20_000) -> None:  # fmt: skip
        self.gazetteer, self.names, self.demonyms = gazetteer, names, demonyms()
        self.max_chars = max_chars
        self.encoder = encoder
        self.arabic = ArabicTagger(self.names, self.gazetteer)
        self.english = EnglishTagger()

    @cached_property
    def topics(self) -> TopicClassifier:
        return TopicClassifier()

    def warm(self) -> Tagger:
        """Load the models now (worker start), not with the first article."""
        self.encoder.warm()
        self.arabic.warm()
        self.english.nlp, self.topics  # noqa: B018
        return self

    def read(self, text: str, language: str | None, encoding: Encoding) -> tuple[list[Span], list[str]]:
        """The names in ``text`` and the ISO codes of its nationality adjectives (الأمريكي, Israeli), in order;
        ``encoding``: the encoder's reading of ``text``."""
        words = text_words(text)
        return self.spans(text, language, encoding, words), [m.value for m in self.demonyms.find(text, words)]

    def spans(self, text: str, language: str | None, encoding: Encoding, words: list[Word] | None = None,
              recurrences: bool = True) -> list[Span]:  # fmt: skip
        """Names in ``text``: the language's statistical tagger, linked to the tables, plus table matches. The Arabic
        model already reads the tables' places (benchmarks/results/ner.md: adding gazetteer spans on top costs
        precision), so for Arabic only known people and organisations are added; and, with ``recurrences``, a name
        the Arabic tagger found is marked wherever it recurs in the text (entities.recurring)."""
        words = text_words(text) if words is None else words
        tables = table_spans(text, self.names, self.gazetteer, words)
        if language == "ar":
            found = resolve(text, self.arabic.tag(text, encoding, tables), tables, self.names, self.gazetteer,
                            add_places=False)  # fmt: skip
            return recurring(text, found, common_word, words) if recurrences else found
        tagged = self.english.tag(text) if language == "en" else []
        return resolve(text, tagged, tables, self.names, self.gazetteer, add_places=True)
