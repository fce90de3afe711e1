"""The shipped policy periods after exit in the words officers read.

data/policy_periods.json (loaded once by 0002_load_data) cited the policy documents by the
project's internal names ("seed 003") and had English notes. A database made before this
change keeps the old wording, so this migration replaces each old shipped text by the new
one wherever a row still holds it exactly; a text an administrator changed is left alone.
The table holds a few rows per area, so each row is read once and written only when a
text changed (as monitoring 0003 does for the exit criteria)."""

from django.db import migrations

# old shipped text -> new shipped text
TEXTS = {
    'seed 003 泗水县退出工作方案 三：“脱贫的农户，在一定时期内继续享受有关扶贫政策扶持”; seed 003 第四篇《乡村振兴重点帮扶村工作方案》：“过渡期内，即2021-2025年”，“落实好‘四个不摘’要求” (摘帽不摘责任、不摘政策、不摘帮扶、不摘监管); seeds 001 and 004: 不脱贫不脱钩.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“脱贫的农户，在一定时期内继续享受有关扶贫政策扶持”；《乡村振兴重点帮扶村工作方案》：“过渡期内，即2021-2025年”，“落实好‘四个不摘’要求”（摘帽不摘责任、不摘政策、不摘帮扶、不摘监管）；《全南县2017年精准脱贫攻坚工作要点》及云南省级部门责任分工方案：不脱贫不脱钩。',
    'Reading: a household that exits between 2014 and 2025 keeps its policies to the end of the transition period, 31 December 2025. The seeds set no period for exits after 2025.':
        '理解：2014—2025年间脱贫的农户，继续享受政策至过渡期结束（2025年12月31日）。上述文件未规定2025年以后脱贫农户的政策期限。',
    'seed 002 浙江省低收入农户高水平全面小康计划（2018—2022年）：“做到一户一档、一年一核、销号管理，对有条件退出低收入农户范围的给予一年的观察期，确保其稳定增收致富”.':
        '浙委发〔2018〕41号《低收入农户高水平全面小康计划(2018-2022年)》：“做到一户一档、一年一核、销号管理，对有条件退出低收入农户范围的给予一年的观察期，确保其稳定增收致富”。',
    'Reading: one year counted from the exit date, that day being the first: an exit on 20 December 2019 is observed to 19 December 2020 inclusive and the household leaves the policies on 20 December 2020.':
        '理解：观察期一年，自退出之日（含当日）起算：2019年12月20日退出的，观察至2020年12月19日（含），2020年12月20日起不再享受政策。',
}


def _apply(apps, texts: dict) -> None:
    PolicyPeriod = apps.get_model("exits", "PolicyPeriod")
    for row in PolicyPeriod.objects.only("pk", "source", "note"):
        source, note = texts.get(row.source, row.source), texts.get(row.note, row.note)
        if (source, note) != (row.source, row.note):
            row.source, row.note = source, note
            row.save(update_fields=["source", "note"])


def forwards(apps, schema_editor):
    _apply(apps, TEXTS)


def backwards(apps, schema_editor):
    _apply(apps, {new: old for old, new in TEXTS.items()})


class Migration(migrations.Migration):
    dependencies = [("exits", "0002_load_data")]
    operations = [migrations.RunPython(forwards, backwards)]
