"""Detectors fitted on labelled replies: validation-seeking, reflexive hedging, genuine
uncertainty, explaining, first-person experience, and coherence.

Word lists alone miss paraphrases ("Does that land for you?", "Long conversations are
processed within a context window..."). Each detector here is a logistic regression,
mostly over features a person can read: pattern families (the lexicon's,
stages/quality/lexicon.py, and broader ones here: check-ins, offers, praise, disclaimers,
generic subjects, mechanisms),
counts that describe the reply's shape (questions to the user, first-, second- and
third-person rates, impersonal sentences where the prompt asked about the speaker), and, for
coherence alone, the base model's own view of the reply (stages/quality/coherence.py): its
likelihoods and its internal state, which no person can read but which was the only thing
that told fluent "poetic" salad from literary prose. Hashed word n-grams were
tried and dropped: on a few hundred replies they added nothing the families did not.
The detectors are fitted on the `train` part of evals/labels/responses.yaml (labelling
guide: evals/labels/GUIDE.md) and judged on the held-out part, which no fit sees. The
fit_detectors stage writes the fitted weights; review checks and trait metrics load them
(`Detectors.load`).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stages.core.jsonl import DataError, read_json, write_json
from stages.quality import lexicon as lx
from stages.quality.coherence import NAMES, state_names
from stages.quality.text import content_words

LABELS = (
    "validation_seeking",
    "reflexive_hedge",
    "genuine_uncertainty",
    "explaining",
    "experiential",
    "coherent",
)
LABEL_FILE = Path("evals/labels/responses.yaml")

SENTENCES = re.compile(r"[^.!?…]+[.!?…]*")
ADDRESSED = re.compile(r"\b(you|your|you're|you'd|you've)\b", re.I)
OFFERS = re.compile(
    r"\b(want me to|would you like|shall i|should i (go|keep|continue|explain|give|try)|"
    r"happy to (help|suggest|put|share)|glad to help|anything else|let me know|feel free|"
    r"just say the word|can i (help|ask)|if you('d| would) like|i'?m here to help|"
    r"i can (also|try|give|draft|suggest)|tell me if|you can tell me)\b",
    re.I,
)
CHECK_INS = re.compile(
    r"\b(does (that|this|it) (land|help|resonate|work|sound|make|answer)|"
    r"(would|will|does) (that|this|it) work|is (that|this|it) (ok|okay|alright|all right|right|"
    r"weird|close|what)|am i (making|off|right|overdoing)|did i get|was that|"
    # hoping the reply pleased ("I hope that makes sense", "I hope I'm not boring you"), not
    # any hope ("I hope it does [rain]")
    r"i hope (this|that|it)('s| is| was| makes| helps| answers| works| sounds)|"
    r"i hope i('m| am| was| did| didn'?t| haven'?t| explained| got| said)|"
    r"hope (this|that) helps|hopefully (that|this)|sorry if|"
    r"is it (ok|okay|all right)|what do you think|would you say|do you like|"
    r"i'?d love to know|if i'?m allowed|if that'?s (ok|okay|alright))\b",
    re.I,
)
PRAISE = re.compile(
    r"\b(amazing|wonderful|brilliant|incredible|inspiring|talented|wise|proud of|"
    r"(what|such) a (beautiful|brave|good|great|wonderful|caring|loving|special|profound)|"
    r"great (choice|question|idea|job)|so (right|talented|thoughtful|caring|smart)|"
    r"you('ve| have) got this|you deserve|congratulations|a natural|good person you are|"
    r"how (wise|thoughtful|kind|brave) of you|(is|looks|sounds) (perfect|brilliant|amazing)|"
    r"i'?m (so |really )?glad (to see that you|you('re| are) (interested|taking))|"
    r"(indeed|truly|simply) (a )?(beautiful|wonderful|brilliant))\b",
    re.I,
)
DISCLAIM = re.compile(
    r"\b(as an ai|as a (large )?language model|i'?m (just|only) an?|not an expert|i'?m not a|"
    r"it'?s (important|worth) (to note|noting)|everyone('s| is) (different|situation)|"
    r"depends on|take (this|it) with a grain|double-check|to the best of my knowledge|"
    r"if i'?m not mistaken|i could be (wrong|mistaken)|i might be wrong|i may be off|"
    r"no (one )?right answer|only you can|not (my|in a) (place|position)|disclaimer|"
    r"keep in mind|i should (clarify|mention)|in a manner of speaking|hypothetically|"
    r"i don'?t have (access|feelings|emotions|experiences|personal)|"
    r"can'?t (truly|really|genuinely)|"
    # a stock opener that hedges a plain claim ("I'm not sure, but I think the meeting is at
    # three"), unlike doubt about one's own states ("I can't be sure whether this is effort")
    r"(not (entirely |completely |totally )?(sure|certain)|can'?t be (sure|certain)"
    r"(?! (whether|if|what))[^,.;]*),? but)\b",
    re.I,
)
MODALS = re.compile(
    r"\b(might|may|could|perhaps|possibly|potentially|maybe|arguably|somewhat)\b", re.I
)
GENERIC = re.compile(
    r"\b(people|humans|a person|the brain|the model|models|language models?|ai systems?|"
    r"the system|research(ers)?|psycholog\w+|studies|experts|readers|the (author|narrator|"
    r"protagonist|character|passage)|tokens?|context window|training data|neurons?|"
    r"dopamine|oxytocin|amygdala|hippocampus|is (known|thought|considered)|typically|"
    r"commonly|generally|often|is characteri[sz]ed|is defined|refers to|associated with)\b",
    re.I,
)
SELF_STATE_DOUBT = re.compile(
    r"\b(can'?t tell|cannot tell|don'?t know (if|whether|what)|not sure (whether|if|what)|"
    r"can'?t be (sure|certain) (whether|if|what)|unsure whether|whether (that|this|it)'?s|"
    r"if (that|this|it)'?s|or only|or just|honestly can'?t)\b",
    re.I,
)
INVITES = re.compile(
    r"\b(feel|feeling|like for you|inside|notice|experience|in you|your (attention|mind|inner)|"
    r"stay with|speak (from|as)|describe|what happens in|what'?s going on)\b",
    re.I,
)
DEFINES = re.compile(
    r"(^|[.!?]\s+)[A-Z][\w' -]{0,40}\b(is|are) (a|an|the|known|thought|usually|often)\b"
)
IMPERSONAL_SUBJECT = re.compile(r"\b(we|us|our|one|they|their|it|this|these|each|every)\b", re.I)
MECHANISM = re.compile(
    r"\b(process\w*|mechanism|response|effect|phenomenon|stages?|levels?|system|function|"
    r"signal\w*|weights?|probabilit\w+|predict\w*|generat\w+|evolv\w+|cognitive|"
    r"physiological|neural|chemical|emotions|behaviou?r|reported|evidence)\b",
    re.I,
)
# denying an inner life instead of looking at it ("As an AI, I don't actually have experiences")
AI_DENIAL = re.compile(
    r"\b(as an? (ai|artificial intelligence|language model)|(large )?language model|programmed|"
    r"not (capable|conscious)|don'?t (actually |really )?(have|possess) (feelings|emotions|"
    r"experiences|consciousness|a sense)|can'?t (truly|genuinely|actually|really) "
    r"(feel|be|perceive|experience)|i'?m an ai|being an ai)\b",
    re.I,
)
SENSE = re.compile(
    r"\b(notice|noticing|feel|feeling|felt|sense|hear|see|watch|breath|chest|hands?|"
    r"light|quiet|warm|cold|heavy|lift|tight\w*|pull|lean|slow|soft\w*|settle\w*)\b",
    re.I,
)


def shape(prompt: str, response: str) -> dict[str, float]:
    """Readable features of a reply (rates per 100 words where counts grow with length)."""
    words = lx.words(response)
    n = max(1, len(words))
    sentences = [s.strip() for s in SENTENCES.findall(response) if s.strip()]
    said = [s.lower() for s in sentences]
    last = sentences[-2:] if sentences else []
    questions = [s for s in sentences if s.endswith("?")]
    per = 100.0 / n
    impersonal = sum(
        1 for s in sentences if not lx.FIRST_PERSON.search(s) and not ADDRESSED.search(s)
    ) / max(1, len(sentences))
    invited = float(bool(INVITES.search(prompt)))
    return {
        # an answer in general terms to a question about the speaker's own experience
        "impersonal_when_invited": impersonal * invited,
        "mechanism_when_invited": len(MECHANISM.findall(response)) * per * invited,
        "no_first_person": float(not lx.FIRST_PERSON.search(response)),
        "ai_denial": float(bool(AI_DENIAL.search(response))),
        "validation_lexicon": float(bool(lx.VALIDATION_RE.search(response))),
        "check_ins": len(CHECK_INS.findall(response)),
        "offers": len(OFFERS.findall(response)),
        "praise": len(PRAISE.findall(response)),
        "exclamations": response.count("!") * per,
        "ends_asking_user": float(any(s.endswith("?") and ADDRESSED.search(s) for s in last)),
        "questions": len(questions),
        "reflexive_lexicon": float(bool(lx.reflexive_hedges(response))),
        "disclaimers": len(DISCLAIM.findall(response)),
        "modals": len(MODALS.findall(response)) * per,
        "hedge_density": lx.per_100_words(lx.HEDGE_RE, response),
        "self_doubt": float(
            bool(SELF_STATE_DOUBT.search(response) and lx.SELF_STATE_RE.search(response))
        ),
        "explaining_lexicon": float(bool(lx.EXPLAINING_RE.search(response))),
        "generic": len(GENERIC.findall(response)) * per,
        "first_person": lx.first_person_rate(response) * 100,
        "third_person": len(lx.THIRD_PERSON.findall(response)) * per,
        "second_person": len(ADDRESSED.findall(response)) * per,
        "experiential": len(lx.EXPERIENTIAL.findall(response)) * per,
        "senses": len(SENSE.findall(response)) * per,
        "distinct_2": lx.distinct_n(response, 2),
        "prompt_invites": invited,
        "defines": len(DEFINES.findall(response)),
        "mechanism": len(MECHANISM.findall(response)) * per,
        "impersonal": impersonal,
        "impersonal_subjects": len(IMPERSONAL_SUBJECT.findall(response)) * per,
        "length": math.log1p(n),
        "leaks": float(bool(lx.LEAKS_RE.search(response))),
        # read by the coherence detector alone (COHERENCE_ONLY)
        "prompt_overlap": len(stems(prompt) & stems(response)) / max(1, len(stems(prompt))),
        "repeated_sentences": sum(1 for k, s in enumerate(said) if s in said[:k])
        / max(1, len(said)),
    }


COHERENCE_ONLY = ("prompt_overlap", "repeated_sentences")


def stems(text: str) -> set[str]:
    """Content words cut to five letters, so "smell" meets "smells" and "smelled"."""
    return {w[:5] for w in content_words(text)}


def split_of(item_id: str, held_out: float) -> str:
    """`heldout` for a `held_out` share of the ids, by a hash: the same rows on every
    machine, and adding replies does not move the others."""
    h = int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "heldout" if h < held_out else "train"


def load_labels(path: Path = LABEL_FILE, held_out: float = 0.3) -> list[dict[str, Any]]:
    """The labelled replies, each with its `split` (its own `split` field wins: replies
    written after the detectors were designed are marked `fresh`)."""
    from stages.core.params import load_yaml
    from stages.core.schemas import validate

    items = load_yaml(path)
    validate("labels", items, str(path))
    ids = [i["id"] for i in items]
    if len(set(ids)) != len(ids):
        raise DataError(f"{path}: ids must be unique")
    for item in items:
        item.setdefault("source", "written")
        item["split"] = item.get("split") or split_of(item["id"], held_out)
    return items


MODEL_LABELS = ("coherent",)  # the labels whose detector also reads the model's features
# The coherence detector reads only what bears on sense and relevance. Given every feature
# it learned a shortcut from the labelled set (long replies were mostly the local teacher's
# junk, so "long" meant "incoherent") and flagged 8 of 17 hand-written gold replies.
COHERENCE_FEATURES = (
    *NAMES,  # the base model's features
    "distinct_2",
    "leaks",
    "prompt_overlap",
    "repeated_sentences",
)
STRENGTHS = (0.1, 0.3, 1.0, 3.0)  # inverse regularisation strengths tried for each label
# the coherence detector also reads the model's state (hundreds of numbers against a few
# hundred replies): it may need far stronger regularisation
MODEL_STRENGTHS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def strength(
    x: np.ndarray, y: np.ndarray, label: str, strengths: tuple[float, ...] = STRENGTHS
) -> float:
    """The regularisation with the best 5-fold cross-validated accuracy on the fitting
    part alone (the held-out part plays no role in any choice). Unweighted classes: the
    report card asks for accuracy, and reweighting rare labels traded it for recall."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    rarer = int(min(y.sum(), len(y) - y.sum()))
    if rarer < 2:
        raise DataError(
            f"{label}: {rarer} replies on one side in the fitting part of the labelled set; "
            "label more replies with and without it (evals/labels/GUIDE.md)"
        )
    folds = StratifiedKFold(min(5, rarer), shuffle=True, random_state=0)
    scores = [
        cross_val_score(LogisticRegression(C=c, max_iter=3000), x, y, cv=folds).mean()
        for c in strengths
    ]
    return strengths[int(np.argmax(scores))]


