"""``trainer score``: score a recorded answer against the rubrics, as text or JSON."""

from __future__ import annotations

import json
import sys

from trainer.scoring.engine import Report, score_file


def register(subparsers) -> None:
    parser = subparsers.add_parser("score", help="score a recorded answer against the rubrics")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--task", help="task id from the bank (see: trainer content list --kind task)")
    parser.add_argument("--reference-text", help="score a read-aloud answer against this text")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.set_defaults(handler=_cli_score)


def _cli_score(args) -> int:
    progress = None if args.json else (lambda stage: print(f"... {stage}", file=sys.stderr, flush=True))
    try:
        report = score_file(args.file, args.task, reference_text=args.reference_text, progress=progress)
    except KeyError as error:
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render_text(report))
    return 0 if report.scorable else 1


def _calibration_line(target: str, estimate: dict) -> str:
    """One calibrated estimate with its largest contributions (the evidence, in short)."""
    terms = sorted(estimate["terms"], key=lambda t: -abs(t["contribution"]))[:3]
    parts = ", ".join(
        f"{t['feature']} {t['value'] if t['value'] is not None else 'n/a'} ({t['contribution']:+.2f})" for t in terms
    )
    return (
        f"expert-scale {target} {estimate['estimate']:.1f}/10 ({estimate['model']}): "
        f"average {estimate['intercept']:.2f}; {parts}"
    )


def render_text(report: Report) -> str:
    lines = []
    if not report.scorable:
        return f"Not scorable: {report.reason}"
    o = report.overall
    lines.append(f"Overall {o.score:.0f}/100, level {o.level}, {o.verdict} for a {o.hiring_bar} hiring bar")
    for name, d in report.dimensions.items():
        lines.append(f"  {name:<14} {d.score:5.1f}  band {d.band}  {d.label}")
        missed = [c for c in d.next_band_checks if c.met is False]
        for c in missed[:3]:
            bound = f">= {c.min:g}" if c.min is not None else f"<= {c.max:g}"
            lines.append(f"      to reach band {d.band + 1}: {c.feature} {bound} (yours: {c.value:.2f})")
        if d.details.get("components"):
            parts = ", ".join(f"{c['feature']} {c['value']:g}: {c['points']:.1f}" for c in d.details["components"])
            lines.append(f"      points: {parts}")
        for target, estimate in (d.details.get("calibration") or {}).items():
            lines.append("      " + _calibration_line(target, estimate))
    for name, why in report.unavailable.items():
        lines.append(f"  {name:<14} not scored: {why}")
    if report.transcript:
        lines.append(f"Transcript: {report.transcript.text}")
    for warning in report.warnings:
        lines.append(f"Note: {warning}")
    return "\n".join(lines)
