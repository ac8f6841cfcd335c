"""Photos of problems, checked by their content and re-encoded by the platform.

A file is accepted when Pillow decodes it as a JPEG, PNG, WebP or GIF image of sensible size — its name and
declared type count for nothing. It is then turned upright (by its EXIF orientation), scaled down to at most
`MAX_SIDE` pixels and written anew as a JPEG, so nothing of the original file survives but its pixels: a
citizen's photo loses the GPS position and the camera data in its EXIF. Staff photos (inspectors, departments)
keep their EXIF, because where and when the evidence was taken is part of the evidence.
"""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 50-megapixel phone photo is refused before decoding, a decompression bomb too
MAX_SIDE = 2560
MAX_PHOTOS = 9
QUALITY = 85


def clean_photo(upload, *, keep_metadata: bool = False) -> ContentFile:
    """The re-encoded JPEG of an uploaded image, or ValidationError saying what is wrong with the file."""
    name = getattr(upload, "name", "") or _("照片")
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("“%(name)s”超过 %(mb)s MB。") % {"name": name, "mb": MAX_BYTES // (1024 * 1024)},
            code="photo_too_large",
        )
    upload.seek(0)
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise UnidentifiedImageError(probe.format)
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(
                    _("“%(name)s”的像素过多,请压缩后再上传。") % {"name": name}, code="photo_too_many_pixels"
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif() if keep_metadata else None
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            options = {"format": "JPEG", "quality": QUALITY, "optimize": True}
            if exif is not None:
                # The orientation was applied to the pixels: keep the rest, not the rotation.
                exif.pop(0x0112, None)
                options["exif"] = exif.tobytes()
            image.save(out, **options)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("“%(name)s”不是可识别的图片(支持 JPEG、PNG、WebP、GIF)。") % {"name": name},
            code="photo_not_image",
        ) from error
    return ContentFile(out.getvalue(), name="photo.jpg")
