"""The register of the source documents (`seeds/documents.csv`): title, publisher and date of each
file in ../shared/seeds, as the file itself states them, so a citation can name the document.

Where a document does not state its title, publisher or date the cell is empty and the note says
"not stated"; nothing is filled in from outside the file.
"""

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from geo import schema
from geo.paths import seeds_dir

DOCUMENTS_FILE = "documents.csv"
DOCUMENTS = schema.Table("documents.csv", (
    schema.Column("file", schema.TEXT, "the document's file name in `../shared/seeds/`"),
    schema.Column("title", schema.TEXT, "the title as the document states it; empty when not stated"),
    schema.Column("publisher", schema.TEXT, "the publisher as the document (or another source document) names "
                  "it; empty when not stated"),
    schema.Column("date", schema.TEXT, "publication date as stated, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; empty when "
                  "not stated"),
    schema.Column("note", schema.TEXT, "what the document is, and what it does not state"),
))  # fmt: skip
_FILE = re.compile(r"[0-9]{3}_[0-9a-f]{16}\.txt")
_DATE = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?")


class DocumentError(ValueError):
    """documents.csv has problems; the message names each with its line."""


@dataclass(frozen=True)
class Document:
    file: str
    title: str
    publisher: str
    date: str
    note: str


def load_documents(folder: Path | None = None) -> dict[str, Document]:
    """File name -> Document, from `folder`/documents.csv (default: the seeds folder), checked."""
    return _load(Path(seeds_dir() if folder is None else folder) / DOCUMENTS_FILE)


def document_label(file: str, section: str = "", documents: dict[str, Document] | None = None) -> str:
    """How a citation names its document: "Preparatory Briefing on Mexico (ECCP), Annex, Table 6".
    A document without a stated title (or not in the register) is named by its file."""
    document = (load_documents() if documents is None else documents).get(file)
    label = document.title if document and document.title else file
    if document and document.publisher:
        label += f" ({document.publisher})"
    return f"{label}, {section}" if section else label


def source_labels(source: str, documents: dict[str, Document] | None = None) -> list[str]:
    """A record's `source` ("file, section | file, section") as readers name the documents:
    ["Preparatory Briefing on Mexico (ECCP), Annex, Table 6", ...]; an unknown file stays as written."""
    documents = load_documents() if documents is None else documents
    labels = []
    for part in (part.strip() for part in (source or "").split("|")):
        if not part:
            continue
        file, _, section = part.partition(",")
        known = file.strip() in documents
        labels.append(document_label(file.strip(), section.strip(), documents) if known else part)
    return labels


@functools.cache
def _load(path: Path) -> dict[str, Document]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != DOCUMENTS.names:
            raise DocumentError(f"{path.name}: expected the header {','.join(DOCUMENTS.names)}")
        rows = [(reader.line_num, Document(**{k: v.strip() for k, v in row.items()})) for row in reader]
    problems, documents = [], {}
    for line, document in rows:
        problems += [f"{path.name}, line {line}: {problem}" for problem in _problems(document, documents)]
        documents[document.file] = document
    if problems:
        raise DocumentError("\n".join(problems))
    return documents


def _problems(document: Document, seen: dict[str, Document]) -> list[str]:
    problems = []
    if not _FILE.fullmatch(document.file):
        problems.append(f"file {document.file!r} is not a source document name like 002_b1590986cb6d8db3.txt")
    if document.file in seen:
        problems.append(f"file {document.file!r} is listed twice")
    if document.date and not _DATE.fullmatch(document.date):
        problems.append(f"date {document.date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    for field in ("title", "publisher", "date"):
        if not getattr(document, field) and f"{field} not stated" not in document.note.casefold():
            problems.append(f'{field} is empty: say "{field} not stated" in the note')
    return problems
