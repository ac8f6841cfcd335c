"""The district of a project, read from its unified project code (年份-行政区划-行业-类型-流水号): the 6-digit
administrative division code of GB/T 2260. Named here for Chongqing's districts (the national standard, not a
zone's data); any other code is shown as the code itself."""

from django.utils.translation import get_language

# GB/T 2260 codes of Chongqing's districts: (Chinese name, English name).
DISTRICTS = {
    "500101": ("万州区", "Wanzhou"),
    "500102": ("涪陵区", "Fuling"),
    "500103": ("渝中区", "Yuzhong"),
    "500104": ("大渡口区", "Dadukou"),
    "500105": ("江北区", "Jiangbei"),
    "500106": ("沙坪坝区", "Shapingba"),
    "500107": ("九龙坡区", "Jiulongpo"),
    "500108": ("南岸区", "Nan'an"),
    "500109": ("北碚区", "Beibei"),
    "500110": ("綦江区", "Qijiang"),
    "500111": ("大足区", "Dazu"),
    "500112": ("渝北区", "Yubei"),
    "500113": ("巴南区", "Banan"),
    "500114": ("黔江区", "Qianjiang"),
    "500115": ("长寿区", "Changshou"),
    "500116": ("江津区", "Jiangjin"),
    "500117": ("合川区", "Hechuan"),
    "500118": ("永川区", "Yongchuan"),
    "500119": ("南川区", "Nanchuan"),
    "500120": ("璧山区", "Bishan"),
    "500151": ("铜梁区", "Tongliang"),
    "500152": ("潼南区", "Tongnan"),
    "500153": ("荣昌区", "Rongchang"),
    "500154": ("开州区", "Kaizhou"),
    "500155": ("梁平区", "Liangping"),
    "500156": ("武隆区", "Wulong"),
}


def region_of(code: str) -> str:
    """The administrative division code in a project code ("" for a code without one)."""
    parts = (code or "").split("-")
    return parts[1] if len(parts) == 5 else ""


def district_name(region: str) -> str:
    """The district's name in the reader's language, or the code where it is not one of Chongqing's."""
    names = DISTRICTS.get(region)
    if names is None:
        return region or "—"
    return names[1] if (get_language() or "").startswith("en") else names[0]
