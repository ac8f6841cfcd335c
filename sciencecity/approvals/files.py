"""Uploaded materials: checked by size and by content, stored through Django's storage API.

The type of a file is read from its first bytes (magic numbers), never from its name alone: a program renamed
to `x.pdf` is refused. The zip-based formats are told apart by their contents (a .docx holds
`word/document.xml`, an .xlsx `xl/workbook.xml`, an OFD `OFD.xml`). The stored name is the sanitized original
stem with the extension of the detected type, under `materials/<year>/<month>/` of the default storage.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

MB = 1024 * 1024
CHUNK = 64 * 1024

# Extension → MIME type of the kinds we recognize.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "dwg": "image/vnd.dwg",
}
ALIASES = {"jpeg": "jpg"}
ZIP_MAGIC = b"PK\x03\x04"
# A member that identifies a zip-based format.
ZIP_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "ofd": "OFD.xml"}


@dataclass(frozen=True)
class CheckedUpload:
    extension: str  # of the detected type, e.g. "pdf"
    content_type: str
    size: int
    original_name: str


def _head(uploaded_file, n: int = 16) -> bytes:
    uploaded_file.seek(0)
    head = uploaded_file.read(n)
    uploaded_file.seek(0)
    return head or b""


def _zip_members(uploaded_file) -> set[str]:
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()
    finally:
        uploaded_file.seek(0)


def detect_kinds(uploaded_file) -> set[str]:
    """The extensions that the content of `uploaded_file` is a valid instance of (empty if none we know)."""
    head = _head(uploaded_file)
    if head.startswith(b"%PDF-"):
        return {"pdf"}
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if head.startswith(b"\xff\xd8\xff"):
        return {"jpg"}
    if head.startswith((b"GIF87a", b"GIF89a")):
        return {"gif"}
    if head.startswith(b"AC10"):
        return {"dwg"}
    if head.startswith(ZIP_MAGIC):
        members = _zip_members(uploaded_file)
        if not members:
            return set()
        kinds = {"zip"}
        kinds.update(kind for kind, marker in ZIP_MARKERS.items() if marker in members)
        return kinds
    return set()


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    return ALIASES.get(suffix, suffix)


def _accepted_formats(spec) -> list[str]:
    formats = [ALIASES.get(str(f).lower(), str(f).lower()) for f in (spec.formats or [])]
    # A material that names no format accepts any kind we recognize.
    return formats or list(CONTENT_TYPES)


def as_file(uploaded_file) -> File:
    """A Django `File` (an UploadedFile already is one; an open binary file gets wrapped)."""
    return uploaded_file if isinstance(uploaded_file, File) else File(uploaded_file)


def check_upload(spec, uploaded_file) -> CheckedUpload:
    """Check `uploaded_file` against the material spec: size, then type by content.

    The detected type must be one of `spec.formats`; when the content fits several (a .docx is also a zip),
    the file's own extension chooses among them. Raises ValidationError with code `file_too_large` or
    `unsupported_file_type`.
    """
    uploaded_file = as_file(uploaded_file)
    name = base_name(uploaded_file.name)
    size = uploaded_file.size
    limit = spec.max_size_mb * MB
    if size > limit:
        raise ValidationError(
            _("文件“%(name)s”大小为 %(size).1f MB,超过“%(material)s”的上限 %(limit)s MB。"),
            code="file_too_large",
            params={"name": name, "size": size / MB, "material": spec.name, "limit": spec.max_size_mb},
        )
    formats = _accepted_formats(spec)
    unsupported = ValidationError(
        _("文件“%(name)s”的内容不是“%(material)s”接受的格式(%(formats)s)。"),
        code="unsupported_file_type",
        params={"name": name, "material": spec.name, "formats": "、".join(formats)},
    )
    if size == 0:
        raise unsupported
    kinds = detect_kinds(uploaded_file) & set(formats)
    if not kinds:
        raise unsupported
    claimed = _extension(name)
    # The name chooses among the kinds the content fits; else the most specific (a .docx over its zip).
    extension = claimed if claimed in kinds else min(kinds, key=lambda kind: (kind == "zip", kind))
    return CheckedUpload(
        extension=extension, content_type=CONTENT_TYPES[extension], size=size, original_name=name[:255]
    )


def sanitized_name(original_name: str, extension: str, fallback: str = "material") -> str:
    """A safe file name: the original stem without any directory part or odd characters, plus `extension`."""
    base = base_name(original_name)
    stem = (PurePosixPath(base).stem if "." in base else base).strip().strip(".")
    try:
        stem = get_valid_filename(stem) if stem else ""
    except SuspiciousFileOperation:  # nothing usable left, e.g. "@@@"
        stem = ""
    stem = stem.lstrip(".-")[:80] or fallback
    return f"{stem}.{extension}"


def base_name(name: str) -> str:
    """The last component of a path written the POSIX or the Windows way."""
    return PureWindowsPath(PurePosixPath(name or "").name).name


def sha256_of(uploaded_file) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    if hasattr(uploaded_file, "chunks"):
        for chunk in uploaded_file.chunks(CHUNK):
            digest.update(chunk)
    else:
        for chunk in iter(lambda: uploaded_file.read(CHUNK), b""):
            digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def store_upload(material, uploaded_file, checked: CheckedUpload, *, fallback: str = "material") -> None:
    """Fill `material`'s file fields from a checked upload and write the file through its FileField (the
    default storage); the caller saves the row."""
    uploaded_file = as_file(uploaded_file)
    material.original_name = checked.original_name
    material.content_type = checked.content_type
    material.size = checked.size
    material.sha256 = sha256_of(uploaded_file)
    uploaded_file.seek(0)
    material.file.save(
        sanitized_name(checked.original_name, checked.extension, fallback), uploaded_file, save=False
    )


# Kinds a browser shows itself (the reviewer reads them in place); anything else downloads.
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif")


def material_response(material) -> FileResponse:
    """A submitted material's stored file as a response (pages and API); 404 when it has none on disk."""
    if not material.file:
        raise Http404(_("该材料没有文件。"))
    try:
        handle = material.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("该材料没有文件。")) from None
    content_type = material.content_type or "application/octet-stream"
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=content_type not in INLINE_TYPES,
        filename=material.original_name or base_name(material.file.name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
