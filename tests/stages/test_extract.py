"""extract: book-grade text from the typeset sample, and bad PDFs reported, never fatal to others."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from stages.core.jsonl import read_jsonl
from tests.conftest import stage


def bad_pdfs(folder: Path) -> None:
    from PIL import Image
    from reportlab.pdfgen.canvas import Canvas

    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF")
    (folder / "empty.pdf").write_bytes(b"")
    c = Canvas(str(folder / "encrypted.pdf"), encrypt="secret", invariant=1)
    c.drawString(72, 720, "A secret page of text.")
    c.save()
    img = Image.new("RGB", (200, 100), "white")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    from reportlab.lib.utils import ImageReader

    c = Canvas(str(folder / "scan with spaces é.pdf"), invariant=1)
    c.drawImage(ImageReader(buf), 72, 500, 300, 150)
    c.save()


def test_bad_pdfs_are_reported_and_good_ones_extracted(project: Path) -> None:
    bad_pdfs(project / "data/raw")
    proc = stage("extract", check=False)
    assert proc.returncode == 3, proc.stderr  # strict: says something failed, after writing
    docs = {Path(d["path"]).name: d for d in read_jsonl("data/extracted/documents.jsonl")}
    assert docs["corrupt.pdf"]["error"]["code"] == "corrupt"
    assert docs["empty.pdf"]["error"]["code"] == "empty"
    assert docs["encrypted.pdf"]["error"]["code"] == "encrypted"
    assert docs["scan with spaces é.pdf"]["error"]["code"] == "image-only"
    assert "OCR" in docs["scan with spaces é.pdf"]["error"]["hint"]
    assert sum(d["status"] == "ok" for d in docs.values()) == 3
    report = Path("data/extracted/report.md").read_text()
    assert "**encrypted**" in report and "qpdf" in report
    metrics = json.loads(Path("metrics/extract.json").read_text())
    assert metrics["documents_failed"] == {
        "corrupt": 1,
        "empty": 1,
        "encrypted": 1,
        "image-only": 1,
    }
    assert "ERROR" in proc.stderr and "Traceback" not in proc.stderr
    # not strict: the run goes on with the good PDFs
    Path("params.yaml").write_text(
        Path("params.yaml").read_text().replace("strict: true", "strict: false")
    )
    assert (
        subprocess.run([sys.executable, "-m", "stages.extract"], capture_output=True).returncode
        == 0
    )


def test_only_changed_pdfs_are_reanalysed(project: Path) -> None:
    stage("extract")
    cache = sorted(Path("data/cache/extract").glob("*.json"))
    assert len(cache) == 3
    before = {p: p.stat().st_mtime_ns for p in cache}
    first = Path("data/extracted/paragraphs.jsonl").read_bytes()
    stage("extract")
    assert {p: p.stat().st_mtime_ns for p in cache} == before  # read from the cache, not rewritten
    assert Path("data/extracted/paragraphs.jsonl").read_bytes() == first
