"""A scored answer as the pages show it: overall score, level and verdict, each dimension
with its evidence (measures, the thresholds that decided its band: those missed for the
band above, and those of the band reached), the transcript with grammar errors marked,
the fluency timeline, the caller's details; and, for the staff, the answer itself and the bands with who changed them. The renderers take the data they
show as arguments (a ``Report``, an ``AttemptDetail``), never session state, so the
applicant's Feedback page and the coach's and recruiter's pages share them.
"""

from __future__ import annotations

import streamlit as st

from trainer.reports import evidence
from trainer.scoring import answer_level, report_words
from trainer.webapp.text import dimension_title, escape_markdown, feature_title
from trainer.webapp.transcript import WORD_LABELS, grammar_errors, legend_html, reading_html, transcript_html


def fluency_rows(report) -> list[dict]:
    """Timeline rows (what, start, end, seconds, detail) for the fluency chart: stretches
    of speech between the measured pauses, the pauses, and the fillers."""
    fluency = report.dimensions.get("fluency") if report else None
    transcript = report.transcript if report else None
    if fluency is None or transcript is None or not transcript.words:
        return []
    pauses = sorted(fluency.details.get("pauses") or [], key=lambda p: p["start"])
    rows = []
    first, last = transcript.words[0].start, transcript.words[-1].end
    edges = [first] + [x for p in pauses for x in (p["start"], p["end"])] + [last]
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start <= 0:
            continue
        said = " ".join(w.text.strip() for w in transcript.words if start - 0.05 <= w.start < end)
        rows.append(
            {
                "what": "Speech",
                "start": round(start, 2),
                "end": round(end, 2),
                "seconds": round(end - start, 2),
                "detail": said,
            }
        )
    for pause in pauses:
        rows.append(
            {
                "what": "Pause",
                "start": pause["start"],
                "end": pause["end"],
                "seconds": pause["seconds"],
                "detail": f"{pause['seconds']:.1f} s silent",
            }
        )
    for filler in fluency.details.get("fillers") or []:
        rows.append(
            {
                "what": "Filler",
                "start": filler["start"],
                "end": max(filler["end"], filler["start"] + 0.15),
                "seconds": round(filler["end"] - filler["start"], 2),
                "detail": filler.get("heard") or "",
            }
        )
    return rows


def fluency_chart(report):
    """An Altair timeline of speech, pauses and fillers; None when there is no timing."""
    import altair as alt
    import pandas as pd

    rows = fluency_rows(report)
    if not rows:
        return None
    colours = alt.Scale(domain=["Speech", "Pause", "Filler"], range=["#2da44e", "#d0d7de", "#bf8700"])
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("start:Q", title="seconds from the start"),
            x2="end:Q",
            y=alt.Y("what:N", title=None, sort=["Speech", "Pause", "Filler"]),
            color=alt.Color("what:N", scale=colours, legend=None),
            tooltip=[
                alt.Tooltip("what:N"),
                alt.Tooltip("start:Q", title="from (s)"),
                alt.Tooltip("end:Q", title="to (s)"),
                alt.Tooltip("seconds:Q"),
                alt.Tooltip("detail:N", title=""),
            ],
        )
        .properties(height=140, title="Your speech and pauses over time")
    )


def fact_rows(report) -> list[dict]:
    """The caller's details the answer captured or missed (role-play calls)."""
    dimension = report.dimensions.get("comprehension") if report else None
    facts = ((dimension.details.get("facts") or {}).get("facts") or []) if dimension else []
    return [
        {
            "detail": f["label"],
            "the caller said": f["expected"],
            "captured": bool(f["found"]),
            "you said": f.get("matched") or "",
        }
        for f in facts
    ]


def key_point_rows(report) -> list[dict]:
    dimension = report.dimensions.get("comprehension") if report else None
    points = ((dimension.details.get("key_points") or {}).get("points") or []) if dimension else []
    return [
        {"key point": p["point"], "covered": bool(p["found"]), "you said": p.get("matched_text") or ""} for p in points
    ]


def move_rows(report) -> list[dict]:
    dimension = report.dimensions.get("call_handling") if report else None
    moves = (dimension.details.get("moves") or []) if dimension else []
    return [
        {
            "step": m["move"],
            "required": bool(m["required"]),
            "done": bool(m["found"]),
            "you said": m.get("matched_text") or "",
        }
        for m in moves
    ]


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _bound(check) -> str:
    if check.min is not None and check.max is not None:
        return f"{_number(check.min)} to {_number(check.max)}"
    return f"at least {_number(check.min)}" if check.min is not None else f"at most {_number(check.max)}"


