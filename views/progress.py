"""Progress: scores per dimension over time (chart and table), level over time, and the
export of one's own data (CSV, JSON)."""

import altair as alt
import pandas as pd
import streamlit as st

from trainer.content import get_bank, task_type_name
from trainer.data import records
from trainer.webapp.feedback import current_level
from trainer.webapp.session import require_actor, show_error
from trainer.webapp.text import attempt_title, dimension_title, escape_markdown

# Dates on the time axis even for one answer (Vega-Lite's default then shows milliseconds).
WHEN_AXIS = alt.Axis(format="%d %b %H:%M", labelAngle=0, tickCount=6)


def level_chart(levels) -> alt.Chart:
    frame = pd.DataFrame(
        [
            {"when": p.at, "overall": p.overall_score, "level": p.level, "task": task_type_name(p.task_type)}
            for p in levels
        ]
    )
    cuts = pd.DataFrame([{"score": c.min_score, "cut": c.cefr} for c in get_bank().levels.levels if c.min_score > 0])
    line = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("when:T", title=None, axis=WHEN_AXIS),
            y=alt.Y("overall:Q", title="overall score", scale=alt.Scale(domain=[0, 100])),
            tooltip=["when:T", "overall:Q", "level:N", "task:N"],
        )
    )
    rules = alt.Chart(cuts).mark_rule(strokeDash=[4, 4], color="#8c959f").encode(y="score:Q")
    labels = (
        alt.Chart(cuts)
        .mark_text(align="left", dx=4, dy=-6, color="#57606a")
        .encode(y="score:Q", text="cut:N", x=alt.value(0))
    )
    return (rules + labels + line).properties(
        height=260, title="Overall score and level (dashed: where each level starts)"
    )


def dimension_chart(points) -> alt.Chart:
    frame = pd.DataFrame(
        [{"when": p.at, "dimension": dimension_title(p.dimension), "score": p.score, "band": p.band} for p in points]
    )
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("when:T", title=None, axis=WHEN_AXIS),
            y=alt.Y("score:Q", title="score", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("dimension:N", title=None),
            tooltip=["when:T", "dimension:N", "score:Q", "band:Q"],
        )
        .properties(height=300, title="Each dimension over time")
    )


def dimension_table(levels, points) -> list[dict]:
    """One row per scored answer: when, task type, overall, level, band per dimension."""
    bands: dict[int, dict[str, str]] = {}
    for p in points:
        bands.setdefault(p.attempt_id, {})[dimension_title(p.dimension)] = f"{p.score:.0f} (band {p.band})"
    return [
        {
            "when": p.at.astimezone().strftime("%d %b %Y %H:%M"),
            "task": task_type_name(p.task_type),
            "overall": round(p.overall_score),
            "level": p.level,
            **bands.get(p.attempt_id, {}),
        }
        for p in reversed(levels)
    ]


def export(actor) -> None:
    st.subheader("Your data")
    st.caption(
        "Everything saved under your profile: every answer with its scores, bands, coach comments and transcript."
    )
    cols = st.columns(2)
    cols[0].download_button(
        "Download as CSV", records.export_csv(actor), file_name="my-answers.csv", mime="text/csv", icon="⬇️"
    )
    cols[1].download_button(
        "Download as JSON", records.export_json(actor), file_name="my-answers.json", mime="application/json", icon="⬇️"
    )


def main() -> None:
    actor = require_actor()
    st.title("Progress")
    try:
        levels = records.level_history(actor)
        points = records.dimension_history(actor)
    except Exception as error:  # noqa: BLE001
        show_error(error)
        return
    if not levels:
        st.info("No scored answers yet: your progress appears here after your first one.")
        st.page_link("views/practice.py", label="Practise a task", icon="🎙️")
    else:
        estimate = current_level(levels, get_bank())
        assert estimate is not None  # there are scored answers
        cols = st.columns([2, 1, 1])  # the level with its range needs room
        cols[0].metric(
            "Your level now",
            estimate.text(),
            help="From your latest answers. The range is how sure the level is: it narrows with more and longer answers.",
        )
        cols[1].metric("Answers scored", len(levels))
        first = levels[0].level
        cols[2].metric("Your first level", first)
        st.caption(escape_markdown(estimate.sentence()))
        st.altair_chart(level_chart(levels), width="stretch")
        if points:
            st.altair_chart(dimension_chart(points), width="stretch")
        st.dataframe(dimension_table(levels, points), hide_index=True, placeholder="")
        with st.expander("Open the feedback of an answer"):
            for summary in records.list_attempts(actor, kinds=["practice", "mock_call"], statuses=["scored"], limit=10):
                st.page_link(
                    "views/feedback.py",
                    label=f"{attempt_title(summary, get_bank())}: {summary.overall_score:.0f}/100",
                    icon="📝",
                    query_params={"attempt": str(summary.id)},
                )
    try:
        export(actor)
    except Exception as error:  # noqa: BLE001
        show_error(error)


main()
