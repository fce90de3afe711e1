"""The shipped procedure types in the words officers read.

data/procedure_types.json (loaded once by 0002_load_types) and exits/data/procedure_types.json
(loaded once by exits 0002_load_data) cited the policy documents by the project's internal
names ("seed 003 泗水县方案") and had English sentences. A database made before this change
keeps the old wording, so this migration replaces each old shipped text by the new one
wherever a row still holds it exactly: a type's source and the sources in its definition
(notice periods, the appraisal rule, the completion), in the types and in the copies the
batches keep. A text an administrator changed is left alone; a local variant copied from a
shipped type gets the new wording too. Each row is read once and written only when a text
changed (a few types; batches are per area and year, not per household)."""

from django.db import migrations

# old shipped text -> new shipped text
TEXTS = {
    '国务院扶贫办《扶贫开发建档立卡工作方案》（国开办发〔2014〕24号）：贫困户识别“按照农户申请、民主评议、公示公告和逐级审核的方式，整户识别”——村民代表大会民主评议形成初选名单，村委会和驻村工作队核实后第一次公示，乡镇审核后在各行政村第二次公示，县扶贫办复审后在各行政村公告。入户调查、信息录入和部门信息比对（财产检索）为其后各地实施中的步骤，比对见 seed 003 第二篇。公示期、公告期见各步骤的 days_source。':
        '国务院扶贫办《扶贫开发建档立卡工作方案》（国开办发〔2014〕24号）：贫困户识别“按照农户申请、民主评议、公示公告和逐级审核的方式，整户识别”——村民代表大会民主评议形成初选名单，村委会和驻村工作队核实后第一次公示，乡镇审核后在各行政村第二次公示，县扶贫办复审后在各行政村公告。入户调查、信息录入和部门信息比对（财产检索）为其后各地实施中的步骤，比对见《核实建档立卡贫困人口工作方案》（范文）。公示期、公告期见各步骤的依据。',
    "《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。The seeds do not state a rule for the appraisal vote; this is the law's rule for decisions of the representatives' meeting, used as the configurable default (“以上” includes the number itself; “过半数” is more than half).":
        '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。所依据的政策文件未规定评议表决规则，此处以该条为默认规则，可修改（“以上”含本数，“过半数”指超过半数）。',
    'seed 003 泗水县建档立卡贫困人口和省定重点村退出工作方案（2016）三、标准程序：“第一次公示(公示期7天)”; the national 2014 方案 names the notice without a period.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》（2016）三、标准程序：“第一次公示(公示期7天)”；国家2014年建档立卡工作方案规定了公示，未规定公示期。',
    'seed 003 泗水县方案 三、标准程序：“第二次公示(公示期 7 天)”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“第二次公示(公示期 7 天)”。',
    'seed 003 泗水县方案 三、标准程序：“结果在村内公告(公告期5天)” (set there for exits; the national 2014 方案 sets no period for the announcement, so the same 5 days are used).':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“结果在村内公告(公告期5天)”（该文件为退出程序所定；国家2014年建档立卡工作方案未规定公告期，此处同样采用5天）。',
    'The household is registered (建档立卡) with its identification date: the day the procedure completes (the announcement closes).':
        '农户纳入建档立卡，识别日期为程序完成之日（公告期结束之日）。',
    "A local variant of identification_2014 with the same steps and 5-day notices, to show that variants are data: a county that sets shorter notice periods copies a type and edits its days (the 5 days are those of seed 003's announcement period, 公告期5天). Replace the source with the local document when one is adopted.":
        '贫困户识别（两公示一公告）的本地变通示例：步骤相同，公示期为5天。县里规定较短的公示期时，复制程序类型并修改天数即可，无需改动程序（5天取自《泗水县建档立卡贫困人口和省定重点村退出工作方案》的“公告期5天”）。采用本地文件后，请将依据改为本地文件。',
    '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条 (as identification_2014).':
        '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。（同贫困户识别程序）',
    "Local variant: 5 days (see the type's source).":
        '本地变通：5天（见本程序类型的依据）。',
    'seed 003 泗水县方案 三、标准程序：“公告期5天”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“公告期5天”。',
    'As identification_2014.':
        '农户纳入建档立卡，识别日期为程序完成之日（同贫困户识别程序）。',
    'seed 003 泗水县建档立卡贫困人口和省定重点村退出工作方案（泗水县扶贫开发领导小组，2016年1月7日）三、标准程序：“贫困户退出由村民小组提名，召开村民代表大会进行民主评议，形成初步名单，村民委员会和驻村工作队核实后进行第一次公示(公示期7天)，公示无异议后，报镇(街道)人民政府。镇(街道)人民政府对各村上报的初选名单进行审核，确定全镇(街道)贫困户退出名单，在各行政村进行第二次公示(公示期 7 天)，经公示无异议后报县(市、区)扶贫开发领导小组审批，结果在村内公告(公告期5天)，并逐级报市、省扶贫开发领导小组备案。” 附件1–8 are the eight documents.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》（泗水县扶贫开发领导小组，2016年1月7日）三、标准程序：“贫困户退出由村民小组提名，召开村民代表大会进行民主评议，形成初步名单，村民委员会和驻村工作队核实后进行第一次公示(公示期7天)，公示无异议后，报镇(街道)人民政府。镇(街道)人民政府对各村上报的初选名单进行审核，确定全镇(街道)贫困户退出名单，在各行政村进行第二次公示(公示期 7 天)，经公示无异议后报县(市、区)扶贫开发领导小组审批，结果在村内公告(公告期5天)，并逐级报市、省扶贫开发领导小组备案。”程序的八份文书即该文件附件1–8。',
    "《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。Seed 003 names the appraisal (民主评议) without a vote rule; this is the law's rule for the representatives' meeting, as for identification_2014.":
        '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。《泗水县建档立卡贫困人口和省定重点村退出工作方案》规定了民主评议，未规定表决规则；此处以该条为默认规则（与贫困户识别程序相同），可修改。',
    'seed 003 泗水县退出工作方案 三、标准程序：“村民委员会和驻村工作队核实后进行第一次公示(公示期7天)”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“村民委员会和驻村工作队核实后进行第一次公示(公示期7天)”。',
    'seed 003 泗水县退出工作方案 三、标准程序：“在各行政村进行第二次公示(公示期 7 天)”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“在各行政村进行第二次公示(公示期 7 天)”。',
    'seed 003 泗水县退出工作方案 三、标准程序：“结果在村内公告(公告期5天)”.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“结果在村内公告(公告期5天)”。',
    'seed 003 三、标准程序：“脱贫的农户，在一定时期内继续享受有关扶贫政策扶持” — the household exits and keeps its policies (exited_policy); the exit date is the day the procedure completes (the filing step closes), its year the exit year.':
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“脱贫的农户，在一定时期内继续享受有关扶贫政策扶持”——农户退出后继续享受政策（已脱贫（享受政策））；退出日期为程序完成之日（备案环节结束之日），其年份为脱贫年度。',
    '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条 (as identification_2014 and exit_2016).':
        '《中华人民共和国村民委员会组织法》（2010年修订）第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开，所作决定应当经到会人员的过半数同意。（同贫困户识别和退出程序）',
    "seed 003 泗水县退出工作方案 三、标准程序：“按照‘总量控制、进出平衡’原则，对新增加和返贫的贫困户，要及时纳入，做到应扶尽扶，实现扶贫对象动态管理。” The seed names no separate procedure for a return; this type takes the identification steps of 国开办发〔2014〕24号 (农户申请、民主评议、公示公告、逐级审核) in an abbreviated form “to take the household in at once” (及时纳入): the visit, the village appraisal, one notice in the village (7 days, as seed 003's first notice), the township review and the county approval. A county that uses the full identification procedure for returns copies identification_2014 instead.":
        '《泗水县建档立卡贫困人口和省定重点村退出工作方案》三、标准程序：“按照‘总量控制、进出平衡’原则，对新增加和返贫的贫困户，要及时纳入，做到应扶尽扶，实现扶贫对象动态管理。”该文件未规定单独的返贫程序；本程序采用国开办发〔2014〕24号识别程序（农户申请、民主评议、公示公告、逐级审核）的简化形式，以便“及时纳入”：入户核实、村级民主评议、村内公示一次（7天，同该文件的第一次公示）、乡镇审核、县级审批。县里对返贫采用完整识别程序的，复制贫困户识别程序类型即可。',
    'Reading: seed 003 sets 7 days for the village notice of its procedure (“第一次公示(公示期7天)”); a return uses the same village notice. No seed sets a period for returns.':
        '理解：《泗水县建档立卡贫困人口和省定重点村退出工作方案》规定其程序的村内公示期为7天（“第一次公示(公示期7天)”），返贫采用同样的村内公示。所依据的政策文件均未规定返贫的公示期。',
    'The household is registered again as returned (返贫), with the reason recorded when its return case started and the completion date (registry.actions.set_status).':
        '农户重新登记为返贫，记录返贫认定开始时登记的原因，日期为程序完成之日。',
}


