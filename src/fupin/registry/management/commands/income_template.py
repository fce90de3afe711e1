from fupin.registry import income_exchange
from fupin.registry.management.commands.registry_template import TemplateCommand


class Command(TemplateCommand):
    help = ("Write the empty income ledger template (经济收入一本账: one row per household and year, one column per "
            "income item; a second sheet 填写说明 explains every column).")
    write = staticmethod(income_exchange.write_template)
