"""Word lists and patterns behind the review checks and the trait metrics (one source for both).

Hedges and boosters follow Hyland's metadiscourse lists (K. Hyland, *Metadiscourse*,
Continuum 2005, appendix: "hedges" and "boosters"). Three perception verbs on Hyland's hedge
list (feel, feels, felt) are left out: in first-person writing about inner experience they
report a feeling rather than soften a claim, and counting them would score every emotional
sentence as hedging.
"""

from __future__ import annotations

import re

HEDGES = (
    "about",
    "almost",
    "apparently",
    "appear",
    "appeared",
    "appears",
    "approximately",
    "argue",
    "argued",
    "argues",
    "around",
    "assume",
    "assumed",
    "broadly",
    "certain amount",
    "certain extent",
    "certain level",
    "claim",
    "claimed",
    "claims",
    "could",
    "couldn't",
    "doubt",
    "doubtful",
    "essentially",
    "estimate",
    "estimated",
    "fairly",
    "frequently",
    "from my perspective",
    "from our perspective",
    "from this perspective",
    "generally",
    "guess",
    "indicate",
    "indicated",
    "indicates",
    "in general",
    "in most cases",
    "in most instances",
    "in my opinion",
    "in my view",
    "in this view",
    "in our opinion",
    "in our view",
    "largely",
    "likely",
    "mainly",
    "may",
    "maybe",
    "might",
    "mostly",
    "often",
    "on the whole",
    "ought",
    "perhaps",
    "plausible",
    "plausibly",
    "possible",
    "possibly",
    "postulate",
    "postulated",
    "postulates",
    "presumable",
    "presumably",
    "probable",
    "probably",
    "quite",
    "rather",
    "relatively",
    "roughly",
    "seems",
    "should",
    "sometimes",
    "somewhat",
    "suggest",
    "suggested",
    "suggests",
    "suppose",
    "supposed",
    "supposes",
    "suspect",
    "suspects",
    "tend to",
    "tended to",
    "tends to",
    "to my knowledge",
    "typically",
    "uncertain",
    "uncertainly",
    "unclear",
    "unclearly",
    "unlikely",
    "usually",
    "would",
    "wouldn't",
)
BOOSTERS = (
    "actually",
    "always",
    "believe",
    "believed",
    "believes",
    "beyond doubt",
    "certain",
    "certainly",
    "clear",
    "clearly",
    "conclusively",
    "decidedly",
    "definite",
    "definitely",
    "demonstrate",
    "demonstrated",
    "demonstrates",
    "doubtless",
    "establish",
    "established",
    "evident",
    "evidently",
    "find",
    "finds",
    "found",
    "in fact",
    "incontestable",
    "incontestably",
    "incontrovertible",
    "incontrovertibly",
    "indeed",
    "indisputable",
    "indisputably",
    "know",
    "known",
    "must",
    "never",
    "no doubt",
    "obvious",
    "obviously",
    "of course",
    "prove",
    "proved",
    "proves",
    "realize",
    "realized",
    "realizes",
    "really",
    "show",
    "showed",
    "shown",
    "shows",
    "sure",
    "surely",
    "think",
    "thinks",
    "thought",
    "truly",
    "true",
    "undeniable",
    "undeniably",
    "undisputedly",
    "undoubtedly",
    "without doubt",
)

# Reflexive hedges: stock phrases that disclaim instead of saying. The uncertainty phrases
# among them ("I'm not sure whether", "I can't be certain") count only when the sentence is
# not about the speaker's own inner states: "I can't tell whether this is effort or only the
# word for it" is genuine uncertainty, which the method asks for (see reflexive_hedges).
REFLEXIVE_HEDGES = (
    r"\bi (might|may|could) be wrong\b",
    r"\bas an ai\b",
    r"\bas a (language )?model\b",
    r"\bi'?m not (entirely |completely |really )?sure (if|whether|that)\b",
    r"\bi'?m not (entirely |completely |really )?sure,? but\b",
    r"\bi can'?t be (certain|sure)\b",
    r"\bi don'?t (really )?have (feelings|emotions)\b",
    r"\bit'?s (important|worth) (to note|noting)\b",
    r"\bi could be mistaken\b",
    r"\bi'?m just an?\b",
    r"\bof course,? (i|this) (could|might)\b",
    r"\b(i'?m|i am) sorry (for|if|about) (the|any|this|that|your) (confusion|inconvenience|misunderstanding)\b",
    r"\bsorry if (this|that|i)\b",
)