def _swap(value, texts: dict):
    """``value`` with every string found in ``texts`` replaced (dicts and lists walked; keys kept)."""
    if isinstance(value, dict):
        return {k: _swap(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, texts) for v in value]
    if isinstance(value, str):
        return texts.get(value, value)
    return value


# The definitions are rewritten in the database, set-based: each statement replaces, in every
# row holding one, the first string value (a JSON string, never a key) equal to an old text,
# at its path; as many statements as one row holds old texts (no new text is an old one, so a
# replaced string is not replaced again). A map (old, new) of the texts is given as parameters.
SQLITE_HITS = "FROM json_tree({table}.{col}) h JOIN map m ON m.old = h.atom WHERE h.type = 'text'"
SQLITE = {
    "most": "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM {table}, json_tree({table}.{col}) h "
            "JOIN map m ON m.old = h.atom WHERE h.type = 'text' GROUP BY {table}.{pk})",
    "pass": "UPDATE {table} SET {col} = (SELECT json_set({table}.{col}, h.fullkey, m.new) {hits} "
            "ORDER BY h.id LIMIT 1) WHERE EXISTS (SELECT 1 {hits})",
    "left": "SELECT {pk} FROM {table} WHERE EXISTS (SELECT 1 {hits})",
}
# PostgreSQL: the paths of a jsonb value's strings by a recursive walk (objects and arrays).
PG_WALK = """walk(id, path, value) AS (
    SELECT {pk}, ARRAY[]::text[], {col} FROM {table}
    UNION ALL
    SELECT w.id, w.path || e.k, e.v FROM walk w CROSS JOIN LATERAL (
        SELECT o.key, o.value FROM jsonb_each(CASE WHEN jsonb_typeof(w.value) = 'object'
                                                   THEN w.value ELSE '{{}}'::jsonb END) o
        UNION ALL
        SELECT (a.n - 1)::text, a.value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.value) = 'array'
                                                                      THEN w.value ELSE '[]'::jsonb END)
                                             WITH ORDINALITY a(value, n)) e(k, v)),
hits AS (SELECT w.id, w.path, m.new FROM walk w JOIN map m
         ON jsonb_typeof(w.value) = 'string' AND w.value #>> '{{}}' = m.old)"""
