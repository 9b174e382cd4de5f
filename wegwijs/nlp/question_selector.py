"""Rasa NLU component: picks the question a parent asked within the topic the intent classifier found.

Wegwijs answers at two levels (docs/nlu.md, "Question-level answers"): a *topic* (the intent, such as
``care_sop``) and, within it, a *question* ("how often must the school renew its SOP?") with its own
answer, or the topic's overview for a broad question ("wat is een sop?").

Training data: the usual NLU examples of the topic intent, with the question in the intent block's
metadata (Rasa's own training-data feature, so no duplicate response texts are needed)::

    - intent: care_sop
      metadata: {question: cycle}
      examples: |
        - hoe vaak moet een school het sop vernieuwen

``question: overview`` marks broad questions. Examples without a question train the topic classifier;
the short ones among them (at most ``overview_max_words`` words, such as "ots?" or "uitleg opp") also
count as broad questions about their topic, when the topic has questions (cross-validation: within-topic
accuracy 0.639 without them, 0.644 with them; overview 0.42 against 0.54). With ``content_dir`` set (config.yml: ``data``), each question's title and answer text and each
topic's title are added as examples of their label, so the words of the answer count too (5-fold
cross-validation on the training data: within-topic accuracy 0.56 without them, 0.64 with them;
``benchmarks/questions.py``).

Topic first, then the question: one small model per topic (the same kind as
:mod:`wegwijs.nlp.intent_classifier`: TF-IDF character and word n-grams of the folded text and its
lemmas, logistic regression by SGD, fixed seed), fitted on that topic's labelled examples only, so the
words that tell a topic's questions apart weigh more than the topic's own words. For a message whose
intent has questions it ranks that topic's questions and overview; a crisis, a fallback or a basic
intent is never touched. The result is written in the format of Rasa's ``ResponseSelector``
(``response_selector`` in the parse data), so Rasa's processor records
``intent.full_retrieval_intent_name`` (for example ``care_sop/cycle``) on the tracker.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wegwijs.nlp import storage
from wegwijs.nlp.intent_classifier import build_model, message_view, text_view

logger = logging.getLogger(__name__)

MODEL_FILE = "question_selector.joblib"
OVERVIEW = "overview"
#: Where the result goes in the parse data: the key of Rasa's ResponseSelector output.
OUTPUT_KEY = "response_selector"
RETRIEVAL_INTENTS_KEY = "all_retrieval_intents"
QUESTION_KEY = "question"


def question_of(message: Message) -> Optional[str]:
    """The question name in a training example's intent metadata, or None."""
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    if isinstance(intent_metadata, dict) and intent_metadata.get(QUESTION_KEY):
        return str(intent_metadata[QUESTION_KEY])
    return None


#: The spaCy pipeline config.yml's SpacyNLP loads; content examples get their lemmas from it, as the
#: training examples get theirs from SpacyTokenizer.
SPACY_PIPELINE = "nl_wegwijs"
_NLP: Dict[str, Any] = {}


def lemmas(text: str) -> Optional[List[str]]:
    """The lemmas of a text by the installed ``nl_wegwijs`` pipeline, or None when it is missing."""
    if "nlp" not in _NLP:
        try:
            import spacy

            _NLP["nlp"] = spacy.load(SPACY_PIPELINE)
        except (ImportError, OSError):
            _NLP["nlp"] = None
    nlp = _NLP["nlp"]
    return [token.lemma_ or token.text for token in nlp(text)] if nlp is not None else None


def split_key(key: str) -> Tuple[str, str]:
    """``"care_sop/cycle"`` -> ``("care_sop", "cycle")``."""
    topic, _, question = key.partition("/")
    return topic, question


def fit_models(pairs: List[Tuple[str, str]], config: Dict[str, Any]) -> Dict[str, Any]:
    """One model per topic from (text view, ``topic/question``) pairs; a topic with one label keeps
    just that label."""
    by_topic: Dict[str, Tuple[List[str], List[str]]] = defaultdict(lambda: ([], []))
    for view, label in pairs:
        views, names = by_topic[split_key(label)[0]]
        views.append(view)
        names.append(label)
    return {topic: build_model(views, names, config) if len(set(names)) > 1 else names[0]
            for topic, (views, names) in sorted(by_topic.items())}


