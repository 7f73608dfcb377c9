"""The data layer's API for attempts, in one place for pages: saving and scoring answers
(``attempts``), the coach's review (``reviews``), progress and export (``progress``), mock calls
(``mock_calls``) and the audit log (``audit_log``); the dataclasses they return are in
``attempt_views``.

Every function that returns attempts, reports or users takes the acting user and refuses what the
role may not see (``trainer.data.access``); overrides and edits write the audit log in the same
transaction.
"""

from __future__ import annotations

from trainer.data.attempt_views import (
    MAX_COMMENT_LENGTH,
    TRAINING_KINDS,
    TURN_GAP_SECONDS,
    AttemptDetail,
    AttemptSummary,
    AuditEntryView,
    CalibrationPair,
    CommentView,
    DimensionPoint,
    DimensionResult,
    LevelPoint,
    MockCallView,
    OverrideView,
    Progress,
    RecordingMissing,
    ScoreOutcome,
)
from trainer.data.attempts import (
    QueueState,
    ScoringJob,
    claim_attempt,
    get_attempt,
    keep_alive,
    list_attempts,
    note_stage,
    queue_attempt,
    queue_state,
    record_report,
    release_attempt,
    run_job,
    save_attempt,
    score_attempt,
    unfinished_attempt_ids,
    waiting_jobs,
)
from trainer.data.audit_log import (
    audit_log,
)
from trainer.data.mock_calls import (
    finish_mock_call,
    get_mock_call,
    list_mock_calls,
    start_mock_call,
)
from trainer.data.progress import (
    CSV_COLUMNS,
    dimension_history,
    export_csv,
    export_data,
    export_json,
    level_history,
)
from trainer.data.reviews import (
    add_comment,
    calibration_pairs,
    delete_comment,
    edit_comment,
    mark_reviewed,
    override_band,
    review_queue,
)

__all__ = [
    "Progress",
    "MAX_COMMENT_LENGTH",
    "TRAINING_KINDS",
    "TURN_GAP_SECONDS",
    "RecordingMissing",
    "ScoreOutcome",
    "AttemptSummary",
    "OverrideView",
    "CommentView",
    "DimensionResult",
    "AttemptDetail",
    "DimensionPoint",
    "LevelPoint",
    "CalibrationPair",
    "MockCallView",
    "AuditEntryView",
    "save_attempt",
    "score_attempt",
    "record_report",
    "QueueState",
    "ScoringJob",
    "queue_attempt",
    "claim_attempt",
    "note_stage",
    "keep_alive",
    "run_job",
    "release_attempt",
    "queue_state",
    "waiting_jobs",
    "unfinished_attempt_ids",
    "get_attempt",
    "list_attempts",
    "review_queue",
    "mark_reviewed",
    "override_band",
    "add_comment",
    "edit_comment",
    "delete_comment",
    "calibration_pairs",
    "dimension_history",
    "level_history",
    "export_data",
    "export_json",
    "CSV_COLUMNS",
    "export_csv",
    "start_mock_call",
    "get_mock_call",
    "list_mock_calls",
    "finish_mock_call",
    "audit_log",
]
