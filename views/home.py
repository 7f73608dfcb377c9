"""Home: what the product does and where to start."""

import streamlit as st

from trainer.ui import TASK_TYPE_NAMES, bank


def main() -> None:
    st.title("BPO English Trainer")
    st.write(
        "Practise the spoken English that call-centre hiring tests check: read aloud, repeat, "
        "answer questions and handle simulated customer calls. Each answer is scored for "
        "grammar, fluency, pronunciation, vocabulary, comprehension and call handling, with "
        "the evidence behind every score."
    )
    counts = {label: len(bank().tasks_of_type(kind)) for kind, label in TASK_TYPE_NAMES.items()}
    st.dataframe([{"task type": k, "tasks": v} for k, v in counts.items()], hide_index=True)
    st.page_link("views/practice.py", label="Start practising", icon="🎙️")



main()
