"""Multi-select of session topics (DESIGN §2 ``Topic``): Space or Enter toggles a topic."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import SelectionList

from counselor_tui.domain import vocab


class TopicSelect(SelectionList[str]):
    """The topics of :data:`counselor_tui.domain.vocab.TOPICS`, labels translated; the value
    is the tuple of chosen codes in vocabulary order."""

    def __init__(self, chosen: Iterable[str] = (), *, id: str | None = None) -> None:
        picked = set(chosen)
        super().__init__(*[(vocab.label(vocab.TOPICS, code), code, code in picked)
                           for code in vocab.TOPICS], id=id, compact=True)

    @property
    def topics(self) -> tuple[str, ...]:
        """Chosen topic codes, in vocabulary order."""
        chosen = set(self.selected)
        return tuple(code for code in vocab.TOPICS if code in chosen)

    def set_topics(self, codes: Iterable[str]) -> None:
        """Choose exactly ``codes``."""
        self.deselect_all()
        for code in codes:
            self.select(code)
