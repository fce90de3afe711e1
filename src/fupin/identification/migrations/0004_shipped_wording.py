"""The shipped standards in the words officers read: the sources of data/standards.json
and data/cutoffs.json cited the policy documents by the project's internal names
("seed 003 第二篇", "issue 4") and some notes were English. Migrations 0002/0003 load
those files once, so a database made before this change keeps the old wording: this
migration replaces each old shipped text by the new one where a row still holds it
exactly (a text an administrator changed is left alone; rule sets created by copying a
shipped one get the new wording too). Set-based: one UPDATE per text."""

from django.db import migrations

# (model, field) -> {old shipped text: new shipped text}
WORDING = {
    ("Line", "note"): {
        'The base of the current standard: 2,300 yuan per person per year at 2010 prices.':
            '现行扶贫标准的基数：按2010年不变价，每人每年2300元。',
        '2,300 yuan at 2010 prices, in current prices.':
            '2010年不变价2300元按当年价格折算的数值。',
        "Set per county per year: enter the county's 低保 standard and rural per-capita disposable income of the year before, then a derived line at the county with this formula.":
            '由各县（市、区）按年核定：先录入本县上年度低保标准和农村居民人均可支配收入，再用此公式在县级生成推算标准线。',
    },
    ("Line", "source"): {
        '国家统计局《中国农村贫困监测报告》：现行农村贫困标准（2010年价格2300元）按当年价格计算（数值见 issue 4）':
            '国家统计局《中国农村贫困监测报告》：现行农村贫困标准（2010年价格2300元）按当年价格计算',
        '浙江省低收入农户高水平全面小康计划（2018—2022年）（seed 002）：按照上年当地最低生活保障标准的1.5倍或不低于上年当地农民人均可支配收入的40%确定收入标准线，由各县（市、区）政府组织核定，并每年进行动态调整':
            '浙委发〔2018〕41号《低收入农户高水平全面小康计划(2018-2022年)》：按照上年当地最低生活保障标准的1.5倍或不低于上年当地农民人均可支配收入的40%确定收入标准线，由各县（市、区）政府组织核定，并每年进行动态调整',
    },
    ("RuleSet", "note"): {
        'Eligible when the per-capita net income is below the line that applies, or a basic guarantee (两不愁三保障 and safe drinking water) is not met. No veto condition is switched on nationally: each is a local rule (see the 广西 rule set).':
            '农民人均纯收入低于适用的标准线，或“两不愁三保障”及饮水安全有一项未达标，即符合识别条件。国家层面不启用“一票否决”情形，均由地方规则集规定（参见广西规则集）。',
        "The seed names the list but not its eight items; these eight are the issue's veto catalogue without deceased/imprisoned/missing members — check them against the 自治区 notice before relying on them. The seed's cut-off (识别前后时间节点) is 10月26日 of a year the seed does not give: the cut-off is data of its own (identification CutoffDate, data/cutoffs.json: 45 → 2015-10-26). Facts found after the cut-off never veto.":
            '《核实建档立卡贫困人口工作方案》只提到八个“一票否决”，未列出具体条目；此处启用的八项是本系统否决情形目录中除“有成员死亡、服刑、失踪”以外的八项，使用前请对照自治区通知核实。该方案以某年10月26日为识别前后时间节点（原文未写年份），识别时间节点另行维护（广西：2015-10-26）；节点之后发生的情况不适用“一票否决”。',
    },
    ("RuleSet", "source"): {
        'seed 003 第二篇（建档立卡对象财产检索结果核查）：自治区党委办公厅 自治区人民政府办公厅《关于精准识别贫困户贫困村有关问题的补充通知》的八个“一票否决”':
            '《核实建档立卡贫困人口工作方案》（范文）二、核查流程（二）：自治区党委办公厅 自治区人民政府办公厅《关于精准识别贫困户贫困村有关问题的补充通知》的八个“一票否决”',
    },
    ("Criterion", "source"): {
        'seed 003 第四篇：持续巩固已脱贫人口和监测对象的“两不愁三保障”及饮水安全保障成果':
            '《乡村振兴重点帮扶村工作方案》：持续巩固已脱贫人口和监测对象的“两不愁三保障”及饮水安全保障成果',
        'No national document: switched on by a local rule set that names its own':
            '国家未统一规定此否决情形：由地方规则集启用，并注明本地依据文件',
        'seed 003 第二篇：八个“一票否决”（财政供养）':
            '《核实建档立卡贫困人口工作方案》：八个“一票否决”（财政供养）',
        'seed 003 第二篇：八个“一票否决”':
            '《核实建档立卡贫困人口工作方案》：八个“一票否决”',
        'seed 003 第二篇：八个“一票否决”（拥有车辆）; the amount is not given in the seed: any car until an amount is set':
            '《核实建档立卡贫困人口工作方案》：八个“一票否决”（拥有车辆）；原文未规定车辆价值标准，设定金额之前任何车辆均适用',
        'seed 003 第二篇：八个“一票否决”（房产）':
            '《核实建档立卡贫困人口工作方案》：八个“一票否决”（房产）',
        'seed 003 第二篇：八个“一票否决”（开办经济实体）':
            '《核实建档立卡贫困人口工作方案》：八个“一票否决”（开办经济实体）',
        'Not one of the eight (see the note)':
            '不在八个“一票否决”之列（见规则集备注）',
    },
    ("CutoffDate", "source"): {
        'seed 003 第二篇《核实建档立卡贫困人口工作方案》: 以XX年10月26日作为识别前后时间节点（广西壮族自治区 2015 年精准识别）':
            '《核实建档立卡贫困人口工作方案》（范文）二、核查流程（二）：以XX年10月26日作为识别前后时间节点（广西壮族自治区 2015 年精准识别）',
    },
    ("CutoffDate", "note"): {
        '广西 精准识别 入户评估 started on 26 October 2015.':
            '广西精准识别入户评估于2015年10月26日开始。',
    },
}


def _apply(apps, forward: bool) -> None:
    for (model, field), texts in WORDING.items():
        manager = apps.get_model("identification", model).objects
        for old, new in texts.items():
            before, after = (old, new) if forward else (new, old)
            manager.filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _apply(apps, True)


def backwards(apps, schema_editor):
    _apply(apps, False)


class Migration(migrations.Migration):
    dependencies = [("identification", "0003_cutoffdate")]
    operations = [migrations.RunPython(forwards, backwards)]