def _checks_table(checks) -> list[dict]:
    """The thresholds measured for this answer (one on a feature this kind of answer does
    not have, such as key points on a call, is skipped by the rubric: not shown)."""
    return [
        {
            "measure": feature_title(c.feature),
            "yours": _number(c.value),
            "needed": _bound(c),
            "met": "✅" if c.met else ("❌" if c.met is False else "not measured"),
        }
        for c in checks
        if c.value is not None
    ]


def skipped_turns(report) -> dict | None:
    """The turns evidence of a mock call that was not answered to the end (the first
    dimension that has it), or None."""
    for dimension in report.dimensions.values() if report else ():
        turns = dimension.details.get("turns")
        if turns and turns.get("skipped"):
            return turns
    return None


def skipped_turns_note(report) -> str | None:
    """'You answered 3 of the caller's 5 turns: turns 4 and 5 were not answered.'"""
    turns = skipped_turns(report)
    if turns is None:
        return None
    return (
        f"You answered {len(turns['answered'])} of the caller's {turns['total']} turns: "
        f"{turns['skipped_text']} {'was' if len(turns['skipped']) == 1 else 'were'} not answered."
    )


SCRIPTED_TASK_TYPES = ("read_aloud", "repeat")
READ_SPEECH_NOTE = (
    "Our pronunciation and fluency scores were checked against expert raters on sentences read "
    "aloud. This answer was in your own words, not a text read aloud, so take those scores as a "
    "rougher guide."
)


def read_speech_note(report) -> str | None:
    """The plain-words caveat for a free answer scored on pronunciation or fluency: the
    calibrated models were fitted on read speech (docs/validity.md)."""
    if report.task_type in SCRIPTED_TASK_TYPES:
        return None
    if not any(name in report.dimensions for name in ("pronunciation", "fluency")):
        return None
    return READ_SPEECH_NOTE


def score_words(score: float, interval) -> str:
    """ "62/100" or, with an interval, "62/100, likely between 54 and 70"."""
    if interval is None:
        return f"{score:.0f}/100"
    return f"{score:.0f}/100, likely between {interval.low:.0f} and {interval.high:.0f}"


def show_dimension(name: str, machine, effective=None) -> None:
    """One dimension in an expander: band wording, the coach's band if set, and the
    evidence (measured features, thresholds reached and those of the band above)."""
    band = effective.band if effective else machine.band
    label = effective.label if effective else machine.label
    descriptor = effective.descriptor if effective else machine.descriptor
    title = f"{dimension_title(name)}: {score_words(machine.score, machine.interval)} · band {band} ({label})"
    if effective is not None and effective.overridden:
        title += " · set by your coach"
    with st.expander(title):
        st.write(descriptor)
        if machine.interval is not None:
            st.caption(
                f"Likely between {machine.interval.low:.0f} and {machine.interval.high:.0f}: in "
                f"{round(10 * machine.interval.coverage)} of 10 readings like this one that experts "
                "scored, their score fell in such a range."
            )
        if effective is not None and effective.overridden:
            override = effective.override
            st.info(
                f"Your coach {escape_markdown(override.coach_name)} set this band to {override.coach_band} "
                f"(the machine gave {override.machine_band}): {escape_markdown(override.reason)}"
            )
        turns = machine.details.get("turns")
        if turns and turns.get("skipped"):
            # the rule's words come from the rubric (lessons/), like the band descriptors
            st.info(f"Not answered: {turns['skipped_text']} of {turns['total']}. {turns['explanation'].strip()}")
        # the thresholds that decided the band: those missed for the band above, then
        # those of the band reached (all met, else it would not have been reached)
        missed, _ = evidence.deciding_checks(machine)
        above = _checks_table(machine.next_band_checks)
        if missed:
            names = ", ".join(feature_title(c.feature) for c in missed)
            st.caption(
                f"Why band {machine.band} and not {machine.band + 1}: band {machine.band + 1} asks for "
                f"these, and {escape_markdown(names)} {'is' if len(missed) == 1 else 'are'} not met (❌)"
            )
            st.dataframe(above, hide_index=True, placeholder="")
        elif above:
            st.caption(f"What band {machine.band + 1} asks for")
            st.dataframe(above, hide_index=True, placeholder="")
        if reached := _checks_table(machine.band_checks):
            st.caption(f"What band {machine.band} asks for: every threshold measured is met")
            st.dataframe(reached, hide_index=True, placeholder="")
        if machine.details.get("components"):
            _components(machine)
        _dimension_details(name, machine)
        st.caption("All measurements")
        st.json({"features": machine.features, **machine.details}, expanded=False)