PG = {
    "most": "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM hits GROUP BY id) c",
    "pass": "UPDATE {table} SET {col} = CASE WHEN f.path = '{{}}' THEN to_jsonb(f.new) "
            "ELSE jsonb_set({table}.{col}, f.path, to_jsonb(f.new)) END "
            "FROM (SELECT DISTINCT ON (id) id, path, new FROM hits ORDER BY id, path) f WHERE {table}.{pk} = f.id",
    "left": "SELECT DISTINCT id FROM hits",
}


def _run(cursor, vendor: str, sql: str, names: dict, texts: dict):
    pairs = list(texts.items())
    if vendor == "sqlite":
        head = "WITH map(old, new) AS (VALUES " + ", ".join(["(%s, %s)"] * len(pairs)) + ") "
        params = [x for pair in pairs for x in pair]
    else:
        head = "WITH RECURSIVE map(old, new) AS (SELECT * FROM unnest(%s::text[], %s::text[])), " + PG_WALK + " "  # noqa: S608
        params = [[o for o, _n in pairs], [n for _o, n in pairs]]
    names = {**names, "hits": SQLITE_HITS.format(**names)}
    cursor.execute((head + sql).format(**names), params)  # (names quoted; the texts are parameters)


def _rewrite_definitions(connection, model, texts: dict) -> None:
    """The definitions of ``model``'s rows with every old text replaced, as _swap replaces
    them: set-based on SQLite and PostgreSQL. What SQL did not reach (a key holding a double
    quote, which SQLite's paths cannot name; another database) is rewritten row by row."""
    pk = model._meta.pk
    names = {"table": connection.ops.quote_name(model._meta.db_table), "col": connection.ops.quote_name("definition"),
             "pk": connection.ops.quote_name(pk.column)}
    vendor = connection.vendor
    left = model.objects.all()
    if vendor in ("sqlite", "postgresql") and texts:
        sql = SQLITE if vendor == "sqlite" else PG
        with connection.cursor() as cursor:
            _run(cursor, vendor, sql["most"], names, texts)
            for _n in range(cursor.fetchone()[0]):
                _run(cursor, vendor, sql["pass"], names, texts)
            _run(cursor, vendor, sql["left"], names, texts)
            left = model.objects.filter(pk__in=[row[0] for row in cursor.fetchall()])
    for row in left.only("pk", "definition").iterator():
        definition = _swap(row.definition, texts)
        if definition != row.definition:
            model.objects.filter(pk=row.pk).update(definition=definition)


def _apply(apps, texts: dict, connection) -> None:
    from django.db.models import Case, Value, When

    ProcedureType = apps.get_model("procedures", "ProcedureType")
    if texts:
        ProcedureType.objects.filter(source__in=list(texts)).update(
            source=Case(*(When(source=old, then=Value(new)) for old, new in texts.items())))
    _rewrite_definitions(connection, ProcedureType, texts)
    _rewrite_definitions(connection, apps.get_model("procedures", "ProcedureBatch"), texts)


def _connection(schema_editor):
    from django.db import connection

    return schema_editor.connection if schema_editor is not None else connection


def forwards(apps, schema_editor):
    _apply(apps, TEXTS, _connection(schema_editor))


def backwards(apps, schema_editor):
    _apply(apps, {new: old for old, new in TEXTS.items()}, _connection(schema_editor))


class Migration(migrations.Migration):
    dependencies = [("procedures", "0003_document_versions")]
    operations = [migrations.RunPython(forwards, backwards)]
