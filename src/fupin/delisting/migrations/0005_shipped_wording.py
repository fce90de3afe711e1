"""The shipped delisting criteria and regions in the words officers read: the sources of
data/village_criteria.json, county_criteria.json and regions.json cited the policy
documents by the project's internal names ("seed 001", "seed 003 第一篇", "issue 6") and
some were English. Migration 0002 loads those files once (only rows not there yet), so a
database made before this change keeps the old wording: this migration replaces each old
shipped text by the new one where a row still holds it exactly (a text an administrator
changed is left alone; a local row copied from a shipped one gets the new wording too).
Set-based: one UPDATE per text."""

from django.db import migrations

# (model, field) -> {old shipped text: new shipped text}
WORDING = {
    ('VillageCriteria', 'incidence_source'): {
        '中共中央办公厅、国务院办公厅《关于建立贫困退出机制的意见》（厅字〔2016〕16号）二（二）：“贫困村退出以贫困发生率为主要衡量标准，统筹考虑村内基础设施、基本公共服务、产业发展、集体经济收入等综合因素。原则上贫困村贫困发生率降至2%以下（西部地区降至3%以下）”；issue 6: incidence ≤ 2% (≤ 3% in the west). Seed 003 第一篇（泗水）names 省定重点村退出标准、程序 without figures.':
            '中共中央办公厅、国务院办公厅《关于建立贫困退出机制的意见》（厅字〔2016〕16号）二（二）：“贫困村退出以贫困发生率为主要衡量标准，统筹考虑村内基础设施、基本公共服务、产业发展、集体经济收入等综合因素。原则上贫困村贫困发生率降至2%以下（西部地区降至3%以下）”，即贫困发生率不高于2%（西部地区不高于3%）。《泗水县建档立卡贫困人口和省定重点村退出工作方案》提到省定重点村退出标准和程序，未给出具体数值。',
        '《关于建立贫困退出机制的意见》（厅字〔2016〕16号）：原则上贫困村贫困发生率降至2%以下（西部地区降至3%以下）; 江西 is not a western province.':
            '《关于建立贫困退出机制的意见》（厅字〔2016〕16号）：原则上贫困村贫困发生率降至2%以下（西部地区降至3%以下）；江西省不属于西部地区。',
    },
    ('VillageCriteria', 'collective_income_source'): {
        '《关于建立贫困退出机制的意见》names 集体经济收入 among the factors without a national figure: no national threshold; provinces and counties set theirs (see the rows below).':
            '《关于建立贫困退出机制的意见》将集体经济收入列为统筹考虑的因素，未规定全国统一数值：国家层面不设下限，由省、县另行规定（见下方各地标准）。',
        'seed 001（全南县2017年精准脱贫攻坚工作要点）二（九）资产收益扶贫：“围绕到2020年贫困村村集体经济年收入达到5万元以上的目标要求”.':
            '《全南县2017年精准脱贫攻坚工作要点》二（九）资产收益扶贫：“围绕到2020年贫困村村集体经济年收入达到5万元以上的目标要求”。',
    },
    ('VillageCriteria', 'checklist_source'): {
        "《关于建立贫困退出机制的意见》：统筹考虑村内基础设施、基本公共服务; the items are codes of the registry's village checklist (registry.ChecklistItem): 通村硬化路、安全饮水、生活用电、宽带/网络、村卫生室 — a reading of 基础设施、基本公共服务 (editable).":
            '《关于建立贫困退出机制的意见》：统筹考虑村内基础设施、基本公共服务。核查项取自村级基础设施和公共服务清单：通村硬化路、安全饮水、生活用电、宽带/网络、村卫生室——是对“基础设施、基本公共服务”的理解，可修改。',
        '《关于建立贫困退出机制的意见》（基础设施、基本公共服务）and seed 001 二（三）整村推进：“七改三网”“8+4”基本公共服务项目（卫生室、农家书屋、文体活动场所…）; and 二（五）: 6个贫困村“公有产权村卫生计生服务室建设”.':
            '《关于建立贫困退出机制的意见》（基础设施、基本公共服务）；《全南县2017年精准脱贫攻坚工作要点》二（三）整村推进：“七改三网”“8+4”基本公共服务项目（卫生室、农家书屋、文体活动场所…）；二（五）：6个贫困村“公有产权村卫生计生服务室建设”。',
    },
    ('VillageCriteria', 'notice_days_source'): {
        "《关于建立贫困退出机制的意见》：贫困村退出“在乡镇内公示无异议后，公告退出” (no period given); seed 003 第一篇（泗水县退出工作方案）三：乡镇确定的退出名单“在各行政村进行第二次公示（公示期 7 天）” — the township notice's 7 days, taken for the village's township notice.":
            '《关于建立贫困退出机制的意见》：贫困村退出“在乡镇内公示无异议后，公告退出”（未规定公示期）；《泗水县建档立卡贫困人口和省定重点村退出工作方案》三：乡镇确定的退出名单“在各行政村进行第二次公示（公示期 7 天）”——贫困村退出的乡镇公示采用该乡镇公示的7天。',
        'seed 003 第一篇（泗水县退出工作方案）三：乡镇公示“公示期 7 天”; 《关于建立贫困退出机制的意见》：在乡镇内公示无异议后，公告退出.':
            '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三：乡镇公示“公示期 7 天”；《关于建立贫困退出机制的意见》：在乡镇内公示无异议后，公告退出。',
    },
    ('VillageCriteria', 'note'): {
        'seed 001 一：6个贫困村（田心村、树垇村、古家营村、川垇村、兆坑村、小溪村）2017年全部退出.':
            '《全南县2017年精准脱贫攻坚工作要点》一：6个贫困村（田心村、树垇村、古家营村、川垇村、兆坑村、小溪村）2017年全部退出。',
    },
    ('CountyCriteria', 'incidence_source'): {
        '中共中央办公厅、国务院办公厅《关于建立贫困退出机制的意见》（厅字〔2016〕16号）二（三）：“贫困县退出以贫困发生率为主要衡量标准。原则上贫困县贫困发生率降至2%以下（西部地区降至3%以下）”; issue 6: ≤ 2% (≤ 3% west).':
            '中共中央办公厅、国务院办公厅《关于建立贫困退出机制的意见》（厅字〔2016〕16号）二（三）：“贫困县退出以贫困发生率为主要衡量标准。原则上贫困县贫困发生率降至2%以下（西部地区降至3%以下）”，即不高于2%（西部地区不高于3%）。',
    },
    ('CountyCriteria', 'wrong_exit_source'): {
        '国务院扶贫开发领导小组《贫困县退出专项评估检查实施办法（试行）》（2017）：贫困人口错退率低于2%; issue 6: 错退率 < 2%.':
            '国务院扶贫开发领导小组《贫困县退出专项评估检查实施办法（试行）》（2017）：贫困人口错退率低于2%。',
    },
    ('CountyCriteria', 'missed_source'): {
        '《贫困县退出专项评估检查实施办法（试行）》：贫困人口漏评率低于2%; issue 6: 漏评率 < 2%.':
            '《贫困县退出专项评估检查实施办法（试行）》：贫困人口漏评率低于2%。',
    },
    ('CountyCriteria', 'approval_source'): {
        "《贫困县退出专项评估检查实施办法（试行）》：群众认可度原则上应高于90%; issue 6: 群众认可度 ≥ 90% (the issue's inequality is kept).":
            '《贫困县退出专项评估检查实施办法（试行）》：群众认可度原则上应高于90%；本系统按不低于90%（≥ 90%）判断。',
    },
    ('CountyCriteria', 'sample_source'): {
        'The seeds and 《关于建立贫困退出机制的意见》 give no sample sizes (第三方评估 “抽样调查、重点抽查”): a local default, set per round when it is started (editable).':
            '所依据的政策文件和《关于建立贫困退出机制的意见》均未规定抽样数量（第三方评估“抽样调查、重点抽查”）：此为本地默认值，每轮评估启动时设定，可修改。',
    },
    ('CountyCriteria', 'steps_source'): {
        '《关于建立贫困退出机制的意见》二（三）：由县级扶贫开发领导小组提出退出，市级扶贫开发领导小组初审，省级扶贫开发领导小组核查，确定退出名单后向社会公示征求意见。公示无异议的，由各省（自治区、直辖市）扶贫开发领导小组审定后向国务院扶贫开发领导小组报告 — county submission → city review → province approval → announcement.':
            '《关于建立贫困退出机制的意见》二（三）：由县级扶贫开发领导小组提出退出，市级扶贫开发领导小组初审，省级扶贫开发领导小组核查，确定退出名单后向社会公示征求意见。公示无异议的，由各省（自治区、直辖市）扶贫开发领导小组审定后向国务院扶贫开发领导小组报告——县级提出 → 市级初审 → 省级核查审定 → 公告。',
    },
    ('Region', 'source'): {
        '西部大开发政策适用范围：国务院《关于实施西部大开发若干政策措施的通知》（国发〔2000〕33号）所列重庆、四川、贵州、云南、西藏、陕西、甘肃、青海、宁夏、新疆，及比照适用的内蒙古、广西，即“西部12省区市”；issue 6 lists the same twelve (内蒙古、广西、重庆、四川、贵州、云南、西藏、陕西、甘肃、青海、宁夏、新疆). Province codes: GB/T 2260 (民政部区划代码).':
            '西部大开发政策适用范围：国务院《关于实施西部大开发若干政策措施的通知》（国发〔2000〕33号）所列重庆、四川、贵州、云南、西藏、陕西、甘肃、青海、宁夏、新疆，及比照适用的内蒙古、广西，即“西部12省区市”。省级代码：GB/T 2260（民政部区划代码）。',
    },
}


def _apply(apps, forward: bool) -> None:
    for (model, field), texts in WORDING.items():
        manager = apps.get_model("delisting", model).objects
        for old, new in texts.items():
            before, after = (old, new) if forward else (new, old)
            manager.filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _apply(apps, True)


def backwards(apps, schema_editor):
    _apply(apps, False)


class Migration(migrations.Migration):
    dependencies = [("delisting", "0004_samplehousehold_version")]
    operations = [migrations.RunPython(forwards, backwards)]
