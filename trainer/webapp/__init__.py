"""The Streamlit helpers the pages in views/ share, by concern. Display code only: every
score, attempt and piece of content comes from the layers below (trainer.data,
trainer.scoring, trainer.content, trainer.speech), and every rule an answer must meet is
the data layer's.

- ``session``: who is signed in (``current_actor``), sign-out, the sidebar, a page's
  refusal (``require`` for staff pages, ``require_actor`` for the applicant's, ``refuse``),
  ids from query parameters, friendly error messages (``show_error``).
- ``text``: escaping user text for Markdown (``escape_markdown``), dates, the names of
  dimensions, features, roles and attempts (task types: ``trainer.content.TASK_TYPE_NAMES``).
- ``transcript``: a transcript or a reading as escaped HTML.
- ``report_view``: a scored answer: scores, dimensions with evidence, transcript, fluency
  timeline, the caller's details; the answer and bands for the staff.
- ``feedback``: the applicant's feedback on an answer, the comparison with earlier ones,
  the lesson to take next, the current level.
- ``recording``: answering a task: the task as shown and heard, the clock, upload types,
  scoring with each stage shown.
- ``resources``: loaded once per server: the speech model, LanguageTool, the interview
  scoring thread, synthesised voices.
"""
