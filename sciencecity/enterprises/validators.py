"""Unified social credit code (统一社会信用代码) validation that says what exactly is wrong."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength


def normalize_credit_code(value: str) -> str:
    return uscc.compact(value or "")


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    try:
        uscc.validate(code)
    except InvalidLength:
        raise ValidationError(
            _("统一社会信用代码应为18位,当前为%(length)d位。") % {"length": len(code)}, code="credit_code_length"
        ) from None
    except InvalidFormat:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符:只能是数字和除 I、O、Z、S、V 以外的大写字母,且第3至8位为数字行政区划码。"),
            code="credit_code_format",
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _("统一社会信用代码校验位错误:最后一位应为 %(expected)s,请核对是否有输错的字符。")
            % {"expected": uscc.calc_check_digit(code[:17])},
            code="credit_code_checksum",
        ) from None
