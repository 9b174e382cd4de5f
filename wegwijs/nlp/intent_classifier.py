"""Rasa NLU component: Wegwijs's intent classifier, a linear model on Dutch text views.

Chosen by measurement (``make benchmark-nlu``, docs/nlu.md): on our held-out sets and on a Dutch intent
set from another domain it is more accurate than Rasa's DIET pipeline and trains in seconds instead of
half an hour. What it reads of a message:

* the folded text (lower case, no accents, letters typed three times squeezed: :func:`wegwijs.text.fold`);
* the lemmas that the tokenizer set (simplemma's Dutch lemmas in ``nl_wegwijs``, or
  ``nl_core_news_sm``'s when that is installed), folded the same way, so "kinderen" and "kind",
  "geplaatst" and "plaatsen" share features;

as TF-IDF weighted (sublinear) character n-grams within words (2-5: typos, inflection and the parts of
Dutch compounds such as "zorgcoordinator" or "schoolmaatschappelijk") and word 1-3-grams (chosen by 5-fold cross-validation on the training data: macro-F1 0.821 against 0.817 for 1-2-grams). The
classifier is a one-vs-rest logistic regression fitted by stochastic gradient descent with a fixed
seed, so its confidences are probabilities that ``FallbackClassifier`` and ``SafetyOverride`` can use.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.nlu.constants import TOKENS_NAMES

from wegwijs.nlp import storage
from wegwijs.text import fold

logger = logging.getLogger(__name__)

MODEL_FILE = "intent_classifier.joblib"
#: Separates the folded text from its lemmas in the string the vectorizers read.
_VIEW_SEPARATOR = " || "


def text_view(text: str, lemmas: Optional[Sequence[str]] = None) -> str:
    """The string the model reads: the folded text, then its folded lemmas."""
    folded = fold(text)
    if lemmas is None:
        return folded
    return folded + _VIEW_SEPARATOR + fold(" ".join(lemmas))


def message_view(message: Message) -> str:
    """:func:`text_view` of a message, with the lemmas of its tokens when a tokenizer ran."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    lemmas = [token.lemma or token.text for token in tokens] if tokens else None
    return text_view(message.get(TEXT) or "", lemmas)


def selector_only(message: Message) -> bool:
    """Whether a training example only teaches which question within its topic was asked (its intent
    block's metadata says ``selector_only: true``), and not the topic itself."""
    metadata = message.get("metadata") or {}
    intent_metadata = metadata.get("intent") if isinstance(metadata, dict) else None
    return isinstance(intent_metadata, dict) and bool(intent_metadata.get("selector_only"))


