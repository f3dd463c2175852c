"""Hypothesis strategies the tests share."""

from __future__ import annotations

from hypothesis import strategies as st

from deconflict.rules.ids import ID_PUNCTUATION, id_problem, normal_id


def feature_ids(max_size: int = 40) -> st.SearchStrategy[str]:
    """Feature ids as the line takes them: letters and marks of any script, digits and
    `-_.:`, in NFC form (docs/reference.md)."""
    characters = st.characters(
        categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd"),
        include_characters="".join(sorted(ID_PUNCTUATION)),
    )
    return (
        st.text(characters, min_size=1, max_size=max_size)
        .map(normal_id)
        .filter(lambda text: id_problem(text) is None)
    )
