# ISO dates first in Chinese too: a <input type="date"> only shows a value written YYYY-MM-DD, and Django's
# zh-Hans formats write 2026/12/06 (a prefilled date then showed blank and had to be picked again).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%n月%j日"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y年%n月%j日 %H:%M",
    "%Y年%n月%j日 %H:%M:%S",
]