def build_model(views: List[str], intents: List[str], config: Dict[str, Any]):
    """Fit the vectorizers and the classifier on the text views of the training examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(config["char_ngrams"]), sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=tuple(config["word_ngrams"]), sublinear_tf=True,
                        token_pattern=r"(?u)\b\w+\b"),
    )
    # One binary problem per label, fitted in parallel on all cores (``n_jobs``); each gets its seed
    # from ``random_seed`` before the work is split, so the result does not depend on the core count.
    classifier = SGDClassifier(loss="log_loss", alpha=float(config["alpha"]), max_iter=int(config["epochs"]),
                               tol=None, random_state=int(config["random_seed"]),
                               n_jobs=config.get("n_jobs", -1), class_weight=config.get("class_weight"))
    model = make_pipeline(features, classifier)
    model.fit(views, intents)
    return storage.fast_prediction(model)


#: Follow-up intents ("kan ik daar bezwaar tegen maken?") are short references back to the topic of the
#: conversation. A message longer than the longest follow-up example (plus ``SHORT_MARGIN`` words)
#: carries its own topic, so the follow-ups are taken out of its ranking (docs/conversations.md).
SHORT_PREFIXES = ("followup_",)
SHORT_MARGIN = 2


def short_limit(texts: List[str], intents: List[str]) -> int:
    """The most words a message may have to be a follow-up: the longest follow-up example plus the margin."""
    lengths = [len(text.split()) for text, intent in zip(texts, intents) if intent.startswith(SHORT_PREFIXES)]
    return max(lengths) + SHORT_MARGIN if lengths else 0


def rank(model, views: List[str], ranking_length: int, too_long: Optional[List[bool]] = None
         ) -> List[List[Dict[str, Any]]]:
    """For every view, the intents with their probabilities, most likely first (without the follow-ups
    where ``too_long`` says the message is longer than a follow-up, the rest renormalised)."""
    probabilities = model.predict_proba(views)
    labels = [str(label) for label in model.classes_]
    short_only = [label.startswith(SHORT_PREFIXES) for label in labels]
    if too_long and any(short_only):
        import numpy as np

        mask = np.array(short_only)
        for index, flag in enumerate(too_long):
            if flag:
                row = probabilities[index]
                row[mask] = 0.0
                total = row.sum()
                if total > 0:
                    probabilities[index] = row / total
    rankings = []
    for row in probabilities:
        order = row.argsort()[::-1][:ranking_length or len(labels)]
        rankings.append([{"name": labels[i], "confidence": float(row[i])} for i in order])
    return rankings


#: One model per language. The Dutch model learns from the Dutch examples (and every example too short to
#: tell): English examples share the Dutch intents, but in one model they pulled Dutch messages towards
#: intents with many English examples (out_of_scope above all; on the blind crisis set unseen3.yml 4
#: more Dutch crisis messages were missed). The English model learns from all examples: English messages
#: often carry Dutch terms ("the OPP", "a TLV"), and the Dutch examples teach those. A message is
#: classified by the model of its language (the LanguageDetector's ``language``); an undecided or
#: other-language message by the Dutch model.
LANGUAGES = ("nl", "en")


def example_language(text: str) -> str:
    """The model an example trains: ``en`` for a clearly English example, else ``nl``."""
    from wegwijs import language

    found = language.detect(text)
    return found.code if found is not None and found.code in LANGUAGES else LANGUAGES[0]


def message_language(message: Message) -> str:
    """The model a message is classified by."""
    code = (message.get("language") or {}).get("code")
    return code if code in LANGUAGES else LANGUAGES[0]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class WegwijsIntentClassifier(GraphComponent, IntentClassifier):
    """Intent classification on folded text and lemmas (see the module docstring)."""

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
        """n-gram ranges, the regularisation ``alpha``, ``epochs`` over the data, the seed, and how many
        intents the ranking lists."""
        return {"char_ngrams": [2, 5], "word_ngrams": [1, 3], "alpha": 1e-5, "epochs": 50,
                "random_seed": 42, "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "WegwijsIntentClassifier":
        """An untrained classifier (predicts nothing)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "WegwijsIntentClassifier":
        """Loads the model stored at training time."""
        return cls(config, model_storage, resource,
                   storage.load(model_storage, resource, MODEL_FILE, cls.__name__))

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on the intent examples and stores it with the Rasa model."""
        examples = [e for e in training_data.intent_examples
                    if e.get(TEXT) and e.get(INTENT) and not selector_only(e)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("WegwijsIntentClassifier: fewer than two intents, nothing to train")
            return self._resource
        by_language: Dict[str, List[Message]] = {code: [] for code in LANGUAGES}
        for example in examples:
            code = example_language(example.get(TEXT))
            if code == LANGUAGES[0]:
                by_language[code].append(example)
            by_language["en"].append(example)  # the English model learns from all examples
        models = {}
        for code, part in by_language.items():
            if len({e.get(INTENT) for e in part}) >= 2:
                models[code] = build_model([message_view(e) for e in part], [e.get(INTENT) for e in part],
                                           self._config)
        limit = short_limit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        self.model = {"by_language": models, "short_limit": limit}
        storage.store(self._model_storage, self._resource, MODEL_FILE, self.model)
        return self._resource

    def _models(self) -> Dict[str, Any]:
        if isinstance(self.model, dict) and "by_language" in self.model:
            return self.model["by_language"]
        return {LANGUAGES[0]: self.model}  # a model trained before the split

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the intent and the ranking on every message with text."""
        if self.model is None:
            return messages
        models = self._models()
        with_text = [m for m in messages if m.get(TEXT)]
        for code in LANGUAGES:
            model = models.get(code) or models.get(LANGUAGES[0])
            part = [m for m in with_text if message_language(m) == code]
            if not part or model is None:
                continue
            limit = self.model.get("short_limit", 0) if isinstance(self.model, dict) else 0
            too_long = [bool(limit) and len(str(m.get(TEXT)).split()) > limit for m in part]
            rankings = rank(model, [message_view(m) for m in part], int(self._config["ranking_length"]),
                            too_long)
            for message, ranking in zip(part, rankings):
                message.set(INTENT, dict(ranking[0]), add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
