"""Made-up inputs that pass the platform's checks: one small file of each format the catalog asks for (valid by
content, see approvals/files.py) and a value for each kind of form field. Shared by the tests and `make bench`,
which fill in applications the way an applicant would."""

import io
import zipfile

from sciencecity.catalog.models import FormField


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


SAMPLES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n",
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "gif": b"GIF89a" + b"\x00" * 32,
    "dwg": b"AC1032" + b"\x00" * 32,
    "zip": _zip({"drawings/a.txt": b"a"}),
    "docx": _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
    "xlsx": _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
    "ofd": _zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"}),
}

FILLERS = {
    FormField.Kind.TEXT: "科学城建设有限公司",
    FormField.Kind.TEXTAREA: "请协助办理。",
    FormField.Kind.NUMBER: 30,
    FormField.Kind.DECIMAL: "1200.5",
    FormField.Kind.DATE: "2026-07-01",
    FormField.Kind.BOOLEAN: True,
}
