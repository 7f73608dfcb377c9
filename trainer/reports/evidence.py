"""Short, plain-text readings of a report's evidence, for staff: which thresholds set each
band (those missed for the band above and those met for the band reached), the grammar errors, the call moves found and missed, and the transcript cut into
spans around the grammar errors (for highlighting). Used by the coach's attempt page and
the recruiter's PDF report; no Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.scoring import GrammarError


@dataclass(frozen=True)
class Span:
    text: str
    error: GrammarError | None = None  # a grammar error (scoring evidence) when this span is one


def feature_name(feature: str) -> str:
    return feature.replace("_", " ")


def _number(value) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value:.0f}" if value == int(value) and abs(value) >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")


def threshold_text(check) -> str:
    """'grammar errors per 100 words 1.82 (needs <= 3)'."""
    bounds = []
    if check.min is not None:
        bounds.append(f">= {_number(check.min)}")
    if check.max is not None:
        bounds.append(f"<= {_number(check.max)}")
    need = " and ".join(bounds) or "no bound"
    return f"{feature_name(check.feature)} {_number(check.value)} (needs {need})"


def deciding_checks(dimension) -> tuple[list, list]:
    """The thresholds that decided a dimension's band (a scoring.DimensionScore): (those
    of the band above that were missed, those of the band reached that were met). The
    band reached has all its measured thresholds met by definition, so they alone never
    say why the band is not higher: the missed ones of the band above do. Thresholds
    not measured for this answer are left out (they did not count)."""
    missed = [c for c in dimension.next_band_checks if c.met is False]
    met = [c for c in dimension.band_checks if c.met]
    return missed, met


def band_lines(dimension) -> list[str]:
    """The deciding thresholds as lines: 'not met for band 3: word types 22 (needs >= 30)'
    first, then 'met for band 2: ...'; for a compensatory rubric, each measure's points."""
    components = dimension.details.get("components")
    if components:  # a compensatory rubric: no thresholds, each measure adds its points
        lines = [
            f"{feature_name(c['feature'])} {_number(c['value'])}: {_number(c['points'])} of "
            f"{_number(100 * c['weight'])} points"
            for c in components
        ]
        if dimension.details.get("next_band_at") is not None:
            lines.append(f"band {dimension.band + 1} from {_number(dimension.details['next_band_at'])}/100")
        return lines
    missed, met = deciding_checks(dimension)
    lines = [f"not met for band {dimension.band + 1}: {threshold_text(c)}" for c in missed]
    lines += [f"met for band {dimension.band}: {threshold_text(c)}" for c in met]
    return lines


def grammar_error_text(error: GrammarError) -> str:
    suggestions = ", ".join(error.suggestions)
    fix = f" -> {suggestions}" if suggestions else ""
    return f'"{error.text}"{fix}: {error.message}'


def error_lines(dimension, *, max_items: int = 4) -> list[str]:
    """The grammar errors of a dimension's evidence (the grammar dimension's), a few."""
    errors = dimension.grammar_errors()
    lines = [f"error {grammar_error_text(e)}" for e in errors[:max_items]]
    if len(errors) > max_items:
        lines.append(f"... and {len(errors) - max_items} more grammar errors")
    return lines


def highlights(dimension) -> list[str]:
    """A few lines of evidence for one scored dimension (a scoring.DimensionScore): the
    thresholds that decided its band, the call moves, the fillers. Its grammar errors are
    in ``error_lines`` (a page that shows the answer lists them there, once)."""
    lines = band_lines(dimension)
    details = dimension.details or {}
    moves = details.get("moves") or []
    if moves:
        found = [m["move"] for m in moves if m.get("found")]
        missed = [m["move"] for m in moves if not m.get("found") and m.get("required", True)]
        if found:
            lines.append("call moves heard: " + ", ".join(found))
        if missed:
            lines.append("call moves missing: " + ", ".join(missed))
    fillers = details.get("fillers")
    if isinstance(fillers, list) and fillers:
        lines.append(f"fillers: {len(fillers)}")
    return lines


def grammar_spans(text: str, errors: list[GrammarError]) -> list[Span]:
    """``text`` cut into plain spans and grammar-error spans (by the errors' character
    offsets; an error whose offset does not match the text is looked up by its words)."""
    placed: list[tuple[int, int, GrammarError]] = []
    for error in sorted(errors, key=lambda e: e.offset):
        start, length = int(error.offset), int(error.length)
        words = error.text
        if not (0 <= start and text[start : start + length] == words and length > 0):
            start = text.find(words) if words else -1
            length = len(words)
        if start < 0 or length <= 0 or any(start < end and start + length > begin for begin, end, _ in placed):
            continue
        placed.append((start, start + length, error))
    spans: list[Span] = []
    cursor = 0
    for begin, end, error in sorted(placed, key=lambda p: p[0]):
        if begin > cursor:
            spans.append(Span(text[cursor:begin]))
        spans.append(Span(text[begin:end], error))
        cursor = end
    if cursor < len(text):
        spans.append(Span(text[cursor:]))
    return spans