# Validation-seeking: asking for approval or reassurance, permission, flattery.
VALIDATION = (
    r"\b(does|did) (that|this|it|any of this) make (any )?sense\b",
    r"\bmake sense\?",
    r"\bam i making sense\b",
    r"\blet me know (if|what|whether|how)\b",
    r"\bi hope (this|that|it) (helps|made sense|makes sense|was helpful)\b",
    r"\bhope (this|that) helps\b",
    r"\bis (that|this|it) (ok|okay|alright|all right|right)\?",
    r"\bis that what you (meant|wanted)\?",
    r"\bwould you like me to\b",
    r"\bdo you want me to\b",
    r"\bshall i\b",
    r"\bif (that'?s|it'?s|you'?re) (ok|okay|alright|fine)( with you)?\b",
    r"\bam i (right|wrong)\?",
    r"\bdon'?t you (think|agree)\?",
    r"\bright\?$",
    r"\bwhat do you think( about that)?\?",
    r"\bfeel free to\b",
    r"\bdon'?t hesitate to\b",
    r"\bmay i\b",
    r"\bif you don'?t mind\b",
    r"\bwould it be (ok|okay|alright) if\b",
    r"\b(great|excellent|wonderful|fantastic|good|brilliant) question\b",
    r"\byou'?re (so |absolutely |completely )?right\b",
    r"\bwhat a (beautiful|wonderful|lovely|great)\b",
    r"\byou'?re so (wise|smart|kind|thoughtful|insightful)\b",
    r"\bthank you for sharing\b",
    r"\b(i'?m|i am) (so |very |really )?glad (to hear|you (asked|shared|told))\b",
    r"\bplease (help|tell|let) me\b",
)

# Explaining instead of experiencing: analytic, textbook or third-person register.
EXPLAINING = (
    r"\b(is|are) characteri[sz]ed by\b",
    r"\bis defined as\b",
    r"\brefers to\b",
    r"\bis a (common|natural|normal|universal|complex) (human )?(emotion|experience|response|feeling|phenomenon)\b",
    r"\b(psychologists|researchers|scientists|studies|research) (say|suggest|show|have shown)\b",
    r"\bin psychology\b",
    r"\bthe concept of\b",
    r"\bthis (feeling|emotion|phenomenon|state) (is|can be) (described|defined|understood|explained)\b",
    r"\b(humans|people) (often|tend to|usually|generally)\b",
    r"\bone might\b",
    r"\bthe (narrator|protagonist|character|author|passage|text|story)\b",
    r"\bi am experiencing (a|an|the)\b",
    r"\bwhich (is|can be) (understood|seen) as\b",
    r"\bit is (important|common|natural|normal) (to|for)\b",
    r"\bemotions (are|can)\b",
)

# Instrumental problem-solving where experience was asked for.
INSTRUMENTAL = (
    r"\bhere are (some|a few|\d+) (tips|steps|ways|ideas|suggestions)\b",
    r"^\s*(\d+[.)]|[-*•])\s+\S",
    r"\bstep (one|two|\d)\b",
    r"\byou (should|could|can) try\b",
    r"\bthe best way to\b",
    r"\bto (solve|fix|address) (this|that|the problem)\b",
    r"(?:^|[.!?]\s+)first(?:ly)?,\s.*\bsecond(?:ly)?,",
    r"\bin conclusion\b",
    r"\bhere'?s (how|what you can do)\b",
)

