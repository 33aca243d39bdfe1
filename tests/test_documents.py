"""seeds/documents.csv, the register of the source documents, and how citations name them."""

import pytest

from geo.documents import DocumentError, document_label, load_documents
from tests.helpers import source_documents

HEADER = "file,title,publisher,date,note\n"


def test_the_register_lists_the_five_documents():
    documents = load_documents()
    assert sorted(documents) == sorted(source_documents())  # every document in ../shared/seeds, no other
    assert documents["001_bb1a3a0631c7cfec.txt"].date == "2020-12-08"


def test_each_title_is_the_documents_own_words():
    texts = source_documents()  # whitespace removed, as the quotes are checked
    for file, document in load_documents().items():
        for stated in (document.title, document.publisher):  # e.g. "ECCP" and "MBN" occur in their files
            assert "".join(stated.split()) in texts[file], (file, stated)


@pytest.mark.parametrize(
    ("file", "section", "label"),
    [
        ("002_b1590986cb6d8db3.txt", "Annex, Table 6", "Preparatory Briefing on Mexico (ECCP), Annex, Table 6"),
        ("001_bb1a3a0631c7cfec.txt", "article", "Bajio Alliance Moving Forward (MBN), article"),
        ("004_58e59f616717837b.txt", "", "D3.5 - Discussion paper on Mexico"),  # publisher not stated
        ("003_f9798965136af8b2.txt", "article", "003_f9798965136af8b2.txt, article"),  # no stated title: the file
        ("999_0000000000000000.txt", "Intro", "999_0000000000000000.txt, Intro"),  # not in the register
    ],
)
def test_document_label(file, section, label):
    assert document_label(file, section) == label


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("000_97e5dc63d500ae07.txt,T,P,2020-13-01,n\n", "date '2020-13-01' is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ("000_97e5dc63d500ae07.txt,T,,2020,a note\n", 'line 2: publisher is empty: say "publisher not stated"'),
        ("notes.txt,T,P,2020,n\n", "file 'notes.txt' is not a source document name"),
        ("000_97e5dc63d500ae07.txt,T,P,2020,n\n" * 2, "line 3: file '000_97e5dc63d500ae07.txt' is listed twice"),
    ],
)
def test_a_bad_register_names_line_and_problem(rows, message, tmp_path):
    (tmp_path / "documents.csv").write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(DocumentError, match=message):
        load_documents(tmp_path)


def test_a_wrong_header_is_an_error(tmp_path):
    (tmp_path / "documents.csv").write_text("file,title\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="expected the header file,title,publisher,date,note"):
        load_documents(tmp_path)
