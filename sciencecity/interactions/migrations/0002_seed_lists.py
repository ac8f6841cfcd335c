"""The positive and negative lists of government–business interaction as the zone starts with them (after
Chongqing's "双七条": seven things officials are encouraged to do with enterprises, seven they must not);
administrators edit them in the admin."""

from django.db import migrations

ENCOURAGED = [
    ("visit", "主动走访企业,了解生产经营情况,听取意见建议", "Visit enterprises to learn how they operate and hear their views"),
    ("approve", "依法依规为企业办理审批、提供政务服务", "Handle approvals and provide government services lawfully"),
    ("solve", "协调解决企业发展中遇到的困难和问题", "Coordinate solutions to the difficulties enterprises meet"),
    ("policy", "宣传解读惠企政策,帮助企业用足用好政策", "Explain pro-business policies and help enterprises use them"),
    ("consult", "邀请企业参加座谈会、论证会,听取意见", "Invite enterprises to symposiums and hearings for their views"),
    ("meal", "公务活动中按规定标准安排工作餐", "Arrange working meals at the prescribed standard during official duties"),
    ("protect", "依法保护企业和企业家合法权益", "Protect the lawful rights of enterprises and entrepreneurs"),
]
FORBIDDEN = [
    ("gifts", "接受企业宴请、礼品礼金、消费卡", "Accept banquets, gifts, cash or shopping cards from enterprises"),
    ("expenses", "在企业报销应由个人或单位支付的费用", "Have enterprises pay expenses that the official or their unit should pay"),
    ("interests", "利用职权为本人或亲属谋取利益、插手企业经营", "Use one's office for oneself or relatives, or meddle in an enterprise's business"),
    ("borrow", "向企业借款或借用车辆、房产", "Borrow money, vehicles or property from enterprises"),
    ("leisure", "参加企业安排的旅游、健身、娱乐活动", "Join trips, fitness or entertainment arranged by enterprises"),
    ("obstruct", "吃拿卡要、故意刁难、推诿拖延", "Demand favours, make difficulties on purpose, shirk or delay"),
    ("part_time", "违规在企业兼职取酬或干预企业市场经营", "Hold paid posts in enterprises or interfere in their market operations against the rules"),
]


def seed(apps, schema_editor):
    ListItem = apps.get_model("interactions", "ListItem")
    for kind, rows in (("encouraged", ENCOURAGED), ("forbidden", FORBIDDEN)):
        for order, (code, text, text_en) in enumerate(rows, start=1):
            ListItem.objects.get_or_create(
                code=f"{kind[:3]}-{code}",
                defaults={"kind": kind, "text": text, "text_en": text_en, "order": order},
            )


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
