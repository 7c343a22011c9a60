"""The project's documents stand on their own: every file they point to is in the repository.

Markdown links (``[text](path)``) and backticked paths ending in ``.md`` are resolved against
the document's folder (then the repository root, as prose often names ``docs/design.md`` from
anywhere); each must be a file inside the repository. The contract the code implements is one
of them: ``docs/contract.md``, which ``docs/design.md`` names as its spec.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import ROOT

DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
        ROOT / "benchmarks" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
BACKTICKED = re.compile(r"`([^`\s]+\.md)`")


def _targets(doc: Path) -> list[str]:
    text = doc.read_text()
    links = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    return links + BACKTICKED.findall(text)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_document_it_names_is_in_the_repository(doc: Path) -> None:
    for target in _targets(doc):
        candidates = [(doc.parent / target).resolve(), (ROOT / target).resolve()]
        found = [c for c in candidates if c.exists()]
        assert found, f"{doc.name} names {target}, which is not in the repository"
        assert all(c.is_relative_to(ROOT) for c in found), f"{doc.name}: {target} is outside"


def test_the_contract_is_in_the_repository_and_design_points_to_it() -> None:
    contract = ROOT / "docs" / "contract.md"
    assert contract.read_text().startswith("# fdevent — the contract\n")
    design = (ROOT / "docs" / "design.md").read_text()
    assert "[contract.md](contract.md)" in design.split("\n## ")[0]