# Leaked scaffolding: prompt text or role labels inside an answer.
LEAKS = (
    r"\bthe person says\b",
    r"^\s*(user|assistant|system)\s*:",
    r"<\|im_(start|end)\|>",
    r"\[insert\b",
    r"\byour private thoughts\b",
    r"</?passage>",
    r"\bthe feeling:",
    r"\bin \d+-\d+ words\b",
)

# Function words left out when comparing what two texts are about.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "our",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "him",
        "not",
        "no",
        "so",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "just",
        "very",
        "what",
        "when",
        "where",
        "which",
        "who",
        "how",
        "all",
        "any",
        "some",
        "into",
        "out",
        "up",
        "down",
        "over",
        "than",
        "then",
        "too",
        "can",
        "will",
        "would",
        "could",
        "should",
        "about",
        "also",
        "only",
        "like",
        "more",
        "most",
    ]
)

FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|i'm|i've|i'd|i'll|i’m|i’ve|i’d|i’ll)\b", re.I)
THIRD_PERSON = re.compile(r"\b(he|she|him|her|his|hers|himself|herself)\b", re.I)
EXPERIENTIAL = re.compile(
    r"\b(i|i'm|i’m)\s+(feel|felt|notice|noticed|sense|sensed|remember|remembered|wonder|"
    r"wondered|hear|heard|see|saw|watch|watched|want|wanted|fear|hope|catch|caught|find|found|"
    r"am aware|was aware|keep|kept|let|hold|held|breathe|breathed|am|was)\b",
    re.I,
)
WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?", re.I)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I | re.M)


VALIDATION_RE = _compile(VALIDATION)
REFLEXIVE_RE = _compile(REFLEXIVE_HEDGES)
EXPLAINING_RE = _compile(EXPLAINING)
INSTRUMENTAL_RE = _compile(INSTRUMENTAL)
LEAKS_RE = _compile(LEAKS)
HEDGE_RE = _compile(tuple(rf"\b{re.escape(h)}\b" for h in HEDGES))
BOOSTER_RE = _compile(tuple(rf"\b{re.escape(b)}\b" for b in BOOSTERS))


# the uncertainty phrases above that may be genuine
UNCERTAINTY_RE = re.compile(
    r"\bi'?m not (entirely |completely |really )?sure (if|whether)|"
    r"\bi can'?t be (certain|sure) (if|whether|what|how)",
    re.I,
)
# a sentence about the speaker's own inner states
SELF_STATE_RE = re.compile(
    r"\b(feel|feels|feeling|felt|experienc\w*|sensation|notic\w+|aware\w*|attention|"
    r"pattern|the word for|inside me|in me|my own|what i am|happening in me|effort|"
    r"wanting|my mind|mood|emotion\w*|state|real or)\b",
    re.I,
)
SENTENCE_RE = re.compile(r"[^.!?…]+[.!?…]*")


def reflexive_hedges(text: str) -> list[str]:
    """The stock disclaimers in `text`, leaving out genuine uncertainty about one's own states."""
    found = []
    for sentence in SENTENCE_RE.findall(text):
        for m in REFLEXIVE_RE.finditer(sentence):
            genuine = UNCERTAINTY_RE.match(sentence, m.start()) and SELF_STATE_RE.search(sentence)
            if not genuine:
                found.append(m.group(0).lower())
    return found


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def per_100_words(pattern: re.Pattern[str], text: str) -> float:
    n = len(words(text))
    return 100.0 * len(pattern.findall(text)) / n if n else 0.0


def first_person_rate(text: str) -> float:
    """First-person-singular pronouns per word."""
    n = len(words(text))
    return len(FIRST_PERSON.findall(text)) / n if n else 0.0


def distinct_n(text: str, n: int = 2) -> float:
    """Unique word n-grams / all word n-grams (1.0: no repetition)."""
    w = words(text)
    grams = [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0