def _components(machine) -> None:
    """A compensatory score: each measure, its value and the points it adds to the score."""
    next_at = machine.details.get("next_band_at")
    caption = f"How the score of {machine.score:.0f} adds up"
    if next_at is not None:
        caption += f" (band {machine.band + 1} starts at {next_at:g})"
    st.caption(caption)
    st.dataframe(
        [
            {
                "measure": feature_title(c["feature"]),
                "yours": _number(c["value"]),
                "counts in full at": _number(c["full"]),
                "points": f"{c['points']:.1f} of {100 * c['weight']:.0f}",
            }
            for c in machine.details["components"]
        ],
        hide_index=True,
    )


def _dimension_details(name: str, machine) -> None:
    details = machine.details
    if name == "fluency":
        pauses = details.get("pauses") or []
        fillers = details.get("fillers") or []
        st.caption(
            f"{len(pauses)} pause(s) of 0.25 s or more"
            + (f", longest {max(p['seconds'] for p in pauses):.1f} s" if pauses else "")
            + f"; {len(fillers)} filler(s)"
            + (": " + ", ".join(escape_markdown(f.get("heard") or f["filler"]) for f in fillers) if fillers else "")
        )
    elif name == "vocabulary":
        phrases = [p["matched"] for p in details.get("call_centre_phrases") or []]
        if phrases:
            st.caption("Call-centre phrases you used: " + "; ".join(escape_markdown(p) for p in phrases[:10]))
        above = details.get("above_a2_words") or {}
        if above:
            st.caption(
                "Words above A2: " + ", ".join(f"{escape_markdown(w)} ({lvl})" for w, lvl in list(above.items())[:15])
            )
        strongest = [p["pair"] for p in (details.get("collocations") or {}).get("strongest") or []]
        if strongest:
            st.caption("Word partnerships you used: " + "; ".join(escape_markdown(p) for p in strongest[:6]))
    elif name == "comprehension":
        answer = details.get("answer")
        if answer:
            st.caption(f"Closest accepted answer: {escape_markdown(answer.get('best_accepted') or '')}")
        if key_points := details.get("key_points"):
            st.dataframe(
                [
                    {"key point": p["point"], "covered": "✅" if p["found"] else "❌"}
                    for p in key_points.get("points", [])
                ],
                hide_index=True,
                placeholder="",
            )
    elif name == "call_handling":
        moves = details.get("moves") or []
        if moves:
            st.dataframe(
                [
                    {
                        "step": m["move"],
                        "done": "✅" if m["found"] else ("❌" if m["required"] else "optional"),
                        "you said": m.get("matched_text") or "",
                    }
                    for m in moves
                ],
                hide_index=True,
                placeholder="",
            )


def show_scores(report, dimensions: dict | None = None, answer_text: str | None = None) -> None:
    """Overall score, level (with the range one answer leaves it in) and the hiring-bar
    verdict, then every dimension with its evidence. ``dimensions``
    (AttemptDetail.dimensions) adds the coach's bands; ``answer_text``: a typed reply, whose
    words count for the level's range."""
    if not report.scorable:
        st.error(report.reason)
        return
    overall = report.overall
    said = answer_text or (report.transcript.text if report.transcript else None)
    level = answer_level(overall.score, report_words(None, said))
    cols = st.columns([1, 2, 1])  # the level with its range needs room
    cols[0].metric("Overall", f"{overall.score:.0f}/100")
    cols[1].metric("Level", level.text(), help=level.sentence())
    cols[2].metric(f"Hiring bar {overall.hiring_bar}", overall.verdict)
    if overall.interval is not None:
        st.caption(f"Overall {score_words(overall.score, overall.interval)}.")
    if note := read_speech_note(report):
        st.info(note)
    if note := skipped_turns_note(report):
        st.warning(f"This call ended early. {note} How that counts is shown with each score below.")
    for name, machine in report.dimensions.items():
        show_dimension(name, machine, (dimensions or {}).get(name))
    for name, why in report.unavailable.items():
        st.warning(f"{dimension_title(name)} was not scored: {why}")
    for warning in report.warnings:
        if not any(warning.startswith(f"{name}:") for name in report.unavailable):
            st.caption(warning)


