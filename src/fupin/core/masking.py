"""Masking of personal data: ID numbers, phone numbers, bank accounts."""


def mask_id_number(value: str | None) -> str:
    """360729199001011234 -> 360729********1234 (area code and last four kept)."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_bank_account(value: str | None) -> str:
    """6217001234567890123 -> ************0123."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_all(value: str | None) -> str:
    """Any other personal text: nothing shown."""
    return "*" * len(value) if value else ""


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_bank_account}


def mask(kind: str, value: str | None) -> str:
    """Mask a value of a known kind; an unknown kind is masked entirely (never shown by mistake)."""
    return MASKERS.get(kind, mask_all)(value)
