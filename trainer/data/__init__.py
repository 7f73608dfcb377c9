"""The data layer: accounts, attempts and their scores, mock calls, interviews, and the
rules an answer must meet before it is saved. Pages use the modules (``records``,
``accounts``, ``interviews``, ``web_sessions``) and the names below; never ``storage`` directly.

    from trainer.data import AttemptStatus, Role, StorageUnavailable, records
"""

from trainer.data.access import AccessDenied, Actor, NotFound
from trainer.data.recordings import (
    ANSWER_GRACE_SECONDS,
    AUDIO_EXTENSIONS,
    ReplyTooLong,
    answer_limit,
    check_upload_name,
    upload_limit_megabytes,
)
from trainer.data.storage import AttemptKind, AttemptStatus, CallStatus, Origin, Role, StorageUnavailable

__all__ = [
    "ANSWER_GRACE_SECONDS",
    "AUDIO_EXTENSIONS",
    "AccessDenied",
    "Actor",
    "AttemptKind",
    "AttemptStatus",
    "CallStatus",
    "NotFound",
    "check_upload_name",
    "upload_limit_megabytes",
    "Origin",
    "ReplyTooLong",
    "Role",
    "StorageUnavailable",
    "answer_limit",
]
