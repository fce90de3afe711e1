"""Panels on the home page. Each app may add a function (request, scope) -> dict|None
giving {"title", "template", ...context}; the home page shows them in order: by the
``order`` given to ``@panel(order=…)`` (default 100), then as registered. A panel about
the user's own work (a helper's households) comes before the numbers of the area."""

PANELS = []

DEFAULT_ORDER = 100


def panel(fn=None, *, order: int = DEFAULT_ORDER):
    """Register a home-page panel: ``@panel`` or ``@panel(order=10)``."""

    def register(f):
        f.panel_order = order
        PANELS.append(f)
        PANELS.sort(key=lambda p: p.panel_order)  # stable: equal orders keep registration order
        return f

    return register(fn) if fn is not None else register