def show_transcript(report, answer_text: str | None = None) -> None:
    """What we heard (or what was typed), grammar errors marked with their message and
    suggestion on hover and listed below, words the recogniser was unsure of in amber;
    for a read-aloud answer, the text read with each word coloured by pronunciation."""
    text = answer_text if answer_text is not None else (report.transcript.text if report.transcript else "")
    errors = grammar_errors(report)
    pronunciation = report.dimensions.get("pronunciation")
    unsure = [w["start"] for w in (pronunciation.details.get("low_confidence_words") or [])] if pronunciation else []
    if text:
        st.markdown("**What we heard**" if answer_text is None else "**Your reply**")
        words = report.transcript.words if (report.transcript and answer_text is None) else []
        st.html(transcript_html(text, errors, unsure, words))
        if unsure:
            st.html(legend_html(["unclear"], {"unclear": "words the recogniser was unsure of"}))
        restored = [w for w in words if w.restored_from]
        if restored:
            st.caption(
                "Underlined in blue: words written as you said them. The recogniser had corrected them ("
                + "; ".join(f"\u201c{w.restored_from}\u201d \u2192 \u201c{w.text.strip()}\u201d" for w in restored)
                + "), and the audio favoured your form."
            )
    if errors:
        with st.expander(f"Grammar notes ({len(errors)})", expanded=len(errors) <= 3):
            for number, error in enumerate(errors, 1):
                fix = f" Try: *{escape_markdown(', '.join(error.suggestions[:3]))}*" if error.suggestions else ""
                st.markdown(f"{number}. **{escape_markdown(error.text)}**: {escape_markdown(error.message)}{fix}")
    show_reading(report)


def show_reading(report) -> None:
    """For a read-aloud answer: the text read, each word coloured by pronunciation."""
    pronunciation = report.dimensions.get("pronunciation")
    reading = pronunciation.details.get("words") if pronunciation else None
    if reading:
        st.markdown("**Your reading, word by word**")
        st.html(reading_html(reading))
        st.html(legend_html(WORD_LABELS))


def show_fluency_timeline(report) -> None:
    chart = fluency_chart(report)
    if chart is not None:
        st.altair_chart(chart, width="stretch")


def left_out_fact_rows(report) -> list[dict]:
    """The caller's details given in turns the applicant did not answer (not counted)."""
    turns = skipped_turns(report) or {}
    return [
        {
            "detail": f["label"],
            "the caller said": f["expected"],
            "captured": f"not counted: turn {f['turn']} not answered",
            "you said": "",
        }
        for f in turns.get("facts_left_out") or []
    ]


def show_facts(report) -> None:
    rows = fact_rows(report)
    left_out = left_out_fact_rows(report)
    if rows:
        captured = sum(r["captured"] for r in rows)
        heard = " in the turns you answered" if left_out else ""
        st.markdown(f"**The caller's details: you captured {captured} of {len(rows)}{heard}**")
    elif left_out:
        st.markdown("**The caller's details: the call ended before the caller gave any**")
    if rows or left_out:
        st.dataframe(
            [{**r, "captured": "✅" if r["captured"] else "❌ missed"} for r in rows] + left_out,
            hide_index=True,
            placeholder="",
        )


def show_report(
    report, dimensions: dict | None = None, answer_text: str | None = None, *, transcript: bool = True
) -> None:
    """A whole machine report: scores with evidence, transcript, fluency timeline, facts.
    ``transcript=False`` where the page already shows the answer with its grammar errors
    (``show_answer``): the reading word by word stays, the errors are not listed twice."""
    show_scores(report, dimensions, answer_text)
    if transcript and (report.transcript or answer_text):
        show_transcript(report, answer_text)
    else:
        show_reading(report)
    show_fluency_timeline(report)
    show_facts(report)


# --------------------------------------------------------------------------- for the staff


def show_answer(detail) -> None:
    """Recording, and the transcript (or typed reply) with grammar errors marked and
    listed below, numbered alike."""
    if detail.recording_path is not None:
        if detail.recording_path.is_file():
            st.audio(str(detail.recording_path))
        else:
            st.warning("The recording of this answer is missing from the storage folder.")
    report = detail.report
    text = detail.answer_text or (report.transcript.text if report is not None and report.transcript else "")
    if detail.reference_text:
        st.caption("Text to read")
        st.text(detail.reference_text)
    if not text:
        return
    errors = report.grammar_errors() if report is not None else []
    st.markdown("**Typed reply**" if detail.answer_text else "**What we heard**")
    st.html(transcript_html(text, errors))
    for number, error in enumerate(errors, 1):
        st.caption(escape_markdown(f"{number}. {evidence.grammar_error_text(error)}"))


def dimension_rows(detail) -> list[dict]:
    """One row per dimension: the machine's score and band, the band that counts, and who
    changed it why."""
    rows = []
    for name, d in detail.dimensions.items():
        rows.append(
            {
                "dimension": name.replace("_", " "),
                "machine score": round(d.score, 1),
                "machine band": d.machine_band,
                "band": d.band,
                "label": d.label,
                "changed by": d.override.coach_name if d.override else "",
                "reason": d.override.reason if d.override else "",
            }
        )
    return rows
