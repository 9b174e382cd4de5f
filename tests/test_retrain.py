"""Retraining without a model: export, scrubbing, review, writing, stories, gate, report, history."""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Dict

import pytest
import sqlalchemy as sa

from retrain_support import RAW_PII, conversations, save, turn
from wegwijs import cli
from wegwijs.db import migrate
from wegwijs.db.engine import engine_for, session_factory
from wegwijs.db.models import ReviewItem
from wegwijs.evaluation import score
from wegwijs.nlu_data import heldout_nlu, training_nlu
from wegwijs.retrain import gate, modelstore, report, review, writer
from wegwijs.retrain.export import export, group_key


@pytest.fixture
def db(db_url) -> str:
    migrate.upgrade(db_url)
    save(db_url, conversations())
    return db_url


@pytest.fixture
def project(tmp_path, home) -> Path:
    """A copy of what the writer touches: data, domain, config, the held-out set."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copytree(home / "data", copy / "data")
    shutil.copytree(home / "tests" / "nlu_heldout", copy / "tests" / "nlu_heldout")
    shutil.copytree(home / "tests" / "nlu_questions", copy / "tests" / "nlu_questions")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(home / name, copy / name)
    return copy


def all_text(db_url: str) -> str:
    """Every value in our tables, as one string."""
    engine = engine_for(db_url)
    with engine.connect() as connection:
        names = [n for n in sa.inspect(connection).get_table_names() if n.startswith("wegwijs_")]
        return "\n".join(repr(tuple(row)) for name in names
                         for row in connection.execute(sa.text(f'SELECT * FROM "{name}"')))


def items(db_url: str) -> Dict[str, ReviewItem]:
    with session_factory(db_url)() as session:
        return {item.text: item for item in session.execute(sa.select(ReviewItem)).scalars()}


# ====================================================================== export
def test_export_keeps_parent_questions_with_intent_confidence_and_next_action(db):
    with session_factory(db)() as session:
        result = export(session)
    found = items(db)
    assert result.exported == len(found) == 10
    bullying = found["Mijn zoon [NAAM] (BSN [BSN]) wordt gepest, wie helpt?"]
    assert (bullying.predicted_intent, bullying.next_action, bullying.school_id) == (
        "care_mentor", "action_answer_topic", "het-baken")
    assert bullying.confidence == pytest.approx(0.62)
    assert bullying.pii_types == "BSN,NAME"
    contact = found["bel me op [TELEFOON] of mail [EMAIL]"]
    assert contact.fallback and contact.next_action == "action_fallback"


def test_the_topic_a_parent_chose_after_bedoel_je_is_kept_as_the_proposed_label(db):
    from rasa.shared.core.events import ActionExecuted, BotUttered

    from retrain_support import user
    from wegwijs.replies import CHOOSE_TEXT

    def unsure_then(button: str, intent: str):
        return [ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
                user("moet ik dat plan nou ondertekenen of niet", "care_opp", 0.31),
                ActionExecuted("action_answer_topic"), BotUttered(CHOOSE_TEXT, {"buttons": []}),
                ActionExecuted("action_listen"), user(button, intent, 1.0),
                ActionExecuted("action_answer_topic"), BotUttered("…"), ActionExecuted("action_listen"),
                user("en wie schrijft het", "care_opp", 0.8), ActionExecuted("action_answer_topic"),
                BotUttered("…"), ActionExecuted("action_listen")]

    save(db, [("conv-choice", unsure_then('/care_opp_consent{"question": "care_opp_consent/consent_needed"}',
                                          "care_opp_consent")),
              ("conv-other", unsure_then("/deny", "deny"))])
    with session_factory(db)() as session:
        export(session)
        chosen = {(item.conversation_id, item.text): item.chosen_intent
                  for item in session.execute(sa.select(ReviewItem)).scalars()}
        groups = review.pending_groups(session, limit=100)
    assert chosen[("conv-choice", "moet ik dat plan nou ondertekenen of niet")] == "care_opp_consent"
    assert chosen[("conv-choice", "en wie schrijft het")] is None  # only the message that was unsure
    assert chosen[("conv-other", "moet ik dat plan nou ondertekenen of niet")] is None  # "iets anders"
    group = next(g for g in groups if g.text == "moet ik dat plan nou ondertekenen of niet")
    assert group.chosen_intent == "care_opp_consent" and group.predicted_intent == "care_opp"


@pytest.mark.parametrize("offer", ["nl-topics", "en-topics", "en-questions"])
def test_a_choice_between_topics_and_in_english_is_kept_too(db, offer):
    """Issue 19: "Bedoel je…?" between topics (after a fallback) and in English record the choice too."""
    from rasa.shared.core.events import ActionExecuted, BotUttered

    from retrain_support import user
    from wegwijs import replies, replies_en

    text = {"nl-topics": replies.CHOOSE_TOPIC_TEXT, "en-topics": replies_en.CHOOSE_TOPIC_TEXT,
            "en-questions": replies_en.CHOOSE_TEXT}[offer]
    save(db, [("conv-topic", [
        ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
        user("dat plan waar de school het over had", "nlu_fallback", 0.15),
        ActionExecuted("action_fallback"), BotUttered(text, {"buttons": []}),
        ActionExecuted("action_listen"), user("/care_opp", "care_opp", 1.0),
        ActionExecuted("action_answer_topic"), BotUttered("…"), ActionExecuted("action_listen")])])
    with session_factory(db)() as session:
        export(session)
        chosen = {item.text: item.chosen_intent for item in session.execute(sa.select(ReviewItem)).scalars()}
    assert chosen["dat plan waar de school het over had"] == "care_opp"


def test_export_skips_buttons_the_handover_form_and_messages_to_staff(db):
    with session_factory(db)() as session:
        result = export(session)
    assert result.skipped == {"button": 1, "handover_form": 2, "to_staff": 2}
    texts = set(items(db))
    assert not any(text.startswith("/") for text in texts)
    assert "ik wil met iemand praten" in texts  # the message that started the form is a question
    assert "wat doet de jeugdarts" in texts  # after the form: the bot answers again
    assert "hoe zit het met de leerplicht" in texts  # after staff gave the conversation back


def test_no_personal_data_leaves_the_tracker_store(db):
    with session_factory(db)() as session:
        export(session)
    stored = all_text(db)
    assert [value for value in RAW_PII if value in stored] == []
    assert "[IBAN]" in stored and "[TELEFOON]" in stored


def test_the_next_export_starts_after_the_last_one(db):
    with session_factory(db)() as session:
        assert export(session).exported == 10
        assert export(session).exported == 0
    save(db, [("conv-pii", turn("hoe lang duurt een ots", "rights_ots_duration", "action_answer_topic",
                                0.7)),
              ("conv-staff", [turn("nog een vraag aan de mentor", "care_mentor",
                                   "action_answer_topic")[0]])])
    with session_factory(db)() as session:
        result = export(session)
    assert result.exported == 2
    later = items(db)
    assert later["hoe lang duurt een ots"].next_action == "action_answer_topic"
    assert later["nog een vraag aan de mentor"].next_action is None  # not answered yet


def test_a_pause_before_the_last_export_still_counts(db):
    from rasa.shared.core.events import ConversationPaused

    save(db, [("conv-late", [ConversationPaused()])])
    with session_factory(db)() as session:
        export(session)
    save(db, [("conv-late", turn("mijn adres is Kerkstraat 12", "inform", "action_listen"))])
    with session_factory(db)() as session:
        result = export(session)
    assert result.exported == 0 and result.skipped == {"to_staff": 1}


def test_export_without_a_tracker_store_table_does_nothing(db_url):
    migrate.upgrade(db_url)
    with session_factory(db_url)() as session:
        assert export(session).exported == 0


@pytest.mark.parametrize("a, b", [("wat is een opp??", "Wat is een OPP"),
                                  ("bel 06-11111111 aub", "bel 0622222222 aub")])
def test_group_keys_ignore_case_accents_punctuation_and_numbers(a, b):
    assert group_key(a) == group_key(b)


# ====================================================================== review
def test_groups_put_fallbacks_first_then_lowest_confidence_and_merge_near_duplicates(db):
    with session_factory(db)() as session:
        export(session)
        groups = review.pending_groups(session)
    assert [g.fallback for g in groups[:2]] == [True, True]
    rest = [g.confidence for g in groups[2:]]
    assert rest == sorted(rest)
    opp = [g for g in groups if g.predicted_intent == "care_opp"]
    assert len(opp) == 1 and len(opp[0].items) == 3  # "wat is n opp" joins "wat is een opp"
    assert opp[0].text == "wat is n opp"  # the lowest confidence stands for the group


def test_unrelated_questions_are_not_merged():
    assert not review.similar(group_key("wat is een opp"), group_key("wat is een tlv"))
    assert review.similar(group_key("wat doet de jeugdarts"), group_key("wat doet een jeugdarts"))


def test_decide_accept_relabel_discard(db, home):
    intents = review.trainable_intents(home)
    with session_factory(db)() as session:
        export(session)
        groups = {g.predicted_intent: g for g in review.pending_groups(session)}
        assert review.decide(session, groups["care_opp"].ids, "accept", None, intents) == 3
        assert review.decide(session, groups["care_where_to_start"].ids, "relabel", "care_mentor",
                             intents) == 1
        assert review.decide(session, groups["talk_to_human"].ids, "discard", None, intents) == 1
        assert review.decide(session, groups["care_opp"].ids, "discard", None, intents) == 0  # done
        session.commit()
        assert review.counts(session) == {"accepted": 3, "relabelled": 1, "discarded": 1, "pending": 5}
    found = items(db)
    assert found["Wat is een OPP"].intent == "care_opp" and found["Wat is een OPP"].decided_at
    assert found["ik maak me zorgen over mijn dochter"].intent == "care_mentor"


def test_a_fallback_cannot_be_accepted_and_unknown_intents_are_refused(db, home):
    intents = review.trainable_intents(home)
    assert "nlu_fallback" not in intents
    with session_factory(db)() as session:
        export(session)
        fallback = review.pending_groups(session)[0]
        with pytest.raises(review.ReviewError, match="kan geen trainingsvoorbeeld"):
            review.decide(session, fallback.ids, "accept", None, intents)
        with pytest.raises(review.ReviewError, match="Onbekend intent"):
            review.decide(session, fallback.ids, "relabel", "care_bestaat_niet", intents)
        with pytest.raises(review.ReviewError, match="Onbekend oordeel"):
            review.decide(session, fallback.ids, "maybe", None, intents)
        assert review.counts(session) == {"pending": 10}


def test_review_file_round_trip_applies_all_or_nothing(db, home, tmp_path):
    intents = review.trainable_intents(home)
    path = tmp_path / "review.yml"
    with session_factory(db)() as session:
        export(session)
        assert review.write_review_file(session, path) == 8  # 10 messages, the OPP three as one
    text = path.read_text()
    assert "verdict" in text and "[IBAN]" in text
    import yaml
    data = yaml.safe_load(text)
    data["groups"][0]["verdict"] = "care_costs"
    data["groups"][1]["verdict"] = "geen_intent"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with session_factory(db)() as session:
        with pytest.raises(review.ReviewError, match="geen_intent"):
            review.apply_review_file(session, path, intents)
        session.rollback()
        assert review.counts(session) == {"pending": 10}
    data["groups"][1]["verdict"] = "discard"
    data["groups"][2]["verdict"] = "accept"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    sizes = [len(group["ids"]) for group in data["groups"][:3]]
    with session_factory(db)() as session, session.begin():
        assert review.apply_review_file(session, path, intents) == {
            "relabel": sizes[0], "discard": sizes[1], "accept": sizes[2]}


def test_bad_review_file_gets_a_clear_message(db, tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("groups: [unclosed")
    with session_factory(db)() as session:
        with pytest.raises(review.ReviewError, match="Kan .* niet lezen"):
            review.apply_review_file(session, path, ["care_opp"])


def test_routing_examples_from_resolved_handovers(db):
    from wegwijs.db.models import utcnow
    from wegwijs.handovers import service

    with session_factory(db)() as session, session.begin():
        for handled in ("schoolmaatschappelijk_werk", "schoolmaatschappelijk_werk", "zorgcoordinator"):
            handover = service.create_handover(
                session, school_id="het-baken", role="zorgcoordinator", conversation_id="c",
                question="?", contact_method="chat", consent_text="ja", topic="care_wijkteam")
            handover.status, handover.resolved_role, handover.resolved_at = "resolved", handled, utcnow()
    with session_factory(db)() as session:
        examples = review.routing_examples(session)
    assert [(e.topic, e.routed, e.handled_by, e.count, e.agrees) for e in examples] == [
        ("care_wijkteam", "zorgcoordinator", "schoolmaatschappelijk_werk", 2, False),
        ("care_wijkteam", "zorgcoordinator", "zorgcoordinator", 1, True)]


# ====================================================================== writing
def test_writer_adds_examples_to_the_topic_file_with_rasas_format(project):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    result = writer.write_examples(project, [
        (1, "mn zoon [NAAM] heeft n opp nodig wat nu", "care_opp"),
        (2, "hoe lang duurt zo'n ots eigenlijk", "rights_ots_duration"),
        (3, "wie is de zorgco op school", "care_zorgcoordinator")])
    assert result.total == 3 and sorted(result.written_ids) == [1, 2, 3]
    files = sorted(p.relative_to(project).as_posix() for p in result.files)
    assert files == ["data/passend_onderwijs/nlu_reviewed.yml", "data/rights/nlu_reviewed.yml",
                     "data/school_care/nlu_reviewed.yml"]  # care_opp lives in passend_onderwijs
    examples = {m.get("text"): m.get("intent") for p in result.files
                for m in RasaYAMLReader().read(str(p)).training_examples}
    opp = next(t for t, i in examples.items() if i == "care_opp")
    assert "[NAAM]" not in opp and opp.startswith("mn zoon ")
    assert "hoe lang duurt zo'n ots eigenlijk" in training_nlu(project)["rights_ots_duration"]
    # the project check still passes (no held-out leak, no duplicate across intents)
    from wegwijs.checks import check_examples
    assert check_examples(project) == []


def test_writer_skips_known_heldout_and_conflicting_examples(project):
    heldout_intent, heldout_texts = next(iter(sorted(heldout_nlu(project).items())))
    trained_intent, trained_texts = next(iter(sorted(training_nlu(project).items())))
    other = "care_costs" if trained_intent != "care_costs" else "care_opp"
    result = writer.write_examples(project, [
        (1, heldout_texts[0], heldout_intent),
        (2, trained_texts[0].upper(), trained_intent),
        (3, trained_texts[1], other),
        (4, "iets", "intent_dat_niet_bestaat")])
    assert (result.total, result.heldout, result.known, len(result.conflicts)) == (0, 1, 1, 1)
    assert result.no_topic == {"intent_dat_niet_bestaat"}
    assert (result.written_ids, result.known_ids, sorted(result.unusable_ids)) == ([], [2], [1, 3, 4])
    assert not list(project.glob("data/*/nlu_reviewed.yml"))


def test_written_files_stay_sorted_and_remove_examples_undoes_them(project):
    writer.write_examples(project, [(1, "zzz laatste vraag over de opp", "care_opp")])
    writer.write_examples(project, [(2, "aaa eerste vraag over de opp", "care_opp")])
    path = next(project.glob("data/*/nlu_reviewed.yml"))
    text = path.read_text()
    assert text.index("aaa eerste") < text.index("zzz laatste")
    writer.remove_examples(project, [("zzz laatste vraag over de opp", "care_opp")])
    assert "zzz" not in path.read_text() and "aaa eerste" in path.read_text()
    writer.remove_examples(project, [("aaa eerste vraag over de opp", "care_opp")])
    assert not path.exists()


def test_surrogates_are_stable_and_cover_every_placeholder():
    from wegwijs import pii

    assert set(pii.PLACEHOLDERS.values()) == set(writer.SURROGATES)
    text = "ik ben [NAAM], bel [TELEFOON] of mail [EMAIL], woon op [ADRES] [POSTCODE]"
    assert writer.surrogate(text) == writer.surrogate(text)
    assert "[" not in writer.surrogate(text)
    assert pii.scrub(writer.surrogate("mijn bsn is [BSN] en iban [IBAN]")) == \
        "mijn bsn is [BSN] en iban [IBAN]"


def test_stories_are_scrubbed_and_stop_at_the_handover_form(db, project):
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    engine = engine_for(db)
    path = writer.write_story(project, engine, "conv-form", "gesprek-a")
    text = path.read_text()
    assert "ik wil met iemand praten" in text and "talk_to_human" in text
    assert "Fatima" not in text and "06-12345678" not in text  # the form's answers stay out
    assert "action_handover_submit" not in text and "jeugdarts" not in text  # it stops at the form
    path = writer.write_story(project, engine, "conv-pii", "gesprek-b",
                              {"Mijn zoon [NAAM] (BSN [BSN]) wordt gepest, wie helpt?": "care_wijkteam"})
    text = path.read_text()
    assert [v for v in RAW_PII if v in text] == []
    assert "care_wijkteam" in text and "111222333" not in text
    steps = YAMLStoryReader().read_from_file(path)
    assert steps and path.parent == project / "var" / "retrain" / "stories"
    assert writer.write_story(project, engine, "conv-bestaat-niet", "x") is None


# ====================================================================== gate and report
def nlu(per_intent: Dict[str, float]) -> gate.Predictions:
    """Ten sentences per intent, the first ``f1 * 10`` right, the others falling back."""
    texts, gold, predicted = [], [], []
    for intent, f1 in per_intent.items():
        right = round(f1 * 10)
        for number in range(10):
            texts.append(f"{intent} {number}")
            gold.append(intent)
            predicted.append(intent if number < right else "nlu_fallback")
    return gate.Predictions(texts, gold, predicted)


#: Like the real held-out set: 79 intents with 16 sentences each.
INTENTS = [f"intent_{number:02d}" for number in range(79)]


def heldout(error_rate: float = 0.07, seed: int = 3) -> gate.Predictions:
    """A current model that gets about ``error_rate`` of the sentences wrong, at random."""
    rng = random.Random(seed)
    gold = [intent for intent in INTENTS for _ in range(16)]
    texts = [f"{intent} zin {number}" for number, intent in enumerate(gold)]
    predicted = [rng.choice(INTENTS + ["nlu_fallback"]) if rng.random() < error_rate else intent
                 for intent in gold]
    return gate.Predictions(texts, gold, predicted)


def changed(base: gate.Predictions, wrong=(), right=()) -> gate.Predictions:
    """``base`` with the sentences ``wrong`` now mistaken for the next intent and ``right`` now right."""
    predicted = list(base.predicted)
    for number in wrong:
        predicted[number] = INTENTS[(INTENTS.index(base.gold[number]) + 1) % len(INTENTS)]
    for number in right:
        predicted[number] = base.gold[number]
    return gate.Predictions(base.texts, base.gold, predicted)


def correct(base: gate.Predictions, intent: str = None):
    return [n for n, (g, p) in enumerate(zip(base.gold, base.predicted)) if g == p and intent in (None, g)]


def mistaken(base: gate.Predictions):
    return [n for n, (g, p) in enumerate(zip(base.gold, base.predicted)) if g != p]


def test_bootstrap_macro_f1_is_the_evaluation_macro_f1():
    base = heldout(error_rate=0.3)
    assert gate.macro_f1([1.0] * len(base.gold), base.gold, base.predicted)[0] == pytest.approx(
        score(base.texts, base.gold, base.predicted).macro_f1)
    weights = [2 if n % 3 else 0 for n in range(len(base.gold))]  # a resample is a weighting
    kept = [n for n, w in enumerate(weights) for _ in range(w)]
    assert gate.macro_f1(weights, base.gold, base.predicted)[0] == pytest.approx(score(
        [base.texts[n] for n in kept], [base.gold[n] for n in kept],
        [base.predicted[n] for n in kept]).macro_f1)


def test_gate_promotes_identical_predictions():
    base = heldout()
    decision = gate.judge(base, changed(base))
    boot = decision.comparison.bootstrap
    assert decision.promote
    assert boot.difference == boot.low == boot.high == 0 and boot.not_worse == 1
    assert decision.comparison.intents == [] and "hetzelfde oordeel" in decision.reasons[1]


def test_one_sentence_never_decides():
    base = heldout()
    for intent in INTENTS[:20]:
        sentence = correct(base, intent)[0]
        decision = gate.judge(base, changed(base, wrong=[sentence]))
        assert decision.promote, decision.reasons
        assert decision.reasons[1].endswith(
            f"meeste nieuwe fouten: {intent}, 1 van de 16 zinnen alleen door de kandidaat fout, 0 alleen "
            "door het huidige model (McNemar exact, eenzijdig p = 0.5; Holm-grens 0.05, 1 intent met "
            "verschillen)")
        assert 0.2 < decision.comparison.bootstrap.not_worse < 0.6  # the resamples without it: ~e^-1


def mcnemar(worse: Dict[str, int], better: Dict[str, int] = None) -> Dict[str, gate.IntentTest]:
    """The per-intent tests when the candidate alone gets ``worse[intent]`` sentences of an intent wrong
    and the current model alone ``better[intent]`` (a set where the current model is always right)."""
    base = heldout(error_rate=0)
    candidate_wrong = [n for intent, count in worse.items() for n in correct(base, intent)[:count]]
    current_wrong = [n for intent, count in (better or {}).items()
                     for n in correct(base, intent)[worse.get(intent, 0):worse.get(intent, 0) + count]]
    current, candidate = changed(base, wrong=current_wrong), changed(base, wrong=candidate_wrong)
    tests, intents_in_set = gate.intent_tests(base.gold, current.predicted, candidate.predicted)
    assert intents_in_set == 79
    return {test.intent: test for test in tests}


@pytest.mark.parametrize("changed_intents, needed", [(1, 5), (3, 6), (6, 7), (12, 8), (25, 9), (51, 10),
                                                     (79, 11)])
def test_how_many_sentences_of_16_it_takes_to_refuse_an_intent(changed_intents, needed):
    """All against the candidate; the other changed intents have one discordant sentence each."""
    others = {intent: 1 for intent in INTENTS[1:changed_intents]}
    assert not mcnemar({INTENTS[0]: needed - 1}, others)[INTENTS[0]].significant
    test = mcnemar({INTENTS[0]: needed}, others)[INTENTS[0]]
    assert test.significant and test.p_value == 0.5 ** needed
    assert test.threshold == pytest.approx(0.05 / changed_intents)
    assert not any(t.significant for name, t in mcnemar({INTENTS[0]: needed}, others).items()
                   if name != INTENTS[0])


def test_mcnemar_counts_both_directions():
    tests = mcnemar({"intent_05": 8}, {"intent_05": 1})  # 8 against 1: p = (9 + 1) / 2^9 = 0.0195
    assert (tests["intent_05"].only_candidate_wrong, tests["intent_05"].only_current_wrong) == (8, 1)
    assert tests["intent_05"].p_value == pytest.approx(10 / 2 ** 9) and tests["intent_05"].significant
    sixth = mcnemar({"intent_05": 6}, {"intent_05": 1})["intent_05"]  # p = (7 + 1) / 2^7 = 0.0625
    assert sixth.p_value == pytest.approx(0.0625) and not sixth.significant
    assert mcnemar({}, {"intent_05": 12})["intent_05"].p_value == 1.0  # only better: never refused


def test_holm_steps_down_over_the_changed_intents():
    tests = mcnemar({"intent_01": 12, "intent_02": 6, "intent_03": 4})
    assert [(t.intent, t.significant) for t in sorted(tests.values(), key=lambda t: t.p_value)] == [
        ("intent_01", True), ("intent_02", True), ("intent_03", False)]  # 0.0625 > 0.05 at the last step
    assert [tests[name].threshold for name in ("intent_01", "intent_02", "intent_03")] == pytest.approx(
        [0.05 / 3, 0.05 / 2, 0.05 / 1])
    tests = mcnemar({"intent_01": 12, "intent_02": 5, "intent_03": 6})
    assert [tests[name].significant for name in ("intent_01", "intent_03", "intent_02")] == [True, True, True]
    # Holm stops at the first p above its level: 0.0195 > 0.05 / 3, so the second 0.0195 (<= 0.05 / 2)
    # is not significant either
    tests = mcnemar({"intent_01": 8, "intent_02": 8, "intent_03": 1}, {"intent_01": 1, "intent_02": 1})
    assert [tests[name].p_value for name in ("intent_01", "intent_02")] == pytest.approx([10 / 2 ** 9] * 2)
    assert not any(test.significant for test in tests.values())


def test_binomial_tail_is_exact_with_and_without_scipy(monkeypatch):
    import math
    import sys

    expected = sum(math.comb(15, k) for k in range(12, 16)) / 2 ** 15
    assert gate.binomial_tail(12, 15) == pytest.approx(expected, rel=1e-12)
    assert gate.binomial_tail(0, 0) == gate.binomial_tail(0, 4) == 1.0
    monkeypatch.setitem(sys.modules, "scipy.stats", None)  # as if scipy were not installed
    assert gate.binomial_tail(12, 15) == expected


def test_gate_refuses_a_candidate_that_gets_most_of_an_intent_wrong_and_names_it():
    base = heldout()
    intent = next(i for i in INTENTS if len(correct(base, i)) == 16)
    decision = gate.judge(base, changed(base, wrong=correct(base, intent)[:10]))
    assert not decision.promote
    assert "macro-F1 daalt aantoonbaar" in decision.reasons[0]
    assert f"grootste dalers: {intent} (F1 " in decision.reasons[0]
    assert decision.reasons[1] == (
        f"intent {intent} aantoonbaar slechter: 10 van de 16 zinnen alleen door de kandidaat fout, "
        "0 alleen door het huidige model (McNemar exact, eenzijdig p = 0.00098; Holm-grens 0.05, "
        "1 intent met verschillen)")


def test_gate_refuses_an_intent_that_gets_worse_even_when_macro_f1_rises():
    base = heldout()
    intent = next(i for i in INTENTS if len(correct(base, i)) == 16)
    others = [n for n in mistaken(base) if base.gold[n] != intent][:30]  # fixed elsewhere
    candidate = changed(base, wrong=correct(base, intent)[:10], right=others)
    decision = gate.judge(base, candidate)
    assert decision.comparison.bootstrap.difference > 0  # macro-F1 alone would promote
    assert not decision.promote and len(decision.reasons) == 1
    family = len(decision.comparison.intents)
    assert 10 < family < 26  # 0.5^10 = 0.00098 <= 0.05 / family
    assert decision.reasons[0].startswith(
        f"intent {intent} aantoonbaar slechter: 10 van de 16 zinnen alleen door de kandidaat fout, "
        f"0 alleen door het huidige model (McNemar exact, eenzijdig p = 0.00098; Holm-grens "
        f"{0.05 / family:.2g}, {family} intents met verschillen)")


def test_gate_refuses_a_clear_macro_f1_drop_spread_over_intents():
    base = heldout()
    wrong = [n for intent in INTENTS[:25] for n in correct(base, intent)[:2]]  # 50 sentences, 2 per intent
    decision = gate.judge(base, changed(base, wrong=wrong))
    boot = decision.comparison.bootstrap
    assert not decision.promote and len(decision.reasons) == 1  # no single intent is significant
    assert decision.reasons[0].startswith("macro-F1 daalt aantoonbaar van ")
    assert boot.high < 0 and boot.difference < 0
    assert f"[{boot.low * 100:+.2f}, {boot.high * 100:+.2f}] punten" in decision.reasons[0]


@pytest.mark.parametrize("seed", range(5))
def test_gate_promotes_a_small_random_improvement(seed):
    base = heldout()
    rng = random.Random(seed)
    candidate = changed(base, wrong=rng.sample(correct(base), 4), right=rng.sample(mistaken(base), 8))
    decision = gate.judge(base, candidate)
    assert decision.promote, decision.reasons
    assert decision.reasons[0].startswith("macro-F1 ") and "niet aantoonbaar lager" in decision.reasons[0]


def test_a_candidate_that_only_fixes_sentences_says_so():
    base = heldout()
    decision = gate.judge(base, changed(base, right=mistaken(base)[:3]))
    assert decision.promote and decision.reasons[1].startswith(
        "geen intent slechter: de kandidaat heeft geen zin fout die het huidige model goed had")


def test_bootstrap_is_deterministic():
    base = heldout()
    rng = random.Random(7)
    candidate = changed(base, wrong=rng.sample(correct(base), 14), right=rng.sample(mistaken(base), 8))
    first, second = gate.judge(base, candidate), gate.judge(base, candidate)
    assert (first.promote, first.reasons) == (second.promote, second.reasons)
    assert first.comparison.to_dict() == second.comparison.to_dict()
    other = gate.judge(base, candidate, seed=1).comparison.bootstrap
    assert (other.low, other.high) != (first.comparison.bootstrap.low, first.comparison.bootstrap.high)


def test_judge_needs_predictions_for_the_same_sentences():
    base = heldout()
    with pytest.raises(ValueError, match="same held-out sentences"):
        gate.judge(base, gate.Predictions(base.texts[1:], base.gold[1:], base.predicted[1:]))


def test_gate_refuses_more_failing_stories():
    current = nlu({"a": 0.8})
    decision = gate.judge(current, nlu({"a": 0.9}), gate.StoryResult(5, []),
                          gate.StoryResult(5, ["opp vraag"]))
    assert not decision.promote and "opp vraag" in decision.reasons[0]


def test_report_has_markdown_json_and_both_plots(tmp_path):
    current = nlu({"a": 0.7, "b": 0.9})
    candidate = nlu({"a": 0.9, "b": 0.9})
    result = writer.WriteResult(written={"a": 3})
    decision = gate.judge(current, candidate)
    path = report.write(tmp_path, 4, decision, result, current.report(), candidate.report(),
                        gate.StoryResult(2, []), gate.StoryResult(2, []))
    text = path.read_text()
    assert "ronde 4: gepromoveerd" in text and "| a | 0.82 | 0.95 |" in text
    assert "## Gepaarde vergelijking op dezelfde zinnen" in text
    assert "| a | 10 | 0 | 2 | 1 | 0.05 | nee |" in text  # two sentences only the current model missed
    for name in ("f1_per_intent.png", "confusion_matrix.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["promote"] is True and data["written"] == {"a": 3}
    assert data["comparison"]["intents"][0]["only_current_wrong"] == 2
    assert data["comparison"]["bootstrap"]["worse"] is False


def test_confusion_is_rebuilt_from_support_and_errors():
    result = score(["x", "y", "z", "w"], ["a", "a", "b", "b"], ["a", "b", "b", "b"])
    labels, counts = report.confusion(result)
    assert labels == ["a", "b"] and counts == [[1, 1], [0, 2]]


def test_promote_keeps_history_and_rollback_restores(tmp_path, monkeypatch):
    home = tmp_path
    (home / "models").mkdir()
    (home / "models" / "wegwijs.tar.gz").write_bytes(b"model-0")
    (home / "models" / "wegwijs.fingerprint").write_text("fp0\n")
    for number in range(1, 8):
        candidate = home / f"c{number}.tar.gz"
        candidate.write_bytes(f"model-{number}".encode())
        modelstore.promote(home, candidate, f"fp{number}", {"round": number})
    assert (home / "models" / "wegwijs.tar.gz").read_bytes() == b"model-7"
    saved = modelstore.history(home)
    assert len(saved) == modelstore.KEEP
    assert [s.info.get("round") for s in saved] == [6, 5, 4, 3, 2]
    restored = modelstore.rollback(home)
    assert (home / "models" / "wegwijs.tar.gz").read_bytes() == b"model-6"
    assert (home / "models" / "wegwijs.fingerprint").read_text().strip() == "fp6"
    assert restored.info["round"] == 6
    assert modelstore.history(home)[0].info["round"] == 7  # the rolled-back model is kept too
    with pytest.raises(FileNotFoundError):
        modelstore.rollback(home, "bestaat-niet")


# ====================================================================== command line
def test_cli_export_review_apply_and_status(db, home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WEGWIJS_HOME", str(home))
    assert cli.main(["retrain", "export"]) == 0
    out = capsys.readouterr().out
    assert "exported 10 message(s)" in out and "button payloads" in out and "BSN 1" in out
    path = tmp_path / "r.yml"
    assert cli.main(["retrain", "review", "--out", str(path)]) == 0
    text = path.read_text().replace("verdict: ''", "verdict: discard", 1)
    path.write_text(text)
    assert cli.main(["retrain", "review", "--apply", str(path)]) == 0
    assert "discarded 1" in capsys.readouterr().out
    path.write_text(text.replace("verdict: discard", "verdict: onzin", 1))
    assert cli.main(["retrain", "review", "--apply", str(path)]) == 2
    assert "onzin" in capsys.readouterr().err
    assert cli.main(["retrain", "status"]) == 0
    assert "discarded 1, pending 9" in capsys.readouterr().out


def test_round_without_approved_examples_says_so(db, project, monkeypatch, capsys):
    (project / "models").mkdir()
    (project / "models" / "wegwijs.tar.gz").write_bytes(b"x")
    monkeypatch.setenv("WEGWIJS_HOME", str(project))
    assert cli.main(["retrain", "round"]) == 2
    assert "no approved examples" in capsys.readouterr().err


def test_round_refuses_a_model_trained_on_other_data(db, project, monkeypatch, capsys):
    from wegwijs.training import fingerprint

    (project / "models").mkdir()
    (project / "models" / "wegwijs.tar.gz").write_bytes(b"x")
    (project / "models" / "wegwijs.fingerprint").write_text("stale\n")
    monkeypatch.setenv("WEGWIJS_HOME", str(project))
    with session_factory(db)() as session:
        export(session)
        groups = {g.predicted_intent: g for g in review.pending_groups(session)}
        review.decide(session, groups["care_opp"].ids, "accept", None, review.trainable_intents(project))
        session.commit()
    assert cli.main(["retrain", "round"]) == 2
    assert "not trained on the current data" in capsys.readouterr().err
    (project / "models" / "wegwijs.fingerprint").write_text(fingerprint(project) + "\n")
    with session_factory(db)() as session:
        with pytest.raises(gate.RoundError, match="another retraining round"):
            import fcntl
            lock = project / "var" / "retrain" / "round.lock"
            lock.parent.mkdir(parents=True, exist_ok=True)
            with lock.open("w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                gate.run_round(project, session)


def test_fold_is_shared_with_the_checks():
    from wegwijs import checks
    from wegwijs.retrain import writer
    from wegwijs.text import text_key

    assert writer.text_key is checks.text_key
    assert text_key("Wát is een OPP?") == "wat is een opp"


def test_erasing_or_expiring_a_conversation_removes_its_review_items(db):
    from wegwijs.retention import purge_conversations
    from wegwijs.web.app import erase_conversation

    with session_factory(db)() as session:
        export(session)
        ids = {i.text: i.id for i in session.execute(sa.select(ReviewItem)).scalars()}
        session.execute(sa.update(ReviewItem).where(ReviewItem.id == ids["wat doet de jeugdarts"])
                        .values(status="written", intent="care_youth_health"))
        session.commit()
    erase_conversation(engine_for(db), "conv-pii")  # the parent's "Gesprek verwijderen"
    left = items(db)
    assert "Mijn zoon [NAAM] (BSN [BSN]) wordt gepest, wie helpt?" not in left
    assert "bel me op [TELEFOON] of mail [EMAIL]" not in left
    assert "wat is een opp??" in left  # other conversations stay
    purge_conversations(db, days=1, now=2_000_000_000.0)  # all conversations expire
    left = items(db)
    assert list(left) == ["wat doet de jeugdarts"]  # in the training data: kept, without the link
    assert left["wat doet de jeugdarts"].conversation_id is None


def test_a_round_that_breaks_half_way_puts_the_data_back(db, project, monkeypatch):
    import wegwijs.validate
    from wegwijs.db.models import RetrainRound
    from wegwijs.training import fingerprint

    (project / "models").mkdir()
    (project / "models" / "wegwijs.tar.gz").write_bytes(b"x")
    (project / "models" / "wegwijs.fingerprint").write_text(fingerprint(project) + "\n")
    with session_factory(db)() as session:
        export(session)
        groups = review.pending_groups(session)
        review.decide(session, groups[0].ids, "relabel", "care_costs", review.trainable_intents(project))
        session.commit()

    def broken(home):
        assert list(home.glob("data/*/nlu_reviewed.yml"))  # written before validation
        raise KeyboardInterrupt  # the maintainer pressed Ctrl-C

    monkeypatch.setattr(wegwijs.validate, "validate", broken)
    with session_factory(db)() as session:
        with pytest.raises(KeyboardInterrupt):
            gate.run_round(project, session, say=lambda _: None)
    assert not list(project.glob("data/*/nlu_reviewed.yml"))
    with session_factory(db)() as session:
        row = session.get(RetrainRound, 1)
        assert row.decision == "failed" and "KeyboardInterrupt" in row.reason
        assert review.counts(session)["relabelled"] == 1  # still approved, for the next round
