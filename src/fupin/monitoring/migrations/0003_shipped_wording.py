"""The shipped monitoring procedure types and exit criteria in the words officers read.

data/procedure_types.json (loaded once by 0002_load_types) and exits/data/exit_criteria.json
(loaded once by exits 0002_load_data) cited the policy documents by the project's internal
names ("seed 003 第四篇") and had English sentences. A database made before this change
keeps the old wording, so this migration replaces each old shipped text by the new one
wherever a row still holds it exactly: a procedure type's source and the sources in its
definition (notice periods, the appraisal rule, the completion), an exit criteria set's
source and note and its items' sources. A text an administrator changed is left alone;
rows copied from a shipped one (the demo county's example criteria, a local variant of a
type) get the new wording too. Both tables hold a few rows per area (not per household),
so each row is read once and written only when a text changed.

The exit criteria are the exits app's rows; their wording is migrated here, next to the
monitoring types, because risk clearance judges 两不愁三保障 by them (one change of the
shipped wording, one migration)."""

from django.db import migrations

# old shipped text -> new shipped text
PROCEDURE_TEXTS = {
    'seed 003 第四篇（2021年重点帮扶村建设实施方案）：“常态化开展防止返贫动态监测和帮扶工作……对易返贫致贫人口早发现、早干预、早帮扶。建立防止因灾返贫致贫机制，采取‘先救后核’的方式”. Steps as in the national guidance (中央农办等《关于健全防止返贫动态监测和帮扶机制的指导意见》, 2021): 农户申请、乡村干部走访、部门筛查预警 → 入户核实（两人以上） → 农户承诺授权 → 信息比对 → 村级民主评议 → 公示 → 乡镇审核 → 县级审批（确认） → 公告.':
        '《乡村振兴重点帮扶村工作方案》“巩固脱贫攻坚成果”：“常态化开展防止返贫动态监测和帮扶工作……对易返贫致贫人口早发现、早干预、早帮扶。建立防止因灾返贫致贫机制,采取‘先救后核’的方式”。程序步骤依据中央农办等《关于健全防止返贫动态监测和帮扶机制的指导意见》（2021）：农户申请、乡村干部走访、部门筛查预警 → 入户核实（两人以上） → 农户承诺授权 → 信息比对 → 村级民主评议 → 公示 → 乡镇审核 → 县级审批（确认） → 公告。',
    "《中华人民共和国村民委员会组织法》（2010年修订）第二十六条 (the engine's default; the seeds state no rule for the appraisal vote).":
        '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。所依据的政策文件未规定评议表决规则，此处以该条为默认规则，可修改。',
    'seed 003 第一篇 泗水县退出工作方案 三、标准程序：“报县(市、区)扶贫开发领导小组审批,结果在村内公告(公告期5天)” — the shortest notice the seeds name; monitoring identification notices are at least 5 days in the national practice (村内公示不少于5天). Not stated for monitoring in the seeds; editable.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“经公示无异议后报县(市、区)扶贫开发领导小组审批,结果在村内公告(公告期5天)”——所依据文件中最短的公示（公告）期；全国做法中监测对象村内公示不少于5天。所依据的政策文件未规定监测对象的公示期，可修改。',
    'The households are monitored from the completion date.':
        '自程序完成之日起纳入监测。',
    'seed 003 第四篇：“持续巩固已脱贫人口和监测对象的‘两不愁三保障’及饮水安全保障成果”; national guidance 2021: 收入持续稳定、两不愁三保障及饮水安全持续巩固、返贫致贫风险已经稳定消除的，履行相应程序后标注风险消除；对无劳动能力的，落实社会保障措施后，暂不标注风险消除，持续跟踪监测. Procedure: 入户核实 → 村级评议和公示 → 乡镇验收 → 县级审批.':
        '《乡村振兴重点帮扶村工作方案》：“持续巩固已脱贫人口和监测对象的‘两不愁三保障’及饮水安全保障成果”；中央农办等《关于健全防止返贫动态监测和帮扶机制的指导意见》（2021）：收入持续稳定、两不愁三保障及饮水安全持续巩固、返贫致贫风险已经稳定消除的，履行相应程序后标注风险消除；对无劳动能力的，落实社会保障措施后，暂不标注风险消除，持续跟踪监测。程序：入户核实 → 村级评议和公示 → 乡镇验收 → 县级审批。',
    'The risk is cleared on the completion date.':
        '自程序完成之日起标注风险消除。',
}
EXIT_TEXTS = {
    'seed 003 泗水县建档立卡贫困人口和省定重点村退出工作方案（2016）三、标准程序：“建档立卡贫困人口退出以户为单位，以贫困户年人均纯收入稳定超过当年省定扶贫标准、有安全住房、家庭无因贫辍学学生为主要衡量指标。” 两不愁三保障 (basic medical care) and safe drinking water as in the national identification rules (identification/data/standards.json).':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》（2016）三、标准程序：“建档立卡贫困人口退出以户为单位,以贫困户年人均纯收入稳定超过当年省定扶贫标准、有安全住房、家庭无因贫辍学学生为主要衡量指标。”“两不愁三保障”中的基本医疗有保障和饮水安全，与全国识别标准相同。',
    "The national default: the line is the one the household's identification standard picks (national, provincial or city line; the same rule as identification), one year above it.":
        '全国默认标准：收入按农户识别标准所对应的标准线衡量（国家、省或市标准线，与识别规则相同），高于标准线一年。',
    'seed 003 三、标准程序：“年人均纯收入稳定超过当年…扶贫标准”. “超过” (exceeds) is read as strictly above (inclusive: false); “当年” as the income of the exit year itself (year_offset 0); the seed gives no number of years for “稳定” (stably), so one year is the default and a county states more (consecutive_years).':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“年人均纯收入稳定超过当年…扶贫标准”。“超过”理解为严格高于（inclusive: false）；“当年”理解为退出当年本身的收入（year_offset 0）；文件未规定“稳定”需要几年，默认一年，县可另行规定（consecutive_years）。',
    'seed 003 三、标准程序：“有安全住房”; 危房 C级（局部危险）and D级（整体危险）: 住房城乡建设部《农村危险房屋鉴定技术导则（试行）》（2009年）; a renovated house (year of renovation recorded) is safe (seed 004 (1)：优先完成贫困户危房改造).':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“有安全住房”；危房C级（局部危险）和D级（整体危险）：住房城乡建设部《农村危险房屋鉴定技术导则（试行）》（2009年）；已改造的住房（登记了改造年份）视为安全（《贯彻落实〈中共云南省委云南省人民政府关于举全省之力打赢扶贫开发攻坚战的意见〉省级部门责任分工方案》（2015）一、（一）2.(1)：“优先完成105万户贫困户危房改造”）。',
    "seed 003 三、标准程序：“家庭无因贫辍学学生”; the compulsory-school age: 《中华人民共和国义务教育法》第十一条（年满六周岁…接受并完成义务教育，九年）, ages counted on 1 September of the exit year; out of school = school status 00 (非在校生) in the registry's code list.":
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“家庭无因贫辍学学生”；义务教育年龄：《中华人民共和国义务教育法》第十一条（年满六周岁……接受并完成义务教育，九年），年龄按退出当年9月1日计算；失学指农户登记代码表中在校状况为00（非在校生）。',
    '两不愁三保障 基本医疗有保障 (《中共中央 国务院关于打赢脱贫攻坚战的决定》, 2015); seed 004 (2)：“实现贫困群众户户有社保…基本医疗保险参保率…”; seed 000 (十)：“100%参加居民医疗保险”. Every active member has basic medical insurance.':
        '“两不愁三保障”基本医疗有保障（《中共中央 国务院关于打赢脱贫攻坚战的决定》，2015）；《贯彻落实〈中共云南省委云南省人民政府关于举全省之力打赢扶贫开发攻坚战的意见〉省级部门责任分工方案》（2015）一、（一）4.(2)：“实现贫困群众户户有社保,贫困地区城乡居民的基本养老保险和基本医疗保险参保率均达到98%以上”；惠州市委、市政府《关于创新机制扎实推进农村扶贫开发工作分工方案》（2015）（十）：“100%参加居民医疗保险”。每名在册成员均参加基本医疗保险。',
    'seed 004：“全面解决贫困户饮水问题”; seed 003 第四篇：“‘两不愁三保障’及饮水安全保障”. The household has safe drinking water (registry field water_safe).':
        '《贯彻落实〈中共云南省委云南省人民政府关于举全省之力打赢扶贫开发攻坚战的意见〉省级部门责任分工方案》（2015）一、（一）3.(2)：“全面解决贫困户饮水问题”；《乡村振兴重点帮扶村工作方案》：“‘两不愁三保障’及饮水安全保障成果”。农户有安全饮水（农户登记中的“饮水安全”）。',
    'seed 003 泗水县（山东省济宁市）退出工作方案（2016），依据鲁扶贫办发〔2015〕5号：“年人均纯收入稳定超过当年省定扶贫标准”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》（山东省济宁市，2016），依据鲁扶贫办发〔2015〕5号：“以贫困户年人均纯收入稳定超过当年省定扶贫标准”。',
    'Shandong measures every household against the provincial line (省定扶贫标准), whatever its identification standard.':
        '山东省一律以省定扶贫标准衡量农户收入，不论农户的识别标准。',
    'seed 003 三、标准程序：“稳定超过当年省定扶贫标准” — the provincial line of the exit year, strictly above.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“稳定超过当年省定扶贫标准”——退出当年的省定扶贫标准，严格高于。',
    'seed 003 三、标准程序：“有安全住房”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“有安全住房”。',
    'seed 003 三、标准程序：“家庭无因贫辍学学生”; 《义务教育法》第十一条.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“家庭无因贫辍学学生”；《中华人民共和国义务教育法》第十一条。',
    '两不愁三保障 基本医疗有保障 (2015).':
        '“两不愁三保障”基本医疗有保障（《中共中央 国务院关于打赢脱贫攻坚战的决定》，2015）。',
    '两不愁三保障 and 饮水安全 (seed 003 第四篇).':
        '“两不愁三保障”及饮水安全（《乡村振兴重点帮扶村工作方案》）。',
}


