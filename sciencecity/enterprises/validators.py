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
            _("统一社会信用代码应为18位,当前为%(length)d位。") % {"length": len(code)},
            code="credit_code_length",
        ) from None
    except InvalidFormat:
        raise ValidationError(
            _(
                "统一社会信用代码格式错误:前8位(登记管理部门、机构类别和行政区划码)应为数字,"
                "其余只能是数字和除 I、O、Z、S、V 以外的大写字母。"
            ),
            code="credit_code_format",
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _("统一社会信用代码校验位错误:最后一位应为 %(expected)s,请核对是否有输错的字符。")
            % {"expected": uscc.calc_check_digit(code[:17])},
            code="credit_code_checksum",
        ) from None
    # The check character alone lets through codes no authority issues (eighteen zeros has a valid one).
    if code[0] not in REGISTRATION_AUTHORITIES or code[2:8] == "000000":
        raise ValidationError(
            _(
                "统一社会信用代码无效:第1位登记管理部门代码应为 1–9、A、N 或 Y,"
                "第3至8位应为登记管理机关的行政区划码。"
            ),
            code="credit_code_authority",
        )


# GB 32100-2015: the registration authorities' codes (1 机构编制 … 9 市场监管, A 军队编制, N 农业, Y 其他).
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")


def make_credit_code(region: str, organization_serial: int, registration: str = "91") -> str:
    """A valid credit code for demo and test data: registration authority and kind (91 = enterprise under
    market regulation), 6-digit region, 9-character organization code with its GB 11714 check digit, and the
    GB 32100 check character.
    """
    body = f"{organization_serial:08d}"[-8:]
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    remainder = 11 - sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True)) % 11
    org_check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    first17 = f"{registration}{region}{body}{org_check}"
    return first17 + uscc.calc_check_digit(first17)
