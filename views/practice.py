"""Practice: any task from the bank, answered by voice, scored with evidence."""

import streamlit as st

from trainer import scoring
from trainer.audio import AudioError, load_audio
from trainer.ui import TASK_TYPE_NAMES, bank, show_report, show_task, warm_recogniser


def main() -> None:
    st.title("Practice")
    types = [t for t in TASK_TYPE_NAMES if bank().tasks_of_type(t)]
    task_type = st.selectbox("Task type", types, format_func=TASK_TYPE_NAMES.get)
    tasks = bank().tasks_of_type(task_type)
    task = st.selectbox("Task", tasks, format_func=lambda t: f"{t.level} · {t.display_title}")
    show_task(task)
    recording = st.audio_input("Record your answer", sample_rate=16000, key=f"rec-{task.id}")
    upload = st.file_uploader("...or upload a recording", type=["wav", "flac", "ogg", "webm", "mp3", "m4a"],
                              key=f"up-{task.id}")
    source = recording or upload
    if source is not None and st.button("Score my answer", type="primary"):
        try:
            audio = load_audio(source.getvalue())
        except AudioError as error:
            st.error(error.user_message)
            return
        with st.status("Scoring your answer...", expanded=True) as status:
            warm_recogniser()
            report = scoring.score(audio, task, progress=lambda stage: status.write(f"{stage}..."))
            status.update(label="Done", state="complete", expanded=False)
        show_report(report)



main()