def _swap(value, texts: dict):
    """``value`` with every string found in ``texts`` replaced (dicts and lists walked)."""
    if isinstance(value, dict):
        return {k: _swap(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, texts) for v in value]
    if isinstance(value, str):
        return texts.get(value, value)
    return value


def _apply(apps, forward: bool) -> None:
    def direction(texts):
        return texts if forward else {new: old for old, new in texts.items()}

    procedure_texts, exit_texts = direction(PROCEDURE_TEXTS), direction(EXIT_TEXTS)
    ProcedureType = apps.get_model("procedures", "ProcedureType")
    for row in ProcedureType.objects.only("pk", "source", "definition"):
        source, definition = _swap(row.source, procedure_texts), _swap(row.definition, procedure_texts)
        if (source, definition) != (row.source, row.definition):
            row.source, row.definition = source, definition
            row.save(update_fields=["source", "definition"])
    ExitCriteria = apps.get_model("exits", "ExitCriteria")
    for row in ExitCriteria.objects.only("pk", "source", "note", "items"):
        source, note, items = (_swap(row.source, exit_texts), _swap(row.note, exit_texts),
                               _swap(row.items, exit_texts))
        if (source, note, items) != (row.source, row.note, row.items):
            row.source, row.note, row.items = source, note, items
            row.save(update_fields=["source", "note", "items"])


def forwards(apps, schema_editor):
    _apply(apps, True)


def backwards(apps, schema_editor):
    _apply(apps, False)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_load_types"), ("exits", "0002_load_data")]
    operations = [migrations.RunPython(forwards, backwards)]
