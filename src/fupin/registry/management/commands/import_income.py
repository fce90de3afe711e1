from fupin.registry.income_exchange import import_income
from fupin.registry.management.commands.import_registry import ImportCommand


class Command(ImportCommand):
    help = ("Import income ledgers (经济收入一本账) from a file with one row per household and year (.xlsx or .csv, "
            "UTF-8 or GB18030; `fupin income_template` writes the empty one). All or nothing: if any row is wrong "
            "nothing is written and every bad row is reported. A household's year already recorded is updated "
            "(per-capita net income computed again); a row that changes nothing is left as it is.")
    import_file = staticmethod(import_income)
