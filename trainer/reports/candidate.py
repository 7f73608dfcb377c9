"""A candidate's interview report for the recruiter: scores, level, pass or fail against the
interview's bar, evidence highlights per answer and links to each recording in the app, as
data (``candidate_report``) and as a PDF (``render_pdf``, with fpdf2).

    report = candidate_report(recruiter, invitation_id)   # AccessDenied unless theirs (or admin)
    pdf_bytes = render_pdf(report)                        # for st.download_button

The PDF uses DejaVu Sans (Debian's fonts-dejavu-core, installed by run.sh) so that a name in
any script prints; without it, Helvetica with unprintable characters replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from trainer.config import get_settings
from trainer.content import get_bank, task_type_name
from trainer.data import interviews, records
from trainer.data.access import Actor
from trainer.data.storage import AttemptStatus, utcnow
from trainer.reports import evidence
from trainer.scoring.report import ScoreInterval

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
MAX_ANSWER_CHARS = 700
INTERVAL_NOTE = (
    '"Likely between" gives the range that held the experts\' score for 8 in 10 comparable '
    "expert-rated readings (pronunciation and fluency of read-aloud answers); an interview's range "
    "combines its answers', so it is wide after one short reading and narrows as answers add up."
)


@dataclass(frozen=True)
class DimensionLine:
    name: str
    score: float
    band: int  # the band that counts (a coach's, if one changed it)
    label: str
    machine_band: int  # the band the evidence below it decided
    interval: ScoreInterval | None = None  # where the machine's score likely lies (calibrated scores)

    def text(self) -> str:
        score = self.interval.words(self.score) if self.interval else f"{self.score:.0f}"
        line = f"{self.name.replace('_', ' ')}: {score} (band {self.band}, {self.label})"
        if self.band != self.machine_band:
            line += f"; set by a coach, the machine gave band {self.machine_band}"
        return line


@dataclass(frozen=True)
class ItemReport:
    position: int  # 0-based
    task_id: str
    task_type: str
    task_title: str
    attempt_id: int | None  # None: not answered yet
    status: str  # attempt status, or "not answered"
    note: str | None  # why an answer could not be scored
    overall_score: float | None
    level: str | None
    dimensions: tuple[DimensionLine, ...]
    highlights: dict[str, list[str]]  # dimension -> evidence lines (the thresholds that decided the band first)
    grammar_notes: tuple[str, ...]  # the answer's grammar errors (the app lists them under the answer)
    answer: str | None  # the transcript or the typed reply
    has_recording: bool
    overall_interval: ScoreInterval | None = None


@dataclass(frozen=True)
class CandidateReport:
    invitation: interviews.InvitationView
    template: interviews.TemplateView
    result: interviews.CandidateResult
    items: tuple[ItemReport, ...]
    made_at: datetime

    @property
    def verdict(self) -> str:
        return self.result.verdict.upper()

    @property
    def bar(self) -> str:
        return self.template.bar_text


def audio_link(invitation_id: int, attempt_id: int, app_url: str | None = None) -> str:
    """The app's page with this answer's recording; it asks whoever is not signed in to sign
    in first, then opens."""
    base = (app_url or get_settings().app_url).rstrip("/")
    return f"{base}/recruiter_candidate?{urlencode({'invitation': invitation_id, 'attempt': attempt_id})}"


def _task_title(task_id: str) -> str:

    try:
        return get_bank().get_task(task_id).display_title
    except KeyError:
        return task_id


def _item(item: interviews.InterviewItem, detail: records.AttemptDetail | None) -> ItemReport:
    title = _task_title(item.task_id)
    if detail is None:
        return ItemReport(
            item.position,
            item.task_id,
            item.task_type,
            title,
            None,
            "not answered",
            None,
            None,
            None,
            (),
            {},
            (),
            None,
            False,
        )
    summary, report = detail.summary, detail.report
    scored = report.dimensions if report is not None and summary.status == AttemptStatus.SCORED else {}
    lines = tuple(
        DimensionLine(
            d.name,
            d.score,
            d.band,
            d.label,
            d.machine_band,
            scored[d.name].interval if d.name in scored and d.score == scored[d.name].score else None,
        )
        for d in detail.dimensions.values()
    )
    highlights: dict[str, list[str]] = {}
    notes: tuple[str, ...] = ()
    if report is not None and summary.status == AttemptStatus.SCORED:
        highlights = {name: evidence.highlights(dim) for name, dim in report.dimensions.items()}
        notes = tuple(line for dim in report.dimensions.values() for line in evidence.error_lines(dim))
    answer = detail.answer_text or (report.transcript.text if report is not None and report.transcript else None)
    note = summary.status_reason if summary.status == AttemptStatus.UNSCORABLE else None
    if summary.status in (AttemptStatus.RECORDED, AttemptStatus.SCORING, AttemptStatus.FAILED):
        note = "saved, not scored yet"
    return ItemReport(
        item.position,
        item.task_id,
        item.task_type,
        title,
        summary.id,
        summary.status.value,
        note,
        summary.overall_score,
        summary.level,
        lines,
        highlights,
        notes,
        answer,
        detail.recording_path is not None,
        report.overall.interval if report is not None and scored and report.overall else None,
    )


def candidate_report(actor: Actor, invitation_id: int) -> CandidateReport:
    """Everything the PDF shows, read through the data layer's checks (the recruiter who
    sent the invitation, or an admin)."""
    invitation = interviews.get_invitation(actor, invitation_id)
    template = interviews.get_template(actor, invitation.template_id)
    result = interviews.candidate_result(actor, invitation_id)
    answers = {
        a.position: records.get_attempt(actor, a.id)
        for a in records.list_attempts(actor, invitation_id=invitation_id, newest_first=False)
    }
    items = tuple(_item(item, answers.get(item.position)) for item in template.items)
    return CandidateReport(invitation, template, result, items, utcnow())


# --------------------------------------------------------------------------- PDF


def _font_files() -> tuple[Path, Path] | None:
    for folder in FONT_FOLDERS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def _score(value: float | None, interval: ScoreInterval | None = None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}/100" + (f" (likely between {interval.low:.0f} and {interval.high:.0f})" if interval else "")


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def render_pdf(report: CandidateReport, app_url: str | None = None) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    fonts = _font_files()
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
        family = "DejaVu"

        def clean(text: str) -> str:
            return text
    else:
        family = "Helvetica"

        def clean(text: str) -> str:
            return text.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(clean(f"Interview report: {report.result.candidate_name}"))
    pdf.set_creator("BPO English Trainer")
    pdf.add_page()

    def write(text: str, size: float = 10, bold: bool = False, link: str | None = None, height: float = 5) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        if link:
            pdf.set_text_color(20, 60, 170)
        pdf.multi_cell(0, height, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, link=link or None, align="L")
        pdf.set_text_color(0, 0, 0)

    result, invitation = report.result, report.invitation
    write("BPO English Trainer - interview report", 9)
    write(result.candidate_name, 18, bold=True, height=9)
    write(f"Interview: {report.template.name}")
    write(
        f"Invited {_when(invitation.created_at)}; finished {_when(invitation.finished_at)}; "
        f"status {invitation.status}; answered {result.answered} of {result.total}"
    )
    pdf.ln(3)
    estimate = result.level_estimate
    level = estimate.text() if estimate else "-"
    write(
        f"Overall score {_score(result.overall_score, result.overall_interval)}    Level {level}    Result {report.verdict}",
        13,
        bold=True,
        height=7,
    )
    if estimate is not None:
        write(estimate.sentence())
    write(f"Pass bar: {report.bar}")
    pdf.ln(2)

    if result.dimensions:
        write("Scores per dimension (mean over the answers)", 11, bold=True)
        pdf.set_font(family, "", 10)
        with pdf.table(
            col_widths=(60, 30, 40, 50), text_align=("LEFT", "RIGHT", "RIGHT", "LEFT"), first_row_as_headings=True
        ) as table:
            table.row(["Dimension", "Score", "Minimum", "Met"])
            for name, value in result.dimensions.items():
                minimum = report.template.pass_minimums.get(name)
                met = "" if minimum is None else ("yes" if value >= minimum else "no")
                table.row([name.replace("_", " "), f"{value:.0f}", "" if minimum is None else f"{minimum:g}", met])
        pdf.ln(3)

    write("Answers", 13, bold=True, height=7)
    for item in report.items:
        pdf.ln(1)
        kind = task_type_name(item.task_type)
        write(f"{item.position + 1}. {kind}: {item.task_title}", 11, bold=True)
        if item.attempt_id is None:
            write("Not answered.")
            continue
        status = (
            f"Score {_score(item.overall_score, item.overall_interval)}, level {item.level}"
            if item.overall_score is not None
            else f"Not scored ({item.status})"
        )
        write(status + (f" - {item.note}" if item.note else ""))
        for line in item.dimensions:
            write(line.text(), bold=True)
            notes = item.grammar_notes if line.name == "grammar" else ()
            for text in [*item.highlights.get(line.name, []), *notes]:
                write(f"    - {text}", 9, height=4.5)
        if item.answer:
            answer = item.answer if len(item.answer) <= MAX_ANSWER_CHARS else item.answer[:MAX_ANSWER_CHARS] + "..."
            write(("Typed reply: " if item.task_type == "chat_reply" else "Transcript: ") + answer, 9, height=4.5)
        if item.has_recording:
            write(
                "Listen to the recording in the app",
                9,
                link=audio_link(invitation.id, item.attempt_id, app_url),
                height=4.5,
            )
    pdf.ln(4)
    write(
        f"Made {_when(report.made_at)}. Scores are the machine's, with the evidence that produced them; "
        "confidential: for the hiring team only. " + INTERVAL_NOTE,
        8,
    )
    return bytes(pdf.output())