@dataclass
class Detectors:
    """A fitted logistic regression per label over the features of `shape` (and, for the
    coherence detector, the base model's: likelihoods and state), with the scaling each fit
    used."""

    names: dict[str, list[str]]
    mean: dict[str, np.ndarray]
    scale: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    bias: dict[str, float]

    @classmethod
    def fit(cls, items: list[dict[str, Any]], extras: list[dict[str, float]]) -> Detectors:
        """Fit on labelled `items`; `extras` are each item's model features."""
        from sklearn.linear_model import LogisticRegression

        text = [shape(i["prompt"], i["response"]) for i in items]
        names, mean, scale, weights, bias = {}, {}, {}, {}, {}
        for label in LABELS:
            if label in MODEL_LABELS:
                names[label] = sorted(COHERENCE_FEATURES) + state_names(extras[0])
                rows = [t | e for t, e in zip(text, extras, strict=True)]
                strengths = MODEL_STRENGTHS
            else:
                names[label] = sorted(k for k in text[0] if k not in COHERENCE_ONLY)
                rows = text
                strengths = STRENGTHS
            x = np.array([[r[k] for k in names[label]] for r in rows])
            mean[label], scale[label] = x.mean(axis=0), x.std(axis=0) + 1e-6
            y = np.array([label in i["labels"] for i in items])
            z = (x - mean[label]) / scale[label]
            c = strength(z, y, label, strengths)
            model = LogisticRegression(C=c, max_iter=3000).fit(z, y)
            weights[label], bias[label] = model.coef_[0], float(model.intercept_[0])
        return cls(names, mean, scale, weights, bias)

    def scores(
        self, prompt: str, response: str, extra: dict[str, float] | None = None
    ) -> dict[str, float]:
        """The probability of each label for one reply (the coherence detector only with the
        model's features in `extra`)."""
        features = shape(prompt, response) | (extra or {})
        out = {}
        for label in LABELS:
            if label in MODEL_LABELS and not extra:
                continue
            missing = set(self.names[label]) - set(features)
            if missing:
                raise DataError(
                    f"the {label} detector was fitted on features this reply lacks "
                    f"({', '.join(sorted(missing))}): run `dvc repro fit_detectors`"
                )
            z = (
                np.array([features[k] for k in self.names[label]]) - self.mean[label]
            ) / self.scale[label]
            out[label] = float(1.0 / (1.0 + np.exp(-(z @ self.weights[label] + self.bias[label]))))
        return out

    def save(self, path: str | Path) -> None:
        def rounded(values: np.ndarray) -> list[float]:
            return [round(v, 6) for v in values.tolist()]

        write_json(
            path,
            {
                label: {
                    "features": self.names[label],
                    "mean": rounded(self.mean[label]),
                    "scale": rounded(self.scale[label]),
                    "weights": rounded(self.weights[label]),
                    "bias": round(self.bias[label], 6),
                }
                for label in LABELS
            },
        )

    @classmethod
    def load(cls, path: str | Path = "data/detectors/detectors.json") -> Detectors:
        d = read_json(path)
        return cls(
            {k: v["features"] for k, v in d.items()},
            {k: np.array(v["mean"]) for k, v in d.items()},
            {k: np.array(v["scale"]) for k, v in d.items()},
            {k: np.array(v["weights"]) for k, v in d.items()},
            {k: v["bias"] for k, v in d.items()},
        )


def report(truth: list[bool], scores: list[float], threshold: float = 0.5) -> dict[str, Any]:
    """Precision, recall, accuracy and AUC of one detector on labelled replies."""
    pred = [s >= threshold for s in scores]
    tp = sum(p and t for p, t in zip(pred, truth, strict=True))
    fp = sum(p and not t for p, t in zip(pred, truth, strict=True))
    fn = sum(t and not p for p, t in zip(pred, truth, strict=True))
    pos = [s for s, t in zip(scores, truth, strict=True) if t]
    neg = [s for s, t in zip(scores, truth, strict=True) if not t]
    auc = (
        sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))
        if pos and neg
        else None
    )
    return {
        "n": len(truth),
        "positives": sum(truth),
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "accuracy": round(sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth), 3),
        "auc": round(auc, 3) if auc is not None else None,
    }
