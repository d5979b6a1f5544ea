"""Fit the extractive reader's weights and refusal threshold on the dev questions only.

    .venv/bin/python -m eval.fit_reader            # writes rag/answering/reader_weights.json

For each dev question of each corpus (the sample articles with eval/data/articles_qa.jsonl,
and ../shared/corpus-bbc with eval/data/bbc_qa.jsonl where it exists), the service reads the
question and retrieves as it does for a user; the reader describes every candidate sentence
by its features (rag/answering/features.py). A sentence is a positive example when it holds
one of the question's key facts. A logistic regression (L2, fitted by Newton's method) gives
the weights; the refusal threshold is the one that refuses most unanswerable dev questions
while wrongly refusing at most WRONG_REFUSALS of the answerable ones. Held-out questions are
never read: a set with any is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.dataset import DEFAULT_SET, EvalItem, load_sets
from eval.metrics.text import normalise
from rag.answering.extractive import ExtractiveAnswerer, Switches
from rag.answering.features import (
    EVIDENCE,
    FEATURES,
    WEIGHTS_FILE,
    Weights,
    answer_inputs,
    eligible,
)
from rag.service import RagService
from rag.settings import PROJECT_DIR, load_settings

BBC_DIR = PROJECT_DIR.parent / "shared" / "corpus-bbc"
BBC_SETS = [PROJECT_DIR / "eval" / "data" / name for name in ("bbc_qa.jsonl",
                                                               "bbc_qa_dev2.jsonl")]
WRONG_REFUSALS = 0.07  # of answerable dev questions, at most...
WRONG_REFUSALS_ADDED = 0.02  # ...or, where the gates alone refuse more, this many more
L2 = 1.0  # the ranker's L2 strength
L2_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the answer model's, chosen by cross-validation


@dataclass
class Example:
    """One dev question as the reader sees it: per part, the eligible candidates' features
    (features.eligible: the others can never answer) and whether each holds a key fact."""

    item: EvalItem
    rows: list[np.ndarray]
    labels: list[np.ndarray]


def corpora() -> list[tuple[str, list[Path], list[Path]]]:
    found = [("sample", [PROJECT_DIR / "data" / "articles"], [DEFAULT_SET])]
    if BBC_DIR.is_dir():
        found.append(("bbc", sorted(BBC_DIR.glob("*.txt")),
                      [p for p in BBC_SETS if p.exists()]))
    else:
        print(f"skipping the BBC corpus: {BBC_DIR} is absent", file=sys.stderr)
    return found


def collect(name: str, paths: list[Path], eval_sets: list[Path],
            data_root: Path) -> list[Example]:
    items = load_sets(eval_sets)
    if any(i.split != "dev" for i in items):
        raise SystemExit(f"{name}: a set holds held-out questions: fitting reads dev only")
    service = RagService(load_settings(_env_file=None, data_dir=data_root / name),
                         reader=Switches(fitted_weights=False))
    service.ingest_paths(paths, progress=False)
    reader = service.answerer("extractive")
    assert isinstance(reader, ExtractiveAnswerer)
    out = []
    for n, item in enumerate(items, 1):
        asked = service.read(item.question, item.history)
        reading = reader.read(asked, service.retrieve_for(asked))
        if reading is None:
            continue
        texts = [normalise(c.text) for c in reading.candidates]
        facts = [[normalise(v) for v in fact] for fact in item.key_facts]
        # A question in as many parts as it has facts asks them in order (the set's
        # convention): each part is labelled by its own fact, else by any of them.
        per_part = ([[f] for f in facts] if len(facts) == len(asked.parts) > 1
                    else [facts] * len(asked.parts))
        labels = [np.array([any(v in t for fact in wanted for v in fact) for t in texts],
                           dtype=float) for wanted in per_part]
        masks = [eligible(part, rows) for part, rows in zip(asked.parts, reading.rows,
                                                           strict=True)]
        out.append(Example(item, [rows[m] for rows, m in zip(reading.rows, masks, strict=True)],
                           [lab[m] for lab, m in zip(labels, masks, strict=True)]))
        print(f"\r{name}: {n}/{len(items)} questions read", end="", file=sys.stderr)
    print(file=sys.stderr)
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * l2
    penalty[-1, -1] = 0  # the bias is not shrunk
    for _ in range(100):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + penalty @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def fit_ranker(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = L2) -> np.ndarray:
    """A conditional logit: weights w making each group's positives likely under the
    softmax of rows @ w over the group (log of their summed probability), L2-penalised.
    Fitted by gradient ascent with a backtracking step."""
    w = np.zeros(groups[0][0].shape[1])

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = -0.5 * l2 * w @ w, -l2 * w
        for x, y in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * y
            total += float(np.log(q.sum()))
            grad += (q / q.sum()) @ x - p @ x
        return total, grad

    value, grad = objective(w)
    step = 1.0
    for _ in range(500):
        new = w + step * grad
        new_value, new_grad = objective(new)
        if new_value > value:
            w, value, grad = new, new_value, new_grad
            step *= 1.5
        else:
            step /= 4
        if np.abs(grad).max() < 1e-5 or step < 1e-10:
            break
    return w


def holds_rows(examples: list[Example], rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every eligible candidate's inputs to the `holds` model, and whether it holds a key
    fact (never, for an unanswerable question)."""
    inputs, labels = [], []
    for ex in examples:
        for rows, lab in zip(ex.rows, ex.labels, strict=True):
            if len(rows):
                inputs.append(answer_inputs(rows, rows @ rank))
                labels.append(lab if ex.item.answerable else np.zeros(len(lab)))
    return np.vstack(inputs), np.concatenate(labels)


