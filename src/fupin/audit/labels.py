"""What an audit event's action code means, for people: ``label("accounts.login")`` is
"Signed in" (登录 in the Chinese UI). The one place the pages (the log, an event, the
history lists of other apps through ``AuditEvent.action_label``) take their labels from;
the API keeps the codes. A code not listed here is shown as it is.

Every code an app records is listed: a new action adds its label here (a test checks
that the codes recorded in the source all have one)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    # accounts
    "accounts.login": _("Signed in"),
    "accounts.login.failed": _("Sign-in failed (wrong password)"),
    "accounts.login.locked": _("Sign-in failed: account locked"),
    "accounts.password.wrong_current": _("Password change refused (wrong current password)"),
    "accounts.password.locked": _("Password change refused: account locked"),
    "accounts.user.create": _("User created"),
    "accounts.user.activate": _("User activated"),
    "accounts.user.deactivate": _("User deactivated"),
    "accounts.user.change_password": _("Own password changed"),
    "accounts.user.set_password": _("Password set by an administrator"),
    "accounts.user.unlock": _("User unlocked"),
    "accounts.role.grant": _("Role granted"),
    "accounts.role.revoke": _("Role revoked"),
    "accounts.token.create": _("API token created"),
    "accounts.token.revoke": _("API token revoked"),
    # areas
    "areas.divisions.load": _("Administrative divisions loaded"),
    "areas.import": _("Areas imported"),
    "areas.unit.create": _("Unit created"),
    "areas.unit.update": _("Unit changed"),
    # registry
    "registry.demo.load": _("Demo registry loaded"),
    "registry.demo.villages": _("Demo villages loaded"),
    "registry.import": _("Registry imported"),
    "registry.export": _("Registry exported"),
    "registry.household.create": _("Household created"),
    "registry.household.update": _("Household changed"),
    "registry.household.status": _("Household status changed"),
    "registry.household.status_many": _("Status of several households changed"),
    "registry.household.moved_out": _("Household moved out"),
    "registry.household.import_update": _("Household changed by an import"),
    "registry.household.import_moved_out": _("Household moved out by an import"),
    "registry.household.pdf": _("Household card printed (PDF)"),
    "registry.member.create": _("Member added"),
    "registry.member.update": _("Member changed"),
    "registry.member.leave": _("Member left the household"),
    "registry.member.import_create": _("Member added by an import"),
    "registry.member.import_update": _("Member changed by an import"),
    "registry.member.pinyin": _("Member names indexed (pinyin)"),
    "registry.income.save": _("Income saved"),
    "registry.income.import": _("Income ledgers imported"),
    "registry.income.import_update": _("Income changed by an import"),
    "registry.income.export": _("Income ledgers exported"),
    "registry.duplicate.find": _("Duplicate people searched"),
    "registry.duplicate.decide": _("Possible duplicate decided"),
    "registry.quality.run": _("Data quality checked"),
    "registry.quality.export": _("Data quality problems exported"),
    "registry.recheck.open": _("Yearly re-check opened"),
    "registry.recheck.record": _("Yearly re-check recorded"),
    "registry.recheck.close": _("Yearly re-check closed"),
    "registry.register.pdf": _("Village register printed (PDF)"),
    "registry.register.xlsx": _("Village register exported (Excel)"),
    "registry.stats.refresh": _("Statistics refreshed"),
    "registry.village_profile.save": _("Village profile saved"),
    "registry.village_checklist.save": _("Village checklist saved"),
    # personal data
    "pii.reveal": _("Personal data shown in full"),
    "pii.reveal.api": _("Personal data shown in full (API)"),
    # identification
    "identification.line.create": _("Poverty line created"),
    "identification.line.change": _("Poverty line changed"),
    "identification.line.delete": _("Poverty line deleted"),
    "identification.line.recompute": _("Derived line recomputed"),
    "identification.ruleset.create": _("Rule set created"),
    "identification.ruleset.change": _("Rule set changed"),
    "identification.criterion.create": _("Criterion added"),
    "identification.criterion.change": _("Criterion changed"),
    "identification.cutoff.create": _("Cut-off date added"),
    "identification.cutoff.update": _("Cut-off date changed"),
    "identification.cutoff.delete": _("Cut-off date deleted"),
    "identification.fact.create": _("Veto fact recorded"),
    "identification.fact.decide": _("Veto fact decided"),
    "identification.run.start": _("Identification rules run started"),
    "identification.run.done": _("Identification rules run finished"),
    # comparison
    "comparison.dataset.import": _("Data set imported"),
    "comparison.dataset.view": _("Data set viewed"),
    "comparison.match": _("Data set matched with the registry"),
    "comparison.hits.view": _("Comparison hits viewed"),
    "comparison.hit.view": _("Comparison hit viewed"),
    "comparison.hit.decide": _("Hit decided by the village"),
    "comparison.hit.approve": _("Hit decision approved by the township"),
    "comparison.hit.send_back": _("Hit decision sent back to the village"),
    "comparison.hit.archive": _("Hit archived by the county"),
    "comparison.hit.archive_bulk": _("Approved hits archived by the county"),
    "comparison.forms.view": _("Property check forms viewed"),
    "comparison.form.check": _("Property check results exported"),
    "comparison.form.opinions": _("Decisions on the results exported"),
    "comparison.form.summary": _("Statistics of the check exported"),
    "comparison.linkage.view": _("低保 linkage report viewed"),
    "comparison.linkage.export": _("低保 linkage report exported"),
    # assistance
    "assistance.demo.load": _("Demo assistance loaded"),
    "assistance.helper.create": _("Helper created"),
    "assistance.helper.update": _("Helper changed"),
    "assistance.pairing.create": _("Helper paired with a household"),
    "assistance.pairing.end": _("Pairing ended"),
    "assistance.link.create": _("Unit paired with a village"),
    "assistance.link.end": _("Unit pairing ended"),
    "assistance.team.create": _("Work team created"),
    "assistance.team.end": _("Work team ended"),
    "assistance.team.member_add": _("Work team member added"),
    "assistance.team.member_end": _("Work team member left"),
    "assistance.team.attendance": _("Work team attendance recorded"),
    "assistance.plan.save": _("Household plan saved"),
    "assistance.village_plan.save": _("Village plan saved"),
    "assistance.measure.create": _("Measure recorded"),
    "assistance.measure.update": _("Measure changed"),
    "assistance.measure.void": _("Measure withdrawn"),
    "assistance.measure.carry": _("Measures carried into the income ledger"),
    "assistance.visit.create": _("Visit recorded"),
    "assistance.visit.update": _("Visit changed"),
    "assistance.visit.void": _("Visit withdrawn"),
    "assistance.visit.photos": _("Visit photos added"),
    "assistance.photo.read": _("Visit photo viewed"),
    "assistance.post.create": _("Public-welfare post created"),
    "assistance.post.update": _("Public-welfare post changed"),
    "assistance.posts.payments": _("Post payments exported"),
    "assistance.agreement.create": _("Post agreement signed"),
    "assistance.agreement.decide": _("Decision on a post agreement recorded"),
    "assistance.inspection.create": _("Post inspection recorded"),
    "assistance.import.pairings": _("Pairings imported"),
    "assistance.import.teams": _("Work teams imported"),
    "assistance.import.measures": _("Measures imported"),
    "assistance.import.visits": _("Visits imported"),
    "assistance.export.pairings": _("Pairings exported"),
    "assistance.export.teams": _("Work teams exported"),
    "assistance.export.measures": _("Measures exported"),
    "assistance.export.visits": _("Visits exported"),
    # procedures
    "procedures.type.save": _("Procedure type saved"),
    "procedures.batch.start": _("Procedure batch started"),
    "procedures.batch.continue": _("Procedure batch continued after an objection"),
    "procedures.batch.complete": _("Procedure batch completed"),
    "procedures.batch.cancel": _("Procedure batch cancelled"),
    "procedures.members.withdraw": _("Households withdrawn from a batch"),
    "procedures.step.close": _("Procedure step closed"),
    "procedures.appraisal.record": _("Appraisal recorded"),
    "procedures.notice.publish": _("Notice published"),
    "procedures.objection.raise": _("Objection recorded"),
    "procedures.objection.resolve": _("Objection resolved"),
    "procedures.document.render": _("Procedure document made"),
    "procedures.document.regenerate": _("Procedure document made again"),
    "procedures.document.download": _("Procedure document downloaded"),
    # exits
    "exits.criteria.create": _("Exit criteria created"),
    "exits.criteria.change": _("Exit criteria changed"),
    "exits.period.create": _("Policy period created"),
    "exits.period.change": _("Policy period changed"),
    "exits.observation.close": _("Ended policy periods closed"),
    "exits.observation.export": _("Observation list exported"),
    "exits.return.start": _("Return case started"),
    # delisting
    "delisting.criteria.village.change": _("Village delisting criteria changed"),
    "delisting.criteria.county.change": _("County delisting criteria changed"),
    "delisting.village.assess": _("Village assessed for delisting"),
    "delisting.village.notice": _("Village delisting notice published"),
    "delisting.village.objection": _("Objection to a village delisting recorded"),
    "delisting.village.objection_decide": _("Objection to a village delisting decided"),
    "delisting.village.notice_close": _("Village delisting notice closed"),
    "delisting.village.approve": _("Village delisting approved"),
    "delisting.village.announce": _("Village delisting announced"),
    "delisting.round.start": _("County delisting round started"),
    "delisting.round.submission": _("County delisting submitted"),
    "delisting.round.city_review": _("County delisting reviewed by the city"),
    "delisting.round.province_approval": _("County delisting approved by the province"),
    "delisting.round.announcement": _("County delisting announced"),
    "delisting.round.export": _("County delisting sample exported"),
    "delisting.survey.save": _("Delisting survey saved"),
    "delisting.survey.import": _("Delisting surveys imported"),
    # monitoring
    "monitoring.demo": _("Demo monitoring loaded"),
    "monitoring.record.open": _("Monitoring record opened"),
    "monitoring.record.identify": _("Household identified for monitoring"),
    "monitoring.record.rejected": _("Candidates closed as not identified for monitoring"),
    "monitoring.record.withdraw": _("Monitoring record withdrawn"),
    "monitoring.record.clear": _("Risk cleared"),
    "monitoring.record.social_protection": _("Social protection (兜底保障) changed"),
    "monitoring.application.submit": _("Application for help submitted"),
    "monitoring.application.record": _("Application for help recorded"),
    "monitoring.application.accept": _("Application for help accepted"),
    "monitoring.application.dismiss": _("Application for help dismissed"),
    "monitoring.discovery.add": _("Discovery of a household recorded"),
    "monitoring.hit.start": _("Identification started from a warning"),
    "monitoring.hit.dismiss": _("Warning dismissed"),
    "monitoring.warnings.import": _("Warnings imported"),
    "monitoring.risk.add": _("Risk recorded"),
    "monitoring.risk.resolve": _("Risk resolved"),
    "monitoring.help.add": _("Help recorded"),
    "monitoring.visit.add": _("Monitoring visit recorded"),
    "monitoring.export": _("Monitoring list exported"),
    # dynamics
    "dynamics.observation.xlsx": _("Observation list exported"),
    "dynamics.at_risk.xlsx": _("List of households at risk exported"),
    # jobs
    "jobs.start": _("Background job started"),
    "jobs.file.download": _("Job file downloaded"),
    "jobs.delete_files": _("Old job files deleted"),
}


def label(action: str) -> str:
    """The action's label in the current language, or the code itself when unknown."""
    found = ACTIONS.get(action)
    return str(found) if found is not None else action


def matching(text: str) -> list[str]:
    """The codes whose label (in the current language) contains ``text``: the log's
    action filter takes a label as well as the beginning of a code."""
    text = text.strip().casefold()
    if not text:
        return []
    return [code for code, lbl in ACTIONS.items() if text in str(lbl).casefold()]


def choices() -> list[tuple[str, str]]:
    """(code, label) of every known action, by label."""
    return sorted(((code, str(lbl)) for code, lbl in ACTIONS.items()), key=lambda c: c[1])
