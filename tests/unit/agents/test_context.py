"""The stage context: what the worker remembers from one hop to the next is sized by the settings, or off."""

from __future__ import annotations

from agents.context import Memos, StageContext
from config.settings import Settings


def test_the_memos_are_sized_by_the_settings_and_zero_turns_each_off() -> None:
    memos = Memos.from_settings(Settings(recent_events=8, recent_documents_mb=1, recent_xml_mb=2, recent_text_mb=3))
    assert memos.events is not None and memos.events.budget == 8
    assert memos.documents is not None and memos.documents.budget == 1024 * 1024
    assert memos.xml is not None and memos.xml.budget == 2 * 1024 * 1024
    assert memos.text is not None and memos.text.budget == 3 * 1024 * 1024
    off = Memos.from_settings(Settings(recent_events=0, recent_documents_mb=0, recent_xml_mb=0, recent_text_mb=0))
    assert off == Memos() and (off.events, off.documents, off.xml, off.text) == (None, None, None, None)


def test_a_context_remembers_nothing_unless_the_worker_hands_it_memos() -> None:
    assert StageContext.create(Settings()).memos == Memos()
    memos = Memos.from_settings(Settings())
    assert StageContext.create(Settings(), memos=memos).memos is memos
