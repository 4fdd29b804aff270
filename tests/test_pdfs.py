"""The corpus helper: a missing real-world corpus fails a CI run and skips a local one, loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import pdfs


def test_a_missing_corpus_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pdfs, "CORPUS", tmp_path / "absent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CORPUS MISSING.*CI runs must have it"):
        pdfs.corpus()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="CORPUS MISSING"):
        pdfs.corpus()


def test_a_present_corpus_is_handed_over(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "files.json").write_text('{"data": []}')
    monkeypatch.setattr(pdfs, "CORPUS", tmp_path)
    monkeypatch.setenv("CI", "true")
    assert pdfs.corpus() == tmp_path
