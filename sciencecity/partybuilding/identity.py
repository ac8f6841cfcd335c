"""The resident ID number (公民身份号码) of a party member: validated, read for birth date and gender, masked.

`stdnum.cn.ric.validate` also requires the county code to have existed in the year of birth; that refuses
real numbers — a Chongqing resident born in 1985 holds a 5001xx number issued after the municipality was
created in 1997 — so the check here is the format, the check digit (GB 11643), a real birth date in the past
and a province code that exists, each refused with its own sentence.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from sciencecity.workdays import clock


def normalize(number: str) -> str:
    return ric.compact(number or "")


def validate_id_number(number: str) -> None:
    number = normalize(number)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("身份证号码应为18位:17位数字加1位数字或X。"), code="id_format")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(_("身份证号码校验位不正确,请核对后重新填写。"), code="id_checksum")
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(_("身份证号码中的出生日期不存在。"), code="id_birth_date") from None
    if born.year < 1900 or born > clock.today():
        raise ValidationError(_("身份证号码中的出生日期不合理。"), code="id_birth_date")
    if not any("province" in info for _part, info in numdb.get("cn/loc").info(number[:6])):
        raise ValidationError(_("身份证号码中的地区码不存在。"), code="id_region")


def birth_date(number: str) -> datetime.date:
    return ric.get_birth_date(normalize(number))


def gender(number: str) -> str:
    """'male' or 'female': the order code (digits 15–17) is odd for men, even for women."""
    return "male" if int(normalize(number)[16]) % 2 else "female"


def mask(number: str) -> str:
    """The first four and the last four characters, the birth date and order code hidden."""
    number = normalize(number)
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def make(region: str, born: datetime.date, order: int) -> str:
    """A number that passes `validate_id_number` (for the demo and the tests): region, birth date, order code."""
    body = f"{region}{born:%Y%m%d}{order % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
