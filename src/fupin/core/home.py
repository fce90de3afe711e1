"""Panels on the home page. Each app may add a function (request, scope) -> dict|None
giving {"title", "template", ...context}; the home page shows them in order."""

PANELS = []


def panel(fn):
    PANELS.append(fn)
    return fn
