"""The applicant's feedback on one saved answer: the report with the coach's bands and
comments, the comparison with earlier answers, and the lesson to take next; and the
applicant's current level. ``show_feedback`` takes the data it shows as arguments (a
``records.AttemptDetail``, earlier attempts, history points), never session state.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from trainer.content import ContentBank, get_bank, task_type_name
from trainer.data import AttemptStatus
from trainer.data.records import ScoreOutcome
from trainer.scoring import AnswerEvidence, LevelEstimate, session_level
from trainer.webapp.report_view import show_facts, show_fluency_timeline, show_scores, show_transcript
from trainer.webapp.text import dimension_title, escape_markdown


def weakest_dimension(dimensions: dict) -> str | None:
    """The dimension to work on: the lowest band that counts, then the lowest score.
    ``dimensions`` maps names to objects with ``band`` and ``score`` (DimensionResult or
    scoring.DimensionScore)."""
    if not dimensions:
        return None
    return min(dimensions, key=lambda name: (dimensions[name].band, dimensions[name].score))


def lessons_for(bank: ContentBank, dimension: str) -> list:
    """Lessons that train ``dimension`` (tagged with it in lessons/course), in course order."""
    return sorted(
        (lesson for lesson in bank.lessons if dimension in lesson.tags), key=lambda lesson: (lesson.unit, lesson.order)
    )


def current_level(points: Sequence, bank: ContentBank, last: int = 5) -> LevelEstimate | None:
    """The level of the last ``last`` scored answers (records.level_history points, oldest
    first) as one session, with the range it could be in; None before the first."""
    recent = [p for p in points if p.overall_score is not None][-last:]
    return session_level([AnswerEvidence(p.overall_score, p.words) for p in recent], bank.levels)


def show_comments(comments) -> None:
    if not comments:
        return
    st.subheader("Your coach's comments")
    for comment in comments:
        with st.container(border=True):
            when = (comment.updated_at or comment.created_at).astimezone().strftime("%d %b %Y %H:%M")
            st.caption(f"{escape_markdown(comment.author_name)} · {when}" + (" (edited)" if comment.updated_at else ""))
            st.markdown(escape_markdown(comment.text))


def comparison_rows(detail, earlier: Sequence, points: Sequence) -> list[dict]:
    """This attempt and the earlier ones (AttemptSummary, scored), newest first, with the
    bands that count per dimension (records.dimension_history points)."""
    bands: dict[int, dict[str, int]] = {}
    for point in points:
        bands.setdefault(point.attempt_id, {})[point.dimension] = point.band
    rows = []
    for summary in [detail.summary, *earlier]:
        row = {
            "when": summary.created_at.astimezone().strftime("%d %b %H:%M"),
            "overall": None if summary.overall_score is None else round(summary.overall_score),
            "level": summary.level or "",
        }
        own = (
            {n: d.band for n, d in detail.dimensions.items()} if summary.id == detail.id else bands.get(summary.id, {})
        )
        for name in detail.dimensions:
            row[dimension_title(name)] = own.get(name)
        row["this one"] = "◀" if summary.id == detail.id else ""
        rows.append(row)
    return rows


def show_comparison(detail, earlier: Sequence, points: Sequence, same_task: bool = True) -> None:
    st.subheader("Compared with your earlier answers")
    if not earlier:
        st.caption("This is your first scored answer of this kind: answer it again later to see your progress.")
        return
    if not same_task:
        st.caption(
            f"No earlier answer to this task; compared with your earlier "
            f"{task_type_name(detail.summary.task_type).lower()} answers."
        )
    previous = earlier[0]
    if detail.summary.overall_score is not None and previous.overall_score is not None:
        delta = detail.summary.overall_score - previous.overall_score
        st.metric("Overall, against your previous answer", f"{detail.summary.overall_score:.0f}/100", f"{delta:+.0f}")
    st.dataframe(comparison_rows(detail, earlier[:5], points), hide_index=True, placeholder="")


def show_next_lesson(dimensions: dict) -> None:
    name = weakest_dimension(dimensions)
    if name is None:
        return
    lessons = lessons_for(get_bank(), name)
    st.subheader("What to work on next")
    st.write(f"Your weakest area in this answer is **{dimension_title(name).lower()}** (band {dimensions[name].band}).")
    if not lessons:
        st.caption("Practise more tasks of this kind.")
        return
    st.page_link(
        "views/lessons.py",
        label=f"Take the lesson: {lessons[0].title}",
        icon="📘",
        query_params={"lesson": lessons[0].id},
    )
    for other in lessons[1:3]:
        st.page_link("views/lessons.py", label=f"Also: {other.title}", icon="📗", query_params={"lesson": other.id})


def show_attempt_status(summary) -> bool:
    """A message for an attempt that is not scored; True when it is scored."""
    if summary.status == AttemptStatus.SCORED:
        return True
    if summary.status == AttemptStatus.UNSCORABLE:
        st.warning(f"This answer could not be scored: {summary.status_reason}")
    elif summary.status == AttemptStatus.FAILED:
        st.warning(ScoreOutcome(summary.id, summary.status, summary.status_reason).message)
    else:
        st.info("This answer is saved and waiting to be scored.")
    return False


def show_feedback(detail, *, earlier: Sequence = (), points: Sequence = (), same_task: bool = True) -> None:
    """The full feedback of one saved attempt (records.AttemptDetail): recording or typed
    answer, scores with the coach's bands, evidence, transcript, fluency timeline, facts,
    coach comments, comparison with ``earlier`` attempts and the lesson to take next."""
    summary = detail.summary
    if detail.recording_path is not None and detail.recording_path.is_file():
        st.audio(str(detail.recording_path))
    scored = show_attempt_status(summary)
    report = detail.report
    if report is not None and scored:
        show_scores(report, detail.dimensions, detail.answer_text)
    show_comments(detail.comments)
    if report is not None:
        if report.transcript or detail.answer_text:
            show_transcript(report, detail.answer_text)
        show_fluency_timeline(report)
        show_facts(report)
    elif detail.answer_text:
        st.markdown("**Your reply**")
        st.text(detail.answer_text)
    if scored:
        show_comparison(detail, earlier, points, same_task)
        show_next_lesson(detail.dimensions)