def choose_ranker_l2(groups: list[tuple[np.ndarray, np.ndarray]],
                     folds: int = 5) -> tuple[float, float]:
    """The ranker's L2 strength with the most held-back groups whose best candidate holds
    the answer; and that share (an honest estimate of the ranker's top-1 on new questions)."""
    order = np.random.default_rng(0).permutation(len(groups))
    best, chosen = -1.0, L2
    for l2 in L2_GRID:
        hits = 0
        for k in range(folds):
            test = set(order[k::folds].tolist())
            w = fit_ranker([g for i, g in enumerate(groups) if i not in test], l2)
            hits += sum(int(groups[i][1][int(np.argmax(groups[i][0] @ w))] > 0) for i in test)
        if hits / len(groups) > best:
            best, chosen = hits / len(groups), l2
    return chosen, best


def answer_rows(examples: list[Example], rank: np.ndarray
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per question part, its EVIDENCE best-ranked candidates' inputs to the answerable
    model, and whether the question is answerable: the model learns to tell the questions
    the articles answer from those they do not (near misses among them), which is what a
    refusal decides."""
    inputs, labels = [], []
    for ex in examples:
        for rows in ex.rows:
            if not len(rows):
                continue  # nothing eligible: refused whatever the weights
            ranked = rows @ rank
            best = np.argsort(-ranked)[:EVIDENCE]
            inputs.append(answer_inputs(rows, ranked)[best])
            labels.append(np.full(len(best), 1.0 if ex.item.answerable else 0.0))
    return inputs, labels


def choose_l2(x: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    """The L2 strength with the best log-likelihood on held-back folds of the dev rows."""
    order = np.random.default_rng(0).permutation(len(y))
    best, chosen = -np.inf, L2
    for l2 in L2_GRID:
        loglik = 0.0
        for k in range(folds):
            test = order[k::folds]
            train = np.setdiff1d(order, test)
            w, b = fit_logistic(x[train], y[train], l2)
            p = np.clip(1 / (1 + np.exp(-(x[test] @ w + b))), 1e-9, 1 - 1e-9)
            loglik += float(np.sum(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p)))
        if loglik > best:
            best, chosen = loglik, l2
    return chosen


def choose_threshold(examples: list[Example], weights: Weights) -> tuple[float, dict]:
    """The threshold refusing most unanswerable questions with at most WRONG_REFUSALS of the
    answerable ones refused; and the dev figures it gives."""
    best, right = [], []
    for ex in examples:
        confidences, hits = [], []
        for rows, lab in zip(ex.rows, ex.labels, strict=True):
            if not len(rows):
                confidences.append(0.0)
                hits.append(False)
                continue
            ranked = weights.rank_scores(rows)
            confidences.append(weights.answerability(rows, ranked))
            hits.append(lab[int(np.argmax(ranked))] > 0)
        best.append(max(confidences))
        right.append(all(hits))
    confidence = np.array(best)
    answerable = np.array([ex.item.answerable for ex in examples])
    # The gates refuse some answerable questions whatever the threshold: the threshold may
    # add at most WRONG_REFUSALS_ADDED to those, and overall stay under WRONG_REFUSALS
    # where it can.
    gated = float((confidence[answerable] == 0).mean())
    budget = max(WRONG_REFUSALS, gated + WRONG_REFUSALS_ADDED)
    chosen, figures = 0.0, {}
    for t in sorted(set(confidence.round(4)) - {0.0}):
        refused = confidence < t
        wrong = float(refused[answerable].mean())
        if wrong > budget:
            break
        chosen = float(t)
        figures = {"wrong_refusals": round(wrong, 3), "gated": round(gated, 3),
                   "refusal_recall": round(float(refused[~answerable].mean()), 3),
                   "top_sentence_holds_fact": round(float(np.mean(
                       [r for r, a in zip(right, answerable, strict=True) if a])), 3)}
    return chosen, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=PROJECT_DIR / "eval" / "out" / "fit",
                        help="where each corpus's index is kept between runs")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args(argv)
    examples: list[Example] = []
    sets = []
    for name, paths, eval_sets in corpora():
        examples += collect(name, paths, eval_sets, args.data_root)
        sets += [str(p.relative_to(PROJECT_DIR)) for p in eval_sets]
    groups = [(rows, lab) for ex in examples if ex.item.answerable
              for rows, lab in zip(ex.rows, ex.labels, strict=True) if lab.any()]
    rank_l2, rank_cv = choose_ranker_l2(groups)
    rank = fit_ranker(groups, rank_l2)
    hx, hy = holds_rows(examples, rank)
    holds_l2 = choose_l2(hx, hy)
    holds, holds_bias = fit_logistic(hx, hy, holds_l2)
    inputs, labels = answer_rows(examples, rank)
    x, y = np.vstack(inputs), np.concatenate(labels)
    l2 = choose_l2(x, y)
    answer, bias = fit_logistic(x, y, l2)
    threshold, figures = choose_threshold(
        examples, Weights(rank, holds, holds_bias, answer, bias, threshold=0.0))
    args.out.write_text(json.dumps({
        "fitted_by": "eval/fit_reader.py", "fitted_on": sets, "questions": len(examples),
        "ranked_parts": len(groups), "features": list(FEATURES),
        "rank": [round(float(v), 4) for v in rank], "rank_l2": rank_l2,
        "rank_top1_cross_validated": round(rank_cv, 3),
        "holds": [round(float(v), 4) for v in holds], "holds_bias": round(holds_bias, 4),
        "holds_l2": holds_l2,
        "answerable": [round(float(v), 4) for v in answer], "answerable_bias": round(bias, 4),
        "answerable_l2": l2,
        "threshold": round(threshold, 4), "dev": figures,
    }, indent=2) + "\n")
    print(f"  {'feature':18} {'rank':>7} {'holds':>7} {'answerable':>10}")
    for name, r, h, a in zip([*FEATURES, "margin"], [*rank, 0.0], holds, answer, strict=True):
        print(f"  {name:18} {r:+7.3f} {h:+7.3f} {a:+10.3f}")
    print(f"  {'bias':18} {'':7} {holds_bias:+7.3f} {bias:+10.3f}")
    print(f"ranker: L2 {rank_l2}, top-1 {rank_cv:.3f} cross-validated over {len(groups)} parts")
    print(f"threshold {threshold:.4f}; dev {figures}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
