"""The housing criterion reads the year of renovation (a C/D house renovated by the rule
run's year is safe, as in the exit criteria): data/standards.json now says so in its params
(``renovated_passes``) and its source. A database loaded before keeps its rows, so this adds
``renovated_passes: true`` and the sentence to the housing criteria whose source still holds
the shipped text exactly. A criterion with an administrator's own source is a local rule: it
is left as it is, and without the key the engine keeps judging a renovated C/D house unsafe,
as it did when that rule was written (a rule changes only with its source). Backwards: the
key and the sentence go again from the shipped rows."""

from django.db import migrations

OLD_SOURCE = "住房安全有保障（两不愁三保障）；危房等级 C级（局部危房）、D级（整体危房）：住房城乡建设部《农村危险房屋鉴定技术导则（试行）》（2009年）"
NEW_SOURCE = OLD_SOURCE + "；已改造的住房（登记的改造年份不晚于识别年度）视为安全，与退出标准相同（《贯彻落实〈中共云南省委云南省人民政府关于举全省之力打赢扶贫开发攻坚战的意见〉省级部门责任分工方案》（2015）一、（一）2.(1)：“优先完成105万户贫困户危房改造”）"


def forwards(apps, schema_editor):
    Criterion = apps.get_model("identification", "Criterion")
    for c in Criterion.objects.filter(code="housing_unsafe", source=OLD_SOURCE):
        params = dict(c.params or {})
        params.setdefault("renovated_passes", True)
        Criterion.objects.filter(pk=c.pk).update(params=params, source=NEW_SOURCE)


def backwards(apps, schema_editor):
    Criterion = apps.get_model("identification", "Criterion")
    for c in Criterion.objects.filter(code="housing_unsafe", source=NEW_SOURCE):
        params = {k: v for k, v in (c.params or {}).items() if k != "renovated_passes"}
        Criterion.objects.filter(pk=c.pk).update(params=params, source=OLD_SOURCE)


class Migration(migrations.Migration):
    dependencies = [("identification", "0004_shipped_wording")]
    operations = [migrations.RunPython(forwards, backwards)]