def rank_within(model: Any, view: str) -> List[Tuple[str, float]]:
    """A topic model's labels for a text view with their probabilities, most likely first."""
    if isinstance(model, str):
        return [(model, 1.0)]
    row = model.predict_proba([view])[0]
    return sorted(zip((str(label) for label in model.classes_), (float(p) for p in row)),
                  key=lambda kv: -kv[1])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class QuestionSelector(GraphComponent):
    """Selects the question within the topic (see the module docstring)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """Any tokenizer: the lemmas come from its tokens."""
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        """scikit-learn."""
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The per-topic models' settings (as the intent classifier's), where the answer content is, and
        the ranking length."""
        return {"char_ngrams": [2, 5], "word_ngrams": [1, 3], "alpha": 1e-5, "epochs": 50,
                "random_seed": 42, "n_jobs": 1, "content_dir": None, "overview_max_words": 4,
                "ranking_length": 5}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 models: Optional[Dict[str, Any]] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.models: Dict[str, Any] = models or {}  # topic -> fitted model, or the one label (a str)
        self.topics = sorted(self.models)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "QuestionSelector":
        """An untrained selector (selects nothing)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "QuestionSelector":
        """Loads the models stored at training time."""
        return cls(config, model_storage, resource,
                   storage.load(model_storage, resource, MODEL_FILE, cls.__name__))

    @staticmethod
    def labelled(training_data: TrainingData, overview_max_words: int = 0) -> Tuple[List[Message], List[str]]:
        """The training examples that name a question, and their ``topic/question`` labels; with
        ``overview_max_words``, also the short examples without a question of those topics, as overview."""
        examples, labels = [], []
        for example in training_data.intent_examples:
            question = question_of(example)
            if example.get(TEXT) and example.get(INTENT) and question:
                examples.append(example)
                labels.append(f"{example.get(INTENT)}/{question}")
        topics = {split_key(label)[0] for label in labels}
        for example in training_data.intent_examples:
            text = example.get(TEXT) or ""
            if (example.get(INTENT) in topics and not question_of(example)
                    and 0 < len(text.split()) <= overview_max_words):
                examples.append(example)
                labels.append(f"{example.get(INTENT)}/{OVERVIEW}")
        return examples, labels

    def content_examples(self, labels: List[str]) -> List[Tuple[str, str]]:
        """(text, label) from the answer content: each question's title and answer, each topic's title."""
        if not self._config.get("content_dir"):
            return []
        from wegwijs.content import ContentLibrary

        library = ContentLibrary.load(Path(self._config["content_dir"]))
        wanted = set(labels)
        extra = []
        for question in library.questions():
            if question.key in wanted:
                extra += [(question.title, question.key),
                          (library.render(question.answer["default"]), question.key)]
        for answer in library.answers():
            if f"{answer.intent}/{OVERVIEW}" in wanted:
                extra.append((answer.title, f"{answer.intent}/{OVERVIEW}"))
        return extra

    def train(self, training_data: TrainingData) -> Resource:
        """Fits one model per topic on the examples that name a question (and the topic's content)."""
        examples, labels = self.labelled(training_data, int(self._config["overview_max_words"]))
        pairs = [(message_view(example), label) for example, label in zip(examples, labels)]
        pairs += [(text_view(text, lemmas(text)), label) for text, label in self.content_examples(labels)]
        models = fit_models(pairs, self._config)
        if not models:
            logger.warning("QuestionSelector: no examples name a question, nothing to train")
            return self._resource
        storage.store(self._model_storage, self._resource, MODEL_FILE, models)
        self.__init__(self._config, self._model_storage, self._resource, models)
        return self._resource

    def rank(self, topic: str, view: str) -> List[Tuple[str, float]]:
        """The topic's questions (and overview) for a text view, most likely first."""
        return rank_within(self.models[topic], view)

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the selection to every message whose intent is a topic with questions."""
        for message in messages:
            topic = (message.get(INTENT) or {}).get("name")
            if not message.get(TEXT) or topic not in self.models:
                continue
            ranking = self.rank(topic, message_view(message))
            best, confidence = ranking[0]
            message.set(OUTPUT_KEY, {
                RETRIEVAL_INTENTS_KEY: self.topics,
                topic: {
                    "response": {"intent_response_key": best, "confidence": confidence,
                                 "utter_action": f"utter_{best}", "template_name": f"utter_{best}"},
                    "ranking": [{"intent_response_key": key, "confidence": value}
                                for key, value in ranking[: int(self._config["ranking_length"])]],
                },
            }, add_to_output=True)
        return messages
