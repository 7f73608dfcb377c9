"""Coach: how the machine's bands agree with the coaches' over a period, per dimension:
exact and adjacent agreement and quadratic weighted kappa (trainer.scoring.coach_agreement)."""

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from trainer.data import AccessDenied, Role, accounts, records
from trainer.scoring.coach_agreement import agreement
from trainer.webapp.session import refuse, require


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def main() -> None:
    actor = require(Role.COACH, Role.ADMIN)
    st.title("Calibration: coaches vs the machine")
    st.caption(
        "Every band a coach changed counts once (the latest change); with the box below, so does every "
        "band a coach kept when marking an attempt reviewed."
    )
    try:
        cohorts = accounts.list_cohorts(actor)
    except AccessDenied as error:
        refuse(error)
    cols = st.columns([3, 2, 2])
    today = date.today()
    period = cols[0].date_input("Period", value=(today - timedelta(days=90), today))
    cohort = cols[1].selectbox(
        "Cohort", [None, *cohorts], format_func=lambda c: "all my cohorts" if c is None else c.name
    )
    include_confirmed = cols[2].checkbox("Count kept bands", value=True)
    since = until = None
    if isinstance(period, (tuple, list)) and period:
        since = datetime.combine(period[0], time.min, UTC)
        until = datetime.combine(period[-1], time.min, UTC) + timedelta(days=1)
    try:
        pairs = records.calibration_pairs(
            actor,
            since=since,
            until=until,
            cohort_id=cohort.id if cohort else None,
            include_confirmed=include_confirmed,
        )
    except AccessDenied as error:
        refuse(error)
    if not pairs:
        st.info("No reviewed or changed bands in this period yet.")
        return
    rows = agreement(pairs)
    st.dataframe(
        [
            {
                "dimension": r.dimension.replace("_", " "),
                "pairs": r.pairs,
                "changed": r.overridden,
                "exact": percent(r.exact),
                "adjacent (±1)": percent(r.adjacent),
                "weighted kappa": "n/a" if r.kappa is None else f"{r.kappa:.2f}",
                "coach - machine (bands)": f"{r.mean_difference:+.2f}",
            }
            for r in rows
        ],
        hide_index=True,
        placeholder="",
    )
    st.caption(
        "Kappa: 1 is perfect agreement, 0 is chance; quadratic weights make a two-band disagreement "
        "count four times a one-band one. n/a: every pair had the same band, so chance explains it all. "
        "A positive coach - machine difference means coaches give higher bands than the machine."
    )

    dimension = st.selectbox(
        "Bands side by side for",
        [r.dimension for r in rows if r.dimension != "all"],
        format_func=lambda d: d.replace("_", " "),
    )
    counts = {(m, c): 0 for m in range(1, 6) for c in range(1, 6)}
    for pair in pairs:
        if pair.dimension == dimension and (pair.machine_band, pair.coach_band) in counts:
            counts[(pair.machine_band, pair.coach_band)] += 1
    st.dataframe(
        [{"machine band": m, **{f"coach {c}": counts[(m, c)] for c in range(1, 6)}} for m in range(1, 6)],
        hide_index=True,
        placeholder="",
    )


main()
