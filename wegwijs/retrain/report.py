"""The report of a retraining round: ``report.md`` and ``report.json`` with two PNG plots.

``confusion_matrix.png`` shows the candidate's mistakes on the held-out set (only intents that take
part in a mistake, or the plot would be a 100 × 100 grid of empty cells); ``f1_per_intent.png`` shows
each intent's F1 for the current model and the candidate, biggest changes first. ``report.md`` also shows
the gate's paired comparison: the bootstrap interval of the macro-F1 difference and, per intent with
sentences that only one model gets wrong, the McNemar counts, p-value and Holm level.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from wegwijs.evaluation import NluReport

if TYPE_CHECKING:  # pragma: no cover
    from wegwijs.retrain.gate import Decision, StoryResult
    from wegwijs.retrain.writer import WriteResult


def confusion(report: NluReport) -> Tuple[List[str], List[List[int]]]:
    """Labels (intents in a mistake) and counts[gold][predicted], rebuilt from supports and errors."""
    labels = sorted({g for _, g, _ in report.errors} | {p for _, _, p in report.errors})
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    wrong: Dict[str, int] = {}
    for _, gold, predicted in report.errors:
        counts[index[gold]][index[predicted]] += 1
        wrong[gold] = wrong.get(gold, 0) + 1
    for label in labels:
        support = int(report.per_intent.get(label, {}).get("support", 0))
        counts[index[label]][index[label]] = max(support - wrong.get(label, 0), 0)
    return labels, counts


def plot_confusion(report: NluReport, path: Path) -> Optional[Path]:
    """The candidate's confusion matrix over intents with mistakes; None when there are none."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, counts = confusion(report)
    if not labels:
        return None
    size = max(4.0, 0.28 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("voorspeld")
    ax.set_ylabel("juist")
    ax.set_title("Kandidaat: verwarringsmatrix (alleen intents met fouten)")
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=6,
                        color="white" if value > max(map(max, counts)) / 2 else "black")
    fig.colorbar(image, ax=ax, shrink=0.6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def f1_changes(current: NluReport, candidate: NluReport) -> List[Tuple[str, float, float]]:
    """(intent, F1 now, F1 candidate), the biggest change first."""
    intents = sorted(set(current.per_intent) | set(candidate.per_intent))
    rows = [(name, current.per_intent.get(name, {}).get("f1", 0.0),
             candidate.per_intent.get(name, {}).get("f1", 0.0)) for name in intents]
    return sorted(rows, key=lambda row: (-abs(row[2] - row[1]), row[0]))


def plot_f1(current: NluReport, candidate: NluReport, path: Path) -> Path:
    """Per-intent F1, current against candidate, as horizontal bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(f1_changes(current, candidate)))
    height = max(3.0, 0.22 * len(rows) + 1.5)
    fig, ax = plt.subplots(figsize=(8, height))
    positions = range(len(rows))
    ax.barh([p + 0.2 for p in positions], [r[1] for r in rows], height=0.4, label="huidig model")
    ax.barh([p - 0.2 for p in positions], [r[2] for r in rows], height=0.4, label="kandidaat")
    ax.set_yticks(list(positions), [r[0] for r in rows], fontsize=7)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("F1 op de held-out testset")
    ax.set_title("F1 per intent (grootste verandering bovenaan)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def comparison_lines(decision: "Decision") -> List[str]:
    """The gate's paired comparison (bootstrap of the macro-F1 difference, McNemar per intent) as
    Markdown; nothing when the decision has none."""
    comparison = getattr(decision, "comparison", None)
    if comparison is None:
        return []
    boot = comparison.bootstrap
    lines = ["", "## Gepaarde vergelijking op dezelfde zinnen", "",
             f"- macro-F1-verschil (kandidaat − huidig): {boot.difference * 100:+.2f} punten; "
             f"{1 - 2 * boot.alpha:.0%}-interval uit {boot.resamples} bootstrap-trekkingen van de "
             f"{boot.sentences} zinnen (seed {boot.seed}): [{boot.low * 100:+.2f}, {boot.high * 100:+.2f}]; "
             f"kandidaat even goed of beter in {boot.not_worse:.1%} van de trekkingen. Geweigerd als de "
             f"bovengrens en het verschil onder 0 liggen: {'ja' if boot.worse else 'nee'}.",
             f"- per intent: exacte McNemar-toets (eenzijdig) op de zinnen die maar één van beide modellen "
             f"fout heeft, Holm-correctie over de intents met zulke zinnen, α = {comparison.alpha:g}. "
             f"Intents met verschillen: {len(comparison.intents)} van {comparison.intents_in_set}.", ""]
    if not comparison.intents:
        return lines + ["Beide modellen geven op elke zin hetzelfde oordeel (goed of fout)."]
    lines += ["| intent | zinnen | alleen kandidaat fout | alleen huidig fout | p (eenzijdig) | Holm-grens "
              "| aantoonbaar slechter |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {test.intent} | {test.sentences} | {test.only_candidate_wrong} | "
              f"{test.only_current_wrong} | {test.p_value:.3g} | {test.threshold:.2g} | "
              f"{'ja' if test.significant else 'nee'} |" for test in comparison.intents[:40]]
    return lines


def write(out: Path, round_id: int, decision: "Decision", written: "WriteResult",
          current: Optional[NluReport], candidate: Optional[NluReport],
          current_stories: Optional["StoryResult"], candidate_stories: Optional["StoryResult"]) -> Path:
    """Write report.md, report.json and the plots into ``out``; returns the Markdown file."""
    out.mkdir(parents=True, exist_ok=True)
    verdict = "gepromoveerd" if decision.promote else "niet gepromoveerd"
    lines = [f"# Hertraining, ronde {round_id}: {verdict}", "",
             f"Gemaakt: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "", "## Besluit", ""]
    lines += [f"- {reason}" for reason in decision.reasons]
    lines += ["", "## Nieuwe voorbeelden", "",
              f"- nieuw in de trainingsdata: {written.total}",
              f"- al bekend: {written.known}",
              f"- overgeslagen omdat ze in de held-out testset staan: {written.heldout}",
              f"- in conflict met een ander intent: {len(written.conflicts)}"]
    for intent, number in sorted(written.written.items()):
        lines.append(f"  - {intent}: {number}")
    for text, wanted, existing in written.conflicts[:20]:
        lines.append(f"  - conflict: “{text}” staat al onder {existing} (gevraagd: {wanted})")
    data: dict = {"round": round_id, "promote": decision.promote, "reasons": decision.reasons,
                  "written": written.written, "known": written.known, "heldout": written.heldout,
                  "conflicts": len(written.conflicts)}
    if current is not None and candidate is not None:
        lines += ["", "## Held-out NLU-testset", "",
                  "| | huidig model | kandidaat |", "|---|---|---|",
                  f"| macro-F1 | {current.macro_f1:.3f} | {candidate.macro_f1:.3f} |",
                  f"| accuracy | {current.accuracy:.3f} | {candidate.accuracy:.3f} |"]
        if current_stories and candidate_stories:
            lines.append(f"| teststory's gefaald | {len(current_stories.failed)}/{current_stories.total}"
                         f" | {len(candidate_stories.failed)}/{candidate_stories.total} |")
        lines += comparison_lines(decision)
        changed = [row for row in f1_changes(current, candidate) if abs(row[2] - row[1]) > 1e-9]
        lines += ["", "## Intents die veranderen (F1)", "", "| intent | huidig | kandidaat | verschil |",
                  "|---|---|---|---|"]
        lines += [f"| {name} | {before:.2f} | {after:.2f} | {(after - before) * 100:+.1f} |"
                  for name, before, after in changed[:40]] or ["| (geen) | | | |"]
        plot_f1(current, candidate, out / "f1_per_intent.png")
        lines += ["", "![F1 per intent](f1_per_intent.png)"]
        if plot_confusion(candidate, out / "confusion_matrix.png"):
            lines += ["", "![Verwarringsmatrix van de kandidaat](confusion_matrix.png)"]
        data.update({"current": current.to_dict(), "candidate": candidate.to_dict()})
        if getattr(decision, "comparison", None) is not None:
            data["comparison"] = decision.comparison.to_dict()
        if current_stories and candidate_stories:
            data["stories"] = {"total": current_stories.total, "current_failed": current_stories.failed,
                               "candidate_failed": candidate_stories.failed}
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
